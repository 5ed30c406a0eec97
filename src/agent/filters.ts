// BGPFilter resources (Calico's shape: ordered rules of cidr + matchOperator + action per direction
// and family) as the speaker's policies. The speaker matches prefix ranges but has no "not", so
// NotIn and NotEqual become the exact complement as a list of ranges — no approximation.
import type { Policy, PolicyRule, PrefixMatch } from '../../bgp/index.js';
import { type BGPFilter, type BGPFilterRule, type Cidr, familyBits, formatCidr, parseCidr } from '../model/index.js';

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

function toRule(r: BGPFilterRule, family: 4 | 6, name: string): PolicyRule {
  const action = r.action === 'Accept' ? 'accept' : 'reject';
  const fam = family === 4 ? 'ipv4' : 'ipv6';
  if (!r.cidr) return { name, match: { family: fam }, action };
  const parsed = parseCidr(r.cidr);
  if (!parsed.ok) throw new Error(`${name}: ${parsed.reason}`);
  const c = parsed.cidr;
  const bits = familyBits(family);
  const prefixes =
    r.matchOperator === 'Equal'
      ? [range(c, c.prefixLength, c.prefixLength)]
      : r.matchOperator === 'In'
        ? [range(c, c.prefixLength, bits)]
        : r.matchOperator === 'NotIn'
          ? notIn(c)
          : notEqual(c);
  return { name, match: { family: fam, prefixes }, action };
}

/** The import and export policy of one BGPFilter; families without rules accept everything. */
export function filterPolicies(f: BGPFilter): { import: Policy; export: Policy } {
  const rules = (list: 'importV4' | 'importV6' | 'exportV4' | 'exportV6', family: 4 | 6) =>
    (f.spec[list] ?? []).map((r, i) => toRule(r, family, `${f.metadata.name}.${list}[${i}]`));
  return {
    import: { rules: [...rules('importV4', 4), ...rules('importV6', 6)], default: 'accept' },
    export: { rules: [...rules('exportV4', 4), ...rules('exportV6', 6)], default: 'accept' },
  };
}
