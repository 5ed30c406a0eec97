// The address vocabulary of the whole code base: the one address-family type, address bytes ↔ text
// (RFC 5952 for IPv6) and prefixes in canonical text ("10.1.0.0/24", "fd00:1::/64"), which is also
// how the RIBs key them (a Map lookup is one string hash). Host bits are cleared on parse. It imports
// nothing but node:net, so src/ uses it too (through bgp/index.ts, or directly where the rooms table
// of docs/DESIGN.md allows) and bgp/ stays standalone.
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 'ipv4' | 'ipv6';

export interface ParsedPrefix {
  family: Family;
  /** Address bytes (4 or 16), host bits cleared. */
  bytes: Uint8Array;
  length: number;
}

export const familyOfPrefix = (prefix: string): Family => (prefix.includes(':') ? 'ipv6' : 'ipv4');

export function ipv4ToBytes(address: string): Uint8Array {
  const parts = address.split('.');
  return Uint8Array.from(parts, Number);
}

export function ipv6ToBytes(address: string): Uint8Array {
  const out = new Uint8Array(16);
  let text = address;
  // An embedded dotted quad ("::ffff:1.2.3.4") fills the last 4 bytes.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tailBytes: Uint8Array | undefined;
  if (dotted) {
    tailBytes = ipv4ToBytes(dotted[1]!);
    text = `${text.slice(0, -dotted[1]!.length)}0:0`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...headGroups, ...new Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  if (tailBytes) out.set(tailBytes, 12);
  return out;
}

export function bytesToIpv4(b: Uint8Array): string {
  return `${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}.${b[3] ?? 0}`;
}

/** RFC 5952 text: lower case, longest run of zero groups compressed. */
export function bytesToIpv6(b: Uint8Array): string {
  // RFC 5952 §5: IPv4-mapped addresses keep their dotted quad.
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff)
    return `::ffff:${bytesToIpv4(b.subarray(12))}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function clearHostBits(bytes: Uint8Array, length: number): void {
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, length - i * 8));
    bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
}

/** Parses "a.b.c.d/len" or "x::/len"; throws on bad input (this is for configuration, not peer data). */
/** A prefix as 32-bit address words (1 for IPv4, 4 for IPv6), the form the RIB and the kernel table key by. */
export interface PrefixWords {
  /** 0 for IPv4, 1 for IPv6. */
  family: 0 | 1;
  len: number;
  words: Int32Array;
}

/**
 * Reads prefix text into `out` (reused by the caller); false when it is not a prefix. Host bits are
 * left as written (callers that key by prefix clear them). IPv4 is read by character codes without
 * allocating, because this runs for every received or learned route; IPv6 goes through the byte
 * parser. With `bareIsHost` an address without "/len" is its host prefix.
 */
export function parsePrefixWords(text: string, out: PrefixWords, bareIsHost = false): boolean {
  const slash = text.lastIndexOf('/');
  if (slash < 0 && !bareIsHost) return false;
  const end = slash < 0 ? text.length : slash;
  let len = -1;
  if (slash >= 0) {
    if (slash + 1 === text.length) return false;
    len = 0;
    for (let i = slash + 1; i < text.length; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return false;
      len = len * 10 + d;
    }
  }
  if (text.indexOf(':') >= 0) {
    const address = text.slice(0, end);
    if (!isIPv6(address) || len > 128) return false;
    const b = ipv6ToBytes(address);
    for (let w = 0; w < 4; w++)
      out.words[w] = (b[w * 4]! << 24) | (b[w * 4 + 1]! << 16) | (b[w * 4 + 2]! << 8) | b[w * 4 + 3]!;
    out.family = 1;
    out.len = len < 0 ? 128 : len;
    return true;
  }
  let addr = 0;
  let octet = 0;
  let dots = 0;
  let digits = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || octet > 255) return false;
      addr = (addr << 8) | octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      const d = c - 48;
      if (d < 0 || d > 9 || digits === 3) return false;
      octet = octet * 10 + d;
      digits++;
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255 || len > 32) return false;
  out.words[0] = (addr << 8) | octet;
  out.family = 0;
  out.len = len < 0 ? 32 : len;
  return true;
}

export function parsePrefix(text: string): ParsedPrefix {
  const slash = text.lastIndexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family: Family | undefined = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (!family) throw new Error(`not an IP prefix: "${text}"`);
  const max = family === 'ipv4' ? 32 : 128;
  const length = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(length) || length < 0 || length > max) throw new Error(`bad prefix length in "${text}"`);
  const bytes = family === 'ipv4' ? ipv4ToBytes(address) : ipv6ToBytes(address);
  clearHostBits(bytes, length);
  return { family, bytes, length };
}

export function formatPrefix(p: ParsedPrefix): string {
  return `${p.family === 'ipv4' ? bytesToIpv4(p.bytes) : bytesToIpv6(p.bytes)}/${p.length}`;
}

/** The canonical key for a prefix given in any accepted spelling. */
export const canonicalPrefix = (text: string): string => formatPrefix(parsePrefix(text));

/** True when `inner` lies inside `outer` (same family, at least as long, same leading bits). */
export function prefixContains(outer: ParsedPrefix, inner: ParsedPrefix): boolean {
  if (outer.family !== inner.family || inner.length < outer.length) return false;
  const full = outer.length >> 3;
  for (let i = 0; i < full; i++) if (outer.bytes[i] !== inner.bytes[i]) return false;
  const rest = outer.length & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((outer.bytes[full] ?? 0) & mask) === ((inner.bytes[full] ?? 0) & mask);
}

/**
 * Orders two addresses numerically (negative when a < b), IPv4 before IPv6: the BGP identifier and
 * peer-address tie-breaks (RFC 4271 §6.8, §9.1.2.2 g). By bytes, so "2001:db8::1" sorts before
 * "2001:db8::1:0:0:1" whatever the text's compression.
 */
export function compareAddresses(a: string, b: string): number {
  if (a === b) return 0;
  const x = a.includes(':') ? ipv6ToBytes(a) : ipv4ToBytes(a);
  const y = b.includes(':') ? ipv6ToBytes(b) : ipv4ToBytes(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}
