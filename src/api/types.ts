// TypeScript shapes of the messages in agent.proto, as @grpc/proto-loader hands them over with the
// options in load.ts (camelCase fields, enums as strings, int64 as number, defaults filled in).
// Keep in step with agent.proto: the .proto is the contract, this file its mirror.

export interface AddEndpointRequest {
  containerId: string;
  interface?: string;
  netns: string;
  handleId?: string;
  ipv4Count?: number;
  ipv6Count?: number;
  addresses?: string[];
  pools?: string[];
  mtu?: number;
  workload?: string;
  labels?: Record<string, string>;
}

export interface Endpoint {
  containerId: string;
  interface: string;
  netns: string;
  handleId: string;
  addresses: string[];
  hostInterface: string;
  mac: string;
  containerIfindex: number;
  gatewayIpv4: string;
  gatewayIpv6: string;
  node: string;
  workload: string;
  labels: Record<string, string>;
  createdUnixMs: number;
}

export interface DeleteEndpointRequest {
  containerId: string;
  interface?: string;
}
export interface DeleteEndpointResponse {
  existed: boolean;
  released: string[];
}

export interface CheckEndpointRequest {
  containerId: string;
  interface?: string;
  netns?: string;
}
export interface CheckEndpointResponse {
  ok: boolean;
  problems: string[];
  endpoint?: Endpoint | null;
}

export type ListEndpointsRequest = Record<string, never>;
export interface ListEndpointsResponse {
  endpoints: Endpoint[];
}

export interface AllocateAddressesRequest {
  handleId: string;
  ipv4Count?: number;
  ipv6Count?: number;
  addresses?: string[];
  pools?: string[];
  attributes?: Record<string, string>;
}
export interface AllocateAddressesResponse {
  addresses: string[];
}

export interface ReleaseAddressesRequest {
  handleId?: string;
  addresses?: string[];
}
export interface ReleaseAddressesResponse {
  released: string[];
}

export interface Block {
  cidr: string;
  size: number;
  inUse: number;
  borrowed: boolean;
}

export type PeerType = 'mesh' | 'global' | 'node' | 'reflector' | 'client';

export interface Peer {
  address: string;
  asNumber: number;
  type: PeerType | string;
  state: string;
  sinceUnixMs: number;
  info: string;
  routesReceived: number;
  routesAccepted: number;
  routesAdvertised: number;
  capabilities: string[];
  messagesReceived: number;
  messagesSent: number;
  routerId: string;
  holdTime: number;
  receivedShutdownMessage: string;
  adminShutdown: boolean;
  adminShutdownMessage: string;
  /** BFD state of the session ("Up", "Down (control detection time expired)", ...), "" when BFD is off. */
  bfd: string;
}

export type GetStatusRequest = Record<string, never>;
export interface Status {
  node: string;
  version: string;
  asNumber: number;
  routerId: string;
  blocks: Block[];
  endpointCount: number;
  kernelRouteCount: number;
  peers: Peer[];
  startedUnixMs: number;
  datastoreConnected: boolean;
  bgpAddresses: string[];
  /** Resources in etcd this agent does not apply, one each (empty when all apply). */
  rejectedResources: RejectedResource[];
  /** "BGP" or "Static" (BGPConfiguration routingMode in force); absent from older agents. */
  routingMode?: string;
}

export interface RejectedResource {
  kind: string;
  name: string;
  /** One line: what is wrong with it. */
  reason: string;
  /** Its last valid version is still applied. */
  lastGoodKept: boolean;
}

export type ListPeersRequest = Record<string, never>;
export interface ListPeersResponse {
  peers: Peer[];
}

export type RouteView = 'LOC_RIB' | 'ADJ_RIB_IN' | 'ADJ_RIB_OUT' | 'KERNEL';
export interface ListRoutesRequest {
  view?: RouteView;
  prefix?: string;
  longer?: boolean;
  peer?: string;
}
export interface Route {
  prefix: string;
  nextHops: string[];
  asPath: number[];
  communities: string[];
  largeCommunities: string[];
  localPref: number;
  med: number;
  source: string;
  best: boolean;
  origin: string;
  stale: boolean;
  protocol: string;
  dev: string;
  type: string;
}
export interface ListRoutesResponse {
  routes: Route[];
}

export interface AddPathRequest {
  prefix: string;
  communities?: string[];
  med?: number;
}
export type AddPathResponse = Record<string, never>;
export interface DeletePathRequest {
  prefix: string;
}
export interface DeletePathResponse {
  existed: boolean;
}

export interface ResetPeerRequest {
  name: string;
  soft?: boolean;
  message?: string;
}
export interface ShutdownPeerRequest {
  name: string;
  message?: string;
}
export interface EnablePeerRequest {
  name: string;
}
export interface PeerActionResponse {
  addresses: string[];
}

export interface WatchEventsRequest {
  peers?: boolean;
  routes?: boolean;
  endpoints?: boolean;
  ipam?: boolean;
}
export interface Event {
  timeUnixMs: number;
  event?: 'peer' | 'route' | 'endpoint' | 'ipam';
  peer?: { peer: Peer; previousState: string };
  route?: { kind: 'best' | 'withdrawn'; route: Route };
  endpoint?: { kind: 'added' | 'deleted'; endpoint: Endpoint };
  /** The leak GC freed addresses (see agent.proto IpamEvent). */
  ipam?: { kind: 'leaks-released' | 'claims-cleaned'; addresses: string[] };
}

/** What the agent implements; the server in server.ts adapts it to gRPC. */
export interface AgentService {
  addEndpoint(req: AddEndpointRequest): Promise<Endpoint>;
  deleteEndpoint(req: DeleteEndpointRequest): Promise<DeleteEndpointResponse>;
  checkEndpoint(req: CheckEndpointRequest): Promise<CheckEndpointResponse>;
  listEndpoints(req: ListEndpointsRequest): Promise<ListEndpointsResponse>;
  allocateAddresses(req: AllocateAddressesRequest): Promise<AllocateAddressesResponse>;
  releaseAddresses(req: ReleaseAddressesRequest): Promise<ReleaseAddressesResponse>;
  getStatus(req: GetStatusRequest): Promise<Status>;
  listPeers(req: ListPeersRequest): Promise<ListPeersResponse>;
  listRoutes(req: ListRoutesRequest): Promise<ListRoutesResponse>;
  addPath(req: AddPathRequest): Promise<AddPathResponse>;
  deletePath(req: DeletePathRequest): Promise<DeletePathResponse>;
  resetPeer(req: ResetPeerRequest): Promise<PeerActionResponse>;
  shutdownPeer(req: ShutdownPeerRequest): Promise<PeerActionResponse>;
  enablePeer(req: EnablePeerRequest): Promise<PeerActionResponse>;
  /** Calls `emit` for every event until `signal` aborts (the client went away). */
  watchEvents(req: WatchEventsRequest, emit: (event: Event) => void, signal: AbortSignal): void;
}

/**
 * An error the agent wants its callers to see as-is, with a gRPC status code name:
 * INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, RESOURCE_EXHAUSTED, UNAVAILABLE.
 */
export class AgentError extends Error {
  constructor(
    readonly code:
      | 'INVALID_ARGUMENT'
      | 'NOT_FOUND'
      | 'ALREADY_EXISTS'
      | 'FAILED_PRECONDITION'
      | 'RESOURCE_EXHAUSTED'
      | 'UNAVAILABLE'
      | 'INTERNAL',
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

/**
 * The trailer that tells a caller "the agent answered, etcd did not": without it, UNAVAILABLE looks
 * the same as an agent that is not running (grpc-js reports a dead socket with that code too).
 */
export const REASON_TRAILER = 'tsroute-reason';
export const REASON_DATASTORE = 'datastore-unavailable';

/** Where the agent listens unless told otherwise (flag --api-socket, env TSROUTE_API_SOCKET). */
export const DEFAULT_API_SOCKET = '/run/tsroute/agent.sock';
