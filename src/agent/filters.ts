// BGPFilter resources (Calico's shape: ordered rules per direction and family, each a set of
// conditions, operations and an action) as the speaker's policies. The speaker matches prefix
// ranges but has no "not", so NotIn and NotEqual become the exact complement as a list of ranges —
// no approximation.
import type { Policy, PolicyActions, PolicyMatch, PolicyRule, PrefixMatch } from '../../bgp/index.js';
import {
  type BGPFilter,
  type BGPFilterRule,
  type Cidr,
  type Family,
  familyBits,
  formatCidr,
  parseCidr,
} from '../model/index.js';

function range(c: Cidr, ge: number, le: number): PrefixMatch {
  return { prefix: formatCidr(c), ge, le };
}

/** Every prefix not inside `c`: for each bit of c's network, the other half at that level, and all below. */
function notIn(c: Cidr): PrefixMatch[] {
  const bits = familyBits(c.family);
  const out: PrefixMatch[] = [];
  // shorter prefixes that contain c (or are unrelated) are not "in" c either
  if (c.prefixLength > 0)
    out.push({ prefix: formatCidr({ family: c.family, base: 0n, prefixLength: 0 }), ge: 0, le: c.prefixLength - 1 });
  for (let len = 1; len <= c.prefixLength; len++) {
    const bit = 1n << BigInt(bits - len);
    const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - len)) - 1n);
    const sibling: Cidr = { family: c.family, base: (c.base & mask) ^ bit, prefixLength: len };
    out.push(range(sibling, len, bits));
  }
  return out;
}

/** Every prefix except exactly `c`. */
function notEqual(c: Cidr): PrefixMatch[] {
  const bits = familyBits(c.family);
  const out = notIn(c);
  if (c.prefixLength < bits) out.push(range(c, c.prefixLength + 1, bits));
  return out;
}

function prefixRanges(r: BGPFilterRule, name: string): PrefixMatch[] | undefined {
  if (!r.cidr) return undefined;
  const parsed = parseCidr(r.cidr);
  if (!parsed.ok) throw new Error(`${name}: ${parsed.reason}`);
  const c = parsed.cidr;
  const bits = familyBits(c.family);
  if (r.matchOperator === 'Equal') return [range(c, c.prefixLength, c.prefixLength)];
  if (r.matchOperator === 'In') return [range(c, c.prefixLength, bits)];
  if (r.matchOperator === 'NotIn') return notIn(c);
  return notEqual(c);
}

function operations(r: BGPFilterRule): PolicyActions | undefined {
  if (!r.operations?.length) return undefined;
  const set: PolicyActions = {};
  for (const op of r.operations) {
    const c = op.addCommunity?.value;
    if (c !== undefined) {
      if (c.split(':').length === 3) set.addLargeCommunities = [...(set.addLargeCommunities ?? []), c];
      else set.addCommunities = [...(set.addCommunities ?? []), c];
    }
    // Several prepends add up, the first one listed ending up outermost (nearest our own AS).
    if (op.prependASPath) set.prepend = { asns: [...(set.prepend?.asns ?? []), ...op.prependASPath.prefix] };
    if (op.setPriority) set.localPref = op.setPriority.value;
  }
  return set;
}

/** One BGPFilter rule as speaker rules (two when it matches standard or large communities, either). */
function toRules(r: BGPFilterRule, family: Family, name: string): PolicyRule[] {
  const match: PolicyMatch = { family };
  const prefixes = prefixRanges(r, name);
  if (prefixes) match.prefixes = prefixes;
  if (r.prefixLength) match.prefixLength = { ...r.prefixLength };
  // Learned from any BGP peer, as opposed to originated by this node.
  if (r.source === 'RemotePeers') match.learnedFrom = ['ebgp', 'ibgp'];
  if (r.asPath) match.asPath = { contains: r.asPath.contains, origin: r.asPath.originAS };
  const set = operations(r);
  const action = r.action === 'Accept' ? 'accept' : 'reject';
  const rule = (m: PolicyMatch): PolicyRule => ({ name, match: m, action, ...(set ? { set } : {}) });
  if (!r.communities) return [rule(match)];
  const standard = r.communities.values.filter((v) => v.split(':').length === 2);
  const large = r.communities.values.filter((v) => v.split(':').length === 3);
  const out: PolicyRule[] = [];
  if (standard.length) out.push(rule({ ...match, communities: standard }));
  if (large.length) out.push(rule({ ...match, largeCommunities: large }));
  return out;
}

/** The import and export policy of one BGPFilter; families without rules accept everything. */
export function filterPolicies(f: BGPFilter): { import: Policy; export: Policy } {
  const rules = (list: 'importV4' | 'importV6' | 'exportV4' | 'exportV6', family: Family) =>
    (f.spec[list] ?? []).flatMap((r, i) => toRules(r, family, `${f.metadata.name}.${list}[${i}]`));
  return {
    import: { rules: [...rules('importV4', 'ipv4'), ...rules('importV6', 'ipv6')], default: 'accept' },
    export: { rules: [...rules('exportV4', 'ipv4'), ...rules('exportV6', 'ipv6')], default: 'accept' },
  };
}
