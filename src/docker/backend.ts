// What the Docker drivers need from the agent, as one small interface, and its implementation on the
// agent's gRPC client. The drivers never see gRPC: when the agent API grows a field (see attach), the
// change is one line here.
import { AgentCallError, type AgentClient, AgentUnavailableError } from '../api/index.js';
import { type Family, familyName } from '../model/index.js';

export interface AttachRequest {
  /** Docker's endpoint ID: the agent's container_id for this endpoint. */
  endpointId: string;
  /**
   * Name of the container end of the veth pair. It stays in the agent's own network namespace, down
   * and without addresses: Docker moves it into the sandbox, renames it and configures it itself.
   */
  peerName: string;
  /** Addresses already allocated through `allocate`, with prefix length ("10.65.3.7/32"). */
  addresses: string[];
  /** The IPAM handle they were allocated under. */
  handleId: string;
  mtu?: number;
  workload?: string;
}

export interface Attachment {
  /** Host-side veth name ("tsr" + 11 hex), the one with the /32 route and proxy ARP. */
  hostInterface: string;
  gatewayIpv4: string;
  gatewayIpv6: string;
}

export interface DockerBackend {
  /** Allocates one address of `family` (or exactly `address`) under `handleId`; returns it as CIDR. */
  allocate(req: {
    handleId: string;
    family: Family;
    address?: string;
    pools: string[];
    attributes: Record<string, string>;
  }): Promise<string>;
  /** Releases everything held by `handleId`, or exactly `addresses` when no handle is known. */
  release(req: { handleId?: string; addresses?: string[] }): Promise<string[]>;
  /** Creates the veth pair and the host routes for pre-allocated addresses (Docker's Join). */
  attach(req: AttachRequest): Promise<Attachment>;
  /** Removes the veth pair and host routes; succeeds when there is nothing to remove. */
  detach(req: { endpointId: string; peerName: string }): Promise<void>;
}

/** An agent failure, as one line for Docker to show to the user (`docker run` prints it). */
export function describeAgentError(err: unknown): string {
  if (err instanceof AgentUnavailableError) return err.message;
  if (err instanceof AgentCallError) return `tsroute agent: ${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * The backend on the real agent API.
 *
 * attach: AddEndpoint with an empty `netns` and `interface` = the peer's name. The agent contract
 * this relies on (asked of src/api): "netns empty → create both ends in the agent's namespace,
 * configure the host end (up, proxy ARP, proxy_delay 0, /32 routes) and leave the container end down,
 * unaddressed, named `interface`; the runtime moves it". The addresses passed in `addresses` stay
 * held by `handle_id` until ReleaseAddresses.
 */
export function agentBackend(client: AgentClient): DockerBackend {
  return {
    allocate: async ({ handleId, family, address, pools, attributes }) => {
      const { addresses } = await client.allocateAddresses({
        handleId,
        ipv4Count: !address && family === 'ipv4' ? 1 : 0,
        ipv6Count: !address && family === 'ipv6' ? 1 : 0,
        addresses: address ? [address] : [],
        pools,
        attributes,
      });
      const got = addresses[0];
      if (!got) throw new Error(`the agent allocated no ${familyName(family)} address for ${handleId}`);
      return got;
    },
    release: async ({ handleId, addresses }) =>
      (await client.releaseAddresses({ handleId: handleId ?? '', addresses: handleId ? [] : (addresses ?? []) }))
        .released,
    attach: async (req) => {
      const ep = await client.addEndpoint({
        containerId: req.endpointId,
        interface: req.peerName,
        netns: '',
        handleId: req.handleId,
        addresses: req.addresses,
        mtu: req.mtu ?? 0,
        workload: req.workload ?? '',
        labels: { 'tsroute.io/runtime': 'docker' },
      });
      return { hostInterface: ep.hostInterface, gatewayIpv4: ep.gatewayIpv4, gatewayIpv6: ep.gatewayIpv6 };
    },
    detach: async ({ endpointId, peerName }) => {
      await client.deleteEndpoint({ containerId: endpointId, interface: peerName });
    },
  };
}
