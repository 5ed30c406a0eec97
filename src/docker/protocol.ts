// The JSON shapes of Docker's plugin protocol for remote network and IPAM drivers, as libnetwork
// (Docker 20.10, `libnetwork/drivers/remote/api` and `libnetwork/ipams/remote/api`) sends and
// expects them. Field names are Docker's, PascalCase, exactly as on the wire.

/** Content type of every plugin answer (docs.docker.com "Docker Plugin API", "Handshake"). */
export const PLUGIN_CONTENT_TYPE = 'application/vnd.docker.plugins.v1.2+json';

/** What this plugin implements, answered to /Plugin.Activate. */
export const IMPLEMENTS = ['NetworkDriver', 'IpamDriver'] as const;

/** libnetwork's route types in Join's StaticRoutes (libnetwork/types: NEXTHOP = 0, CONNECTED = 1). */
export const ROUTE_NEXTHOP = 0;
export const ROUTE_CONNECTED = 1;

/** The Options key libnetwork sets when RequestAddress asks for the network's gateway. */
export const GATEWAY_REQUEST = 'com.docker.network.gateway';

export interface PluginError {
  Err: string;
}

// ---- NetworkDriver ----

export interface IPAMData {
  AddressSpace: string;
  Pool: string;
  Gateway?: string;
  AuxAddresses?: Record<string, string>;
}

export interface CreateNetworkRequest {
  NetworkID: string;
  Options?: Record<string, unknown>;
  IPv4Data?: IPAMData[] | null;
  IPv6Data?: IPAMData[] | null;
}

export interface DeleteNetworkRequest {
  NetworkID: string;
}

export interface EndpointInterface {
  Address?: string;
  AddressIPv6?: string;
  MacAddress?: string;
}

export interface CreateEndpointRequest {
  NetworkID: string;
  EndpointID: string;
  Interface?: EndpointInterface | null;
  Options?: Record<string, unknown>;
}

export interface CreateEndpointResponse {
  /** Only what the driver adds: Docker rejects an Address it did not hand out itself. */
  Interface: EndpointInterface | null;
}

export interface EndpointRequest {
  NetworkID: string;
  EndpointID: string;
}

export interface JoinRequest extends EndpointRequest {
  /** Path of the container's network namespace (Docker creates it; Docker moves the link in). */
  SandboxKey: string;
  Options?: Record<string, unknown>;
}

export interface StaticRoute {
  Destination: string;
  RouteType: number;
  NextHop?: string;
}

export interface JoinResponse {
  /** SrcName: a link in Docker's own namespace that Docker moves into the sandbox and renames DstPrefix+N. */
  InterfaceName: { SrcName: string; DstPrefix: string };
  Gateway: string;
  GatewayIPv6: string;
  StaticRoutes: StaticRoute[];
  DisableGatewayService: boolean;
}

// ---- IpamDriver ----

export interface RequestPoolRequest {
  AddressSpace: string;
  Pool: string;
  SubPool: string;
  Options?: Record<string, string> | null;
  V6: boolean;
}

export interface RequestPoolResponse {
  PoolID: string;
  Pool: string;
  Data: Record<string, string>;
}

export interface RequestAddressRequest {
  PoolID: string;
  Address: string;
  Options?: Record<string, string> | null;
}

export interface RequestAddressResponse {
  Address: string;
  Data: Record<string, string>;
}

export interface ReleaseAddressRequest {
  PoolID: string;
  Address: string;
}
