// Docker's NetworkDriver (libnetwork remote driver) onto the agent. Docker's order differs from
// CNI's: IPAM hands out the address first, CreateEndpoint records it, and Join must return a link in
// Docker's namespace that Docker itself moves into the sandbox, addresses and routes. So Join asks
// the agent for a veth pair whose container end stays put, and answers with its name, the
// link-local gateway and the connected route to it, the same shape a CNI ADD gives a container.

import { GATEWAY_IPV4, GATEWAY_IPV6 } from '../model/index.js';
import type { DockerBackend } from './backend.js';
import { GLOBAL_ADDRESS_SPACE, LOCAL_ADDRESS_SPACE } from './ipam-driver.js';
import {
  type CreateEndpointRequest,
  type CreateEndpointResponse,
  type CreateNetworkRequest,
  type EndpointRequest,
  type JoinRequest,
  type JoinResponse,
  ROUTE_CONNECTED,
} from './protocol.js';
import type { DriverState } from './state.js';

export type DriverScope = 'local' | 'global';

/** Name of the container end while it waits in the host namespace for Docker to move it. */
export const peerNameOf = (endpointId: string) => `tmp${endpointId.slice(0, 11)}`;

export class NetworkDriver {
  constructor(
    private readonly backend: DockerBackend,
    private readonly state: DriverState,
    /** The name Docker knows the plugin by (the spec file's name), for messages that say what to type. */
    private readonly pluginName: string,
    private readonly scope: DriverScope,
    private readonly mtu = 0,
  ) {}

  getCapabilities() {
    // Connectivity is global either way: addresses are routable from every host by BGP.
    return { Scope: this.scope, ConnectivityScope: 'global' };
  }

  createNetwork(req: CreateNetworkRequest): Record<string, never> {
    const data = [...(req.IPv4Data ?? []), ...(req.IPv6Data ?? [])];
    const foreign = data.find((d) => d.AddressSpace !== LOCAL_ADDRESS_SPACE && d.AddressSpace !== GLOBAL_ADDRESS_SPACE);
    if (foreign) {
      throw new Error(
        `the ${this.pluginName} network driver needs the ${this.pluginName} IPAM driver ` +
          `(address space "${foreign.AddressSpace}" is another's): ` +
          `docker network create -d ${this.pluginName} --ipam-driver ${this.pluginName} NAME`,
      );
    }
    return {};
  }

  deleteNetwork(): Record<string, never> {
    return {};
  }

  createEndpoint(req: CreateEndpointRequest): CreateEndpointResponse {
    const addresses = [req.Interface?.Address, req.Interface?.AddressIPv6].filter((a): a is string => !!a);
    if (addresses.length === 0) {
      throw new Error(`endpoint ${req.EndpointID.slice(0, 12)} has no address: use --ipam-driver ${this.pluginName}`);
    }
    const handleIds = [...new Set(addresses.map((a) => this.state.handleOf(a)).filter((h): h is string => !!h))];
    this.state.setEndpoint(req.EndpointID, { networkId: req.NetworkID, addresses, handleIds });
    // Nothing to add: Docker already knows the address, and the veth's own MAC will do.
    return { Interface: {} };
  }

  endpointOperInfo(req: EndpointRequest) {
    const ep = this.state.endpoint(req.EndpointID);
    return { Value: ep ? { addresses: ep.addresses, hostInterface: ep.hostInterface ?? '' } : {} };
  }

  async join(req: JoinRequest): Promise<JoinResponse> {
    const ep = this.state.endpoint(req.EndpointID);
    if (!ep)
      throw new Error(`endpoint ${req.EndpointID.slice(0, 12)} is unknown to ${this.pluginName} (not created here)`);
    const peerName = peerNameOf(req.EndpointID);
    const attachment = await this.backend.attach({
      endpointId: req.EndpointID,
      peerName,
      addresses: ep.addresses,
      handleId: ep.handleIds[0] ?? '',
      mtu: this.mtu,
    });
    this.state.setEndpoint(req.EndpointID, { ...ep, hostInterface: attachment.hostInterface });
    const v4 = ep.addresses.some((a) => !a.includes(':'));
    const v6 = ep.addresses.some((a) => a.includes(':'));
    const gw4 = attachment.gatewayIpv4 || GATEWAY_IPV4;
    const gw6 = attachment.gatewayIpv6 || GATEWAY_IPV6;
    return {
      InterfaceName: { SrcName: peerName, DstPrefix: 'eth' },
      // The gateway is not on the container's /32 subnet: the connected route makes it reachable.
      Gateway: v4 ? gw4 : '',
      GatewayIPv6: v6 ? gw6 : '',
      StaticRoutes: [
        ...(v4 ? [{ Destination: `${gw4}/32`, RouteType: ROUTE_CONNECTED }] : []),
        ...(v6 ? [{ Destination: `${gw6}/128`, RouteType: ROUTE_CONNECTED }] : []),
      ],
      // No second (bridge) interface for the default gateway: ours already routes everywhere.
      DisableGatewayService: true,
    };
  }

  async leave(req: EndpointRequest): Promise<Record<string, never>> {
    await this.backend.detach({ endpointId: req.EndpointID, peerName: peerNameOf(req.EndpointID) });
    return {};
  }

  async deleteEndpoint(req: EndpointRequest): Promise<Record<string, never>> {
    // Leave normally did this already; detach is idempotent, and covers a Join that half-failed.
    await this.backend.detach({ endpointId: req.EndpointID, peerName: peerNameOf(req.EndpointID) });
    this.state.forgetEndpoint(req.EndpointID);
    return {};
  }
}
