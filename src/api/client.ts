// A promise-based client of the agent's gRPC API, for the CLI, the CNI plugin and the Docker driver.
// Every call has a deadline, and an agent that is not there is one clear error, not a hang.
import { existsSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { agentProto } from './load.js';
import type * as T from './types.js';
import { DEFAULT_API_SOCKET, REASON_DATASTORE, REASON_TRAILER } from './types.js';

/** The agent could not be reached at all (no socket, nobody listening, deadline passed). */
export class AgentUnavailableError extends Error {
  readonly exitCode = 3;
  constructor(socketPath: string, detail: string) {
    super(`cannot reach the tsroute agent at ${socketPath}: is "tsroute node run" running? (${detail})`);
    this.name = 'AgentUnavailableError';
  }
}

/** The agent is running and answered, but it cannot reach etcd (exit code 2, like the CLI's own). */
export class AgentDatastoreUnavailableError extends Error {
  readonly exitCode = 2;
  constructor(socketPath: string, detail: string) {
    super(`the tsroute agent at ${socketPath} is running but cannot reach etcd: ${detail}`);
    this.name = 'AgentDatastoreUnavailableError';
  }
}

/** The agent answered with an error; `code` is the gRPC status name (INVALID_ARGUMENT, ...). */
export class AgentCallError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AgentCallError';
  }
}

type Unary = (
  req: unknown,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => void;

export class AgentClient {
  private readonly client: grpc.Client & Record<string, Unary>;

  constructor(
    readonly socketPath: string = process.env.TSROUTE_API_SOCKET || DEFAULT_API_SOCKET,
    private readonly timeoutMs = 30_000,
  ) {
    const { ctor } = agentProto();
    this.client = new ctor(`unix://${socketPath}`, grpc.credentials.createInsecure()) as unknown as grpc.Client &
      Record<string, Unary>;
  }

  private call<Req, Res>(method: string, req: Req, timeoutMs = this.timeoutMs): Promise<Res> {
    if (!existsSync(this.socketPath))
      return Promise.reject(new AgentUnavailableError(this.socketPath, 'no such socket'));
    return new Promise((resolve, reject) => {
      const fn = this.client[method]!;
      fn.call(this.client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (!err) resolve(res as Res);
        else if (err.code === grpc.status.UNAVAILABLE && err.metadata?.get(REASON_TRAILER)[0] === REASON_DATASTORE)
          reject(new AgentDatastoreUnavailableError(this.socketPath, err.details));
        else if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED)
          reject(new AgentUnavailableError(this.socketPath, err.details || err.message));
        else reject(new AgentCallError(grpc.status[err.code] ?? String(err.code), err.details || err.message));
      });
    });
  }

  addEndpoint = (req: T.AddEndpointRequest) => this.call<T.AddEndpointRequest, T.Endpoint>('addEndpoint', req);
  deleteEndpoint = (req: T.DeleteEndpointRequest) =>
    this.call<T.DeleteEndpointRequest, T.DeleteEndpointResponse>('deleteEndpoint', req);
  checkEndpoint = (req: T.CheckEndpointRequest) =>
    this.call<T.CheckEndpointRequest, T.CheckEndpointResponse>('checkEndpoint', req);
  listEndpoints = () => this.call<T.ListEndpointsRequest, T.ListEndpointsResponse>('listEndpoints', {});
  allocateAddresses = (req: T.AllocateAddressesRequest) =>
    this.call<T.AllocateAddressesRequest, T.AllocateAddressesResponse>('allocateAddresses', req);
  releaseAddresses = (req: T.ReleaseAddressesRequest) =>
    this.call<T.ReleaseAddressesRequest, T.ReleaseAddressesResponse>('releaseAddresses', req);
  getStatus = (timeoutMs?: number) => this.call<T.GetStatusRequest, T.Status>('getStatus', {}, timeoutMs);
  listPeers = () => this.call<T.ListPeersRequest, T.ListPeersResponse>('listPeers', {});
  listRoutes = (req: T.ListRoutesRequest = {}) =>
    this.call<T.ListRoutesRequest, T.ListRoutesResponse>('listRoutes', req);
  addPath = (req: T.AddPathRequest) => this.call<T.AddPathRequest, T.AddPathResponse>('addPath', req);
  deletePath = (req: T.DeletePathRequest) => this.call<T.DeletePathRequest, T.DeletePathResponse>('deletePath', req);
  resetPeer = (req: T.ResetPeerRequest) => this.call<T.ResetPeerRequest, T.PeerActionResponse>('resetPeer', req);
  shutdownPeer = (req: T.ShutdownPeerRequest) =>
    this.call<T.ShutdownPeerRequest, T.PeerActionResponse>('shutdownPeer', req);
  enablePeer = (req: T.EnablePeerRequest) => this.call<T.EnablePeerRequest, T.PeerActionResponse>('enablePeer', req);

  /** Streams events until the returned function is called. */
  watchEvents(req: T.WatchEventsRequest, onEvent: (e: T.Event) => void, onEnd?: (err?: Error) => void): () => void {
    const stream = (
      this.client as unknown as { watchEvents: (r: T.WatchEventsRequest) => grpc.ClientReadableStream<T.Event> }
    ).watchEvents(req);
    stream.on('data', onEvent);
    stream.on('error', (err: grpc.ServiceError) => {
      if (err.code !== grpc.status.CANCELLED) onEnd?.(err);
    });
    stream.on('end', () => onEnd?.());
    return () => stream.cancel();
  }

  close(): void {
    this.client.close();
  }
}
