// Node: a host running the agent. The agent registers and updates its own; labels live in
// metadata.labels (pool nodeSelectors and peer selectors match them).
import { asNumberField } from './bgp-values.js';
import { bareAddress, canonicalAddress, type Family, familyBits, familyName, parseAddress, parseCidr } from './cidr.js';
import type { Schema } from './fields.js';
import { type Resource, ValidationError } from './resource.js';

export interface NodeSpec {
  bgp?: {
    /** The address peers reach this node on, "10.0.0.1" or "10.0.0.1/24". */
    ipv4Address?: string;
    ipv6Address?: string;
    /** Overrides the BGPConfiguration's AS number for this node. */
    asNumber?: number;
    /** Set on route reflectors (RFC 4456 CLUSTER_ID, dotted quad). */
    routeReflectorClusterId?: string;
  };
}
export type Node = Resource<'Node', NodeSpec>;

function hostAddressProblem(family: Family) {
  return (v: string): string | undefined => {
    const addr = v.includes('/') ? v.slice(0, v.indexOf('/')) : v;
    const a = parseAddress(addr);
    if (!a || a.family !== family) return `"${v}" is not an ${familyName(family)} address`;
    if (v.includes('/')) {
      const len = Number(v.slice(v.indexOf('/') + 1));
      if (!Number.isInteger(len) || len < 0 || len > familyBits(family)) return `"${v}" has a bad prefix length`;
    }
    return undefined;
  };
}

export const nodeSchema: Schema = {
  bgp: {
    type: 'object',
    fields: {
      ipv4Address: { type: 'string', check: hostAddressProblem('ipv4') },
      ipv6Address: { type: 'string', check: hostAddressProblem('ipv6') },
      asNumber: asNumberField,
      routeReflectorClusterId: {
        type: 'string',
        check: (v) => (parseAddress(v)?.family === 'ipv4' ? undefined : `"${v}" must be a dotted quad (RFC 4456)`),
      },
    },
  },
};

/** The bare address peers use, without a prefix length. */
export function nodeBgpAddress(node: Node, family: Family): string | undefined {
  const v = family === 'ipv4' ? node.spec.bgp?.ipv4Address : node.spec.bgp?.ipv6Address;
  if (!v) return undefined;
  return canonicalAddress(bareAddress(v));
}

export function validateNode(n: Node): void {
  const v4 = n.spec.bgp?.ipv4Address;
  if (v4?.includes('/') && !parseCidr(v4).ok && !parseAddress(bareAddress(v4))) {
    throw new ValidationError(`node "${n.metadata.name}": spec.bgp.ipv4Address "${v4}" is not valid`);
  }
}
