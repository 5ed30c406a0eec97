// Serves an AgentService over gRPC on a unix socket that only root can open, with server
// reflection so grpcurl works without the .proto.
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { DatastoreUnavailableError } from '../datastore/errors.js';
import { agentProto } from './load.js';
import {
  AgentError,
  type AgentService,
  type Event,
  REASON_DATASTORE,
  REASON_TRAILER,
  type WatchEventsRequest,
} from './types.js';

export interface AgentServer {
  socketPath: string;
  close(): Promise<void>;
}

/** UNAVAILABLE with the trailer that says "the agent answered, etcd did not" (see REASON_TRAILER). */ function datastoreUnavailable(
  details: string,
): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  metadata.set(REASON_TRAILER, REASON_DATASTORE);
  return { code: grpc.status.UNAVAILABLE, details, metadata };
}

function toStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof DatastoreUnavailableError) return datastoreUnavailable(err.message);
  if (err instanceof AgentError && err.code === 'UNAVAILABLE') return datastoreUnavailable(err.message);
  if (err instanceof AgentError) return { code: grpc.status[err.code], details: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: grpc.status.INTERNAL, details: message };
}

function unary<Req, Res>(fn: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    fn(call.request).then(
      (res) => callback(null, res),
      (err) => callback(toStatus(err) as grpc.ServiceError),
    );
  };
}

/** True when something already answers on the socket (a running agent we must not displace). */
function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export async function serveAgent(service: AgentService, socketPath: string): Promise<AgentServer> {
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o755 });
  if (existsSync(socketPath)) {
    if (await socketInUse(socketPath)) throw new Error(`another agent already listens on ${socketPath}`);
    unlinkSync(socketPath); // left by an agent that died
  }
  const { definition, service: serviceDefinition } = agentProto();
  const server = new grpc.Server();
  server.addService(serviceDefinition, {
    addEndpoint: unary(service.addEndpoint.bind(service)),
    deleteEndpoint: unary(service.deleteEndpoint.bind(service)),
    checkEndpoint: unary(service.checkEndpoint.bind(service)),
    listEndpoints: unary(service.listEndpoints.bind(service)),
    allocateAddresses: unary(service.allocateAddresses.bind(service)),
    releaseAddresses: unary(service.releaseAddresses.bind(service)),
    getStatus: unary(service.getStatus.bind(service)),
    listPeers: unary(service.listPeers.bind(service)),
    listRoutes: unary(service.listRoutes.bind(service)),
    addPath: unary(service.addPath.bind(service)),
    deletePath: unary(service.deletePath.bind(service)),
    resetPeer: unary(service.resetPeer.bind(service)),
    shutdownPeer: unary(service.shutdownPeer.bind(service)),
    enablePeer: unary(service.enablePeer.bind(service)),
    watchEvents: (call: grpc.ServerWritableStream<WatchEventsRequest, Event>) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      call.on('close', () => abort.abort());
      try {
        service.watchEvents(call.request, (event) => call.write(event), abort.signal);
      } catch (err) {
        call.destroy(Object.assign(new Error(toStatus(err).details), toStatus(err)));
      }
    },
  });
  new ReflectionService(definition).addToServer(server);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  // Only root may wire containers: the socket is the permission check.
  chmodSync(socketPath, 0o600);
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => {
          if (existsSync(socketPath)) unlinkSync(socketPath);
          resolve();
        });
        // Streams (WatchEvents) keep tryShutdown waiting; force them closed after a moment.
        setTimeout(() => server.forceShutdown(), 500).unref();
      }),
  };
}
