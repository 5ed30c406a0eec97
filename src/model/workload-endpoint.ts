// WorkloadEndpoint: one container interface on one node. IPAM's leak check trusts it: an address
// whose handle no endpoint names (and that no endpoint lists) is a leak.
import { canonicalAddress } from './cidr.js';
import type { Schema } from './fields.js';
import type { Resource } from './resource.js';

/**
 * Every endpoint's gateways: link-local, answered by the host end of its veth (proxy ARP for IPv4, a
 * permanent neighbour entry for IPv6), so no address of a pool is spent on them. The dataplane wires
 * them, the agent reports them, the Docker driver hands them to Docker.
 */
export const GATEWAY_IPV4 = '169.254.1.1';
/** The link-local address the kernel derives (EUI-64) from the host side's MAC, ee:ee:ee:ee:ee:ee. */
export const GATEWAY_IPV6 = 'fe80::ecee:eeff:feee:eeee';

export interface WorkloadEndpointSpec {
  node: string;
  containerId: string;
  /** Interface inside the container, "eth0" by default. */
  interface?: string;
  /** Host-side veth name (tsr…). */
  hostInterface?: string;
  /** Addresses without prefix length. */
  addresses?: string[];
  /** The IPAM handle the addresses were allocated under. */
  ipamHandle?: string;
  mac?: string;
  netns?: string;
  workload?: string;
}
export type WorkloadEndpoint = Resource<'WorkloadEndpoint', WorkloadEndpointSpec>;

export const workloadEndpointSchema: Schema = {
  node: { type: 'string', required: true },
  containerId: { type: 'string', required: true },
  interface: { type: 'string' },
  hostInterface: { type: 'string' },
  addresses: {
    type: 'stringList',
    check: (v) => (canonicalAddress(v.replace(/\/(32|128)$/, '')) ? undefined : `"${v}" is not an IP address`),
  },
  ipamHandle: { type: 'string' },
  mac: { type: 'string' },
  netns: { type: 'string' },
  workload: { type: 'string' },
};

export function workloadEndpointDefaults(w: WorkloadEndpoint): void {
  w.spec.interface ??= 'eth0';
  if (w.spec.addresses)
    w.spec.addresses = w.spec.addresses.map((a) => canonicalAddress(a.replace(/\/(32|128)$/, '')) ?? a);
}
