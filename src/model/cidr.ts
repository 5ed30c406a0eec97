// IPv4 and IPv6 addresses as bigints, so that pools, blocks and ordinals share one arithmetic for
// both families. Text ↔ bytes is bgp/prefix.ts's (RFC 5952 canonical IPv6 text); CIDR per RFC 4632.
import { isIPv4, isIPv6 } from 'node:net';
import { bytesToIpv4, bytesToIpv6, type Family, familyOfPrefix, ipv4ToBytes, ipv6ToBytes } from '../../bgp/prefix.js';

// The address-family type and its test are bgp/prefix.ts's: one vocabulary for the whole code base.
export { type Family, familyOfPrefix };

export interface Cidr {
  family: Family;
  /** The network address (host bits zero). */
  base: bigint;
  prefixLength: number;
}

export const familyBits = (family: Family): number => (family === 'ipv4' ? 32 : 128);

/** "IPv4" or "IPv6", for messages. */
export const familyName = (family: Family): 'IPv4' | 'IPv6' => (family === 'ipv4' ? 'IPv4' : 'IPv6');

/** The address as a bigint, or undefined when `text` is not an IPv4/IPv6 address. */
export function parseAddress(text: string): { family: Family; value: bigint } | undefined {
  if (isIPv4(text)) return { family: 'ipv4', value: bytesToBigint(ipv4ToBytes(text)) };
  if (!isIPv6(text) || text.includes('%')) return undefined;
  return { family: 'ipv6', value: bytesToBigint(ipv6ToBytes(text)) };
}

/** Canonical text (bgp/prefix.ts's): dotted quad, or RFC 5952 IPv6. */
export function formatAddress(family: Family, value: bigint): string {
  const bytes = new Uint8Array(family === 'ipv4' ? 4 : 16);
  for (let i = bytes.length - 1; i >= 0; i--, value >>= 8n) bytes[i] = Number(value & 0xffn);
  return family === 'ipv4' ? bytesToIpv4(bytes) : bytesToIpv6(bytes);
}

const bytesToBigint = (bytes: Uint8Array): bigint => bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);

/** The address of "10.65.0.7/32" or of a bare "10.65.0.7": endpoints and the API carry both forms. */
export function bareAddress(addressOrPrefix: string): string {
  const slash = addressOrPrefix.indexOf('/');
  return slash < 0 ? addressOrPrefix : addressOrPrefix.slice(0, slash);
}

/** An address as the prefix of just itself: "10.65.0.7/32", "fd00::7/128". */
export const hostPrefix = (address: string): string => `${address}/${familyBits(familyOfPrefix(address))}`;

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
