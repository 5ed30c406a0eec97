// Prefix arithmetic the agent needs to decide what to announce: containment (is a learned route
// inside one of our pools?) and aggregation (two sibling blocks of this host become one prefix).
// Addresses are bigints so IPv4 and IPv6 share one code path.
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  family: 4 | 6;
  /** Network address, host bits zero. */
  base: bigint;
  len: number;
}

function v6ToBigint(addr: string): bigint {
  const [head, tail] = addr.split('::') as [string, string | undefined];
  const parse = (s: string | undefined) => (s ? s.split(':') : []);
  let groups = parse(head);
  let tailGroups = parse(tail);
  // an embedded IPv4 tail (::ffff:1.2.3.4) is two groups
  const fix = (gs: string[]) =>
    gs.flatMap((g) => {
      if (!g.includes('.')) return [g];
      const n = Number(v4ToBigint(g));
      return [(n >>> 16).toString(16), (n & 0xffff).toString(16)];
    });
  groups = fix(groups);
  tailGroups = fix(tailGroups);
  const all =
    tail === undefined ? groups : [...groups, ...Array(8 - groups.length - tailGroups.length).fill('0'), ...tailGroups];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

function v4ToBigint(addr: string): bigint {
  return addr.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

export function addressToBigint(addr: string): bigint {
  return isIPv4(addr) ? v4ToBigint(addr) : v6ToBigint(addr);
}

export function bigintToAddress(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // RFC 5952: compress the longest run of zero groups (of two or more)
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Parses "10.65.3.0/26" or "fd00::/122" (host bits must be zero); undefined when it is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, lenText, extra] = text.split('/');
  if (addr === undefined || lenText === undefined || extra !== undefined || !/^\d{1,3}$/.test(lenText))
    return undefined;
  const family = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  if (family === 0) return undefined;
  const len = Number(lenText);
  const bits = family === 4 ? 32 : 128;
  if (len > bits) return undefined;
  const base = addressToBigint(addr);
  const hostMask = (1n << BigInt(bits - len)) - 1n;
  if ((base & hostMask) !== 0n) return undefined;
  return { family, base, len };
}

export function formatCidr(c: Cidr): string {
  return `${bigintToAddress(c.base, c.family)}/${c.len}`;
}

/** A host route for one address: /32 or /128. */
export function hostPrefix(addr: string): string {
  return `${addr}/${isIPv4(addr) ? 32 : 128}`;
}

/** Is `inner` inside (or equal to) `outer`? */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.len < outer.len) return false;
  const bits = outer.family === 4 ? 32 : 128;
  const shift = BigInt(bits - outer.len);
  return inner.base >> shift === outer.base >> shift;
}

/**
 * The smallest set of prefixes covering exactly the given ones: merges sibling pairs (x/n + its
 * buddy → x/n-1) repeatedly, and drops prefixes inside others. Never grows past `limits` (the pools):
 * an aggregate must stay inside one pool so that we never announce space that is not ours.
 */
export function aggregate(prefixes: Cidr[], limits: Cidr[]): Cidr[] {
  const key = (c: Cidr) => `${c.family}/${c.base}/${c.len}`;
  let set = new Map<string, Cidr>();
  for (const p of prefixes) set.set(key(p), p);
  // drop prefixes covered by another one in the set
  const all = [...set.values()];
  set = new Map(
    all.filter((p) => !all.some((q) => q !== p && q.len < p.len && cidrContains(q, p))).map((p) => [key(p), p]),
  );
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of [...set.values()]) {
      if (!set.has(key(p)) || p.len === 0) continue;
      const bits = BigInt((p.family === 4 ? 32 : 128) - p.len);
      const buddy: Cidr = { family: p.family, base: p.base ^ (1n << bits), len: p.len };
      if (!set.has(key(buddy))) continue;
      const parent: Cidr = { family: p.family, base: p.base & ~(1n << bits), len: p.len - 1 };
      if (!limits.some((l) => cidrContains(l, parent))) continue;
      set.delete(key(p));
      set.delete(key(buddy));
      set.set(key(parent), parent);
      changed = true;
    }
  }
  return [...set.values()].sort(
    (a, b) => a.family - b.family || (a.base < b.base ? -1 : a.base > b.base ? 1 : a.len - b.len),
  );
}
