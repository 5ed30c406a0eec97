// IPv4 and IPv6 addresses as bigints, so that pools, blocks and ordinals share one arithmetic for
// both families. Text forms follow RFC 4632 (CIDR) and RFC 5952 (canonical IPv6 text).
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** The network address (host bits zero). */
  base: bigint;
  prefixLength: number;
}

export const familyBits = (family: Family): number => (family === 4 ? 32 : 128);

/** The address as a bigint, or undefined when `text` is not an IPv4/IPv6 address. */
export function parseAddress(text: string): { family: Family; value: bigint } | undefined {
  if (isIPv4(text)) {
    const value = text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
    return { family: 4, value };
  }
  if (!isIPv6(text) || text.includes('%')) return undefined;
  // WHATWG URL serialisation turns any IPv6 text (embedded dotted quad included) into plain hex groups.
  const head = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').filter((g) => g !== '') : []);
  const l = groups(left).map((g) => BigInt(`0x${g}`));
  const r = groups(right).map((g) => BigInt(`0x${g}`));
  const missing = 8 - l.length - r.length;
  const all = [...l, ...(right !== undefined ? new Array<bigint>(missing).fill(0n) : []), ...r];
  if (all.length !== 8) return undefined;
  return { family: 6, value: all.reduce((acc, g) => (acc << 16n) | g, 0n) };
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed). */
export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The canonical text of an address, or undefined when it is not one. */
export function canonicalAddress(text: string): string | undefined {
  const a = parseAddress(text);
  return a ? formatAddress(a.family, a.value) : undefined;
}

export type CidrResult = { ok: true; cidr: Cidr } | { ok: false; reason: string };

/** Parses "a.b.c.d/n" or "x::/n"; host bits set is an error that names the network meant. */
export function parseCidr(text: string): CidrResult {
  const slash = text.indexOf('/');
  if (slash < 0) return { ok: false, reason: `"${text}" is not a CIDR (expected ADDRESS/PREFIX-LENGTH)` };
  const addr = parseAddress(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!addr) return { ok: false, reason: `"${text}" is not a CIDR: "${text.slice(0, slash)}" is not an IP address` };
  const bits = familyBits(addr.family);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > bits) {
    return { ok: false, reason: `"${text}" is not a CIDR: prefix length must be 0-${bits}` };
  }
  const prefixLength = Number(lenText);
  const base = addr.value & prefixMask(addr.family, prefixLength);
  if (base !== addr.value) {
    const meant = formatCidr({ family: addr.family, base, prefixLength });
    return { ok: false, reason: `"${text}" has host bits set (did you mean ${meant}?)` };
  }
  return { ok: true, cidr: { family: addr.family, base, prefixLength } };
}

/** parseCidr for values already validated: throws on bad input. */
export function mustParseCidr(text: string): Cidr {
  const r = parseCidr(text);
  if (!r.ok) throw new Error(r.reason);
  return r.cidr;
}

export function prefixMask(family: Family, prefixLength: number): bigint {
  const bits = BigInt(familyBits(family));
  const all = (1n << bits) - 1n;
  return (all >> BigInt(prefixLength)) ^ all;
}

export const formatCidr = (c: Cidr): string => `${formatAddress(c.family, c.base)}/${c.prefixLength}`;

export const cidrSize = (c: Cidr): bigint => 1n << BigInt(familyBits(c.family) - c.prefixLength);

export function cidrContainsAddress(c: Cidr, family: Family, value: bigint): boolean {
  return c.family === family && (value & prefixMask(family, c.prefixLength)) === c.base;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const len = Math.min(a.prefixLength, b.prefixLength);
  const m = prefixMask(a.family, len);
  return (a.base & m) === (b.base & m);
}

/** The block of `blockSize` bits that holds `value`. */
export function enclosingCidr(family: Family, value: bigint, prefixLength: number): Cidr {
  return { family, base: value & prefixMask(family, prefixLength), prefixLength };
}
