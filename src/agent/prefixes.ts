// Prefix arithmetic the agent needs beyond the model's: containment of one prefix in another (is a
// learned route inside one of our pools?) and aggregation (sibling blocks of this host become one
// prefix), on the model's bigint CIDRs so IPv4 and IPv6 share one code path.
import { type Cidr, familyBits, formatCidr, hostPrefix, parseCidr } from '../model/index.js';

/** The CIDR for `text`, or undefined when it is not one (learned prefixes are already canonical). */
export function cidrOf(text: string): Cidr | undefined {
  const r = parseCidr(text);
  return r.ok ? r.cidr : undefined;
}

/** A host route for one address: /32 or /128. */
export { hostPrefix };

/** Is `inner` inside (or equal to) `outer`? */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefixLength < outer.prefixLength) return false;
  const shift = BigInt(familyBits(outer.family) - outer.prefixLength);
  return inner.base >> shift === outer.base >> shift;
}

/**
 * The smallest set of prefixes covering exactly the given ones: merges sibling pairs (x/n + its
 * buddy → x/n-1) repeatedly, and drops prefixes inside others. Never grows past `limits` (the pools):
 * an aggregate must stay inside one pool so that we never announce space that is not ours.
 */
export function aggregate(prefixes: Cidr[], limits: Cidr[]): Cidr[] {
  const key = (c: Cidr) => formatCidr(c);
  const given = [...new Map(prefixes.map((p) => [key(p), p])).values()];
  const set = new Map(
    given
      .filter((p) => !given.some((q) => q.prefixLength < p.prefixLength && cidrContains(q, p)))
      .map((p) => [key(p), p]),
  );
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of [...set.values()]) {
      if (!set.has(key(p)) || p.prefixLength === 0) continue;
      const bit = 1n << BigInt(familyBits(p.family) - p.prefixLength);
      const buddy: Cidr = { family: p.family, base: p.base ^ bit, prefixLength: p.prefixLength };
      if (!set.has(key(buddy))) continue;
      const parent: Cidr = { family: p.family, base: p.base & ~bit, prefixLength: p.prefixLength - 1 };
      if (!limits.some((l) => cidrContains(l, parent))) continue;
      set.delete(key(p));
      set.delete(key(buddy));
      set.set(key(parent), parent);
      changed = true;
    }
  }
  return [...set.values()].sort(
    (a, b) =>
      a.family.localeCompare(b.family) ||
      (a.base < b.base ? -1 : a.base > b.base ? 1 : a.prefixLength - b.prefixLength),
  );
}
