// IP addresses and prefixes as the bytes netlink carries (network order) and back to canonical
// text. IPv4 takes a fast path here: a full table is a hundred thousand of them per pass; IPv6 text is
// bgp/prefix.ts's (the one canonicalisation).
import { isIPv6 } from 'node:net';
import { bytesToIpv6, ipv6ToBytes } from '../../bgp/prefix.js';
import type { Family } from '../model/index.js';

/**
 * Reads dotted-quad IPv4 text from `start` to `end` into `out[at..at+3]`; false if it is not one.
 * Character by character, without allocating: this runs for every route of a full table.
 */
function readIpv4(text: string, start: number, end: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || part === 3) return false;
      out[at + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      value = value * 10 + (c - 48);
      if (value > 255) return false;
      digits++;
    } else return false;
  }
  if (digits === 0 || part !== 3) return false;
  out[at + 3] = value;
  return true;
}

/** `a.b.c.d` or any IPv6 text as 4 or 16 bytes; throws on something that is not an address. */
export function addressBytes(text: string): Uint8Array {
  if (!text.includes(':')) {
    const out = new Uint8Array(4);
    if (readIpv4(text, 0, text.length, out, 0)) return out;
    throw new Error(`"${text}" is not an IPv4 address`);
  }
  if (!isIPv6(text) || text.includes('%')) throw new Error(`"${text}" is not an IPv6 address`);
  return ipv6ToBytes(text);
}

/** Canonical text of 4 or 16 address bytes. */
export function addressText(bytes: Uint8Array): string {
  return bytes.length === 4 ? `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}` : bytesToIpv6(bytes);
}

export interface Prefix {
  family: Family;
  bytes: Uint8Array;
  length: number;
}

/**
 * "10.65.3.0/26", "fd00::/64", or a bare address (a host route). IPv4 bytes go into `room` when
 * given (4 bytes the caller reuses: the bulk path parses a prefix per route).
 */
export function parsePrefix(text: string, room?: Uint8Array): Prefix {
  const slash = text.indexOf('/');
  const end = slash < 0 ? text.length : slash;
  let bytes: Uint8Array;
  if (text.indexOf(':') < 0) {
    bytes = room ?? new Uint8Array(4);
    if (!readIpv4(text, 0, end, bytes, 0)) throw new Error(`"${text}" is not a prefix`);
  } else bytes = addressBytes(text.slice(0, end));
  const max = bytes.length * 8;
  let length = max;
  if (slash >= 0) {
    length = 0;
    for (let i = slash + 1; i < text.length; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) throw new Error(`"${text}" is not a prefix`);
      length = length * 10 + c;
    }
    if (slash + 1 === text.length || length > max) throw new Error(`"${text}" is not a prefix`);
  }
  return { family: bytes.length === 4 ? 'ipv4' : 'ipv6', bytes, length };
}

/** The canonical text of a prefix, always with its length ("10.1.2.3/32"). */
export function canonicalPrefix(text: string): string {
  if (!text.includes(':')) return text.includes('/') ? text : `${text}/32`;
  const p = parsePrefix(text);
  return `${addressText(p.bytes)}/${p.length}`;
}

/** The canonical text of an address (IPv6 compressed per RFC 5952; IPv4 as given). */
export function canonicalAddress(text: string): string {
  const zone = text.indexOf('%');
  if (zone >= 0) return `${canonicalAddress(text.slice(0, zone))}${text.slice(zone)}`;
  return text.includes(':') ? addressText(addressBytes(text)) : text;
}

/**
 * A next hop as text: the address, and for an IPv6 link-local gateway (fe80::/10, which only means
 * something on one link) its output interface's index after "%" ("fe80::1%3").
 */
export interface Gateway {
  bytes: Uint8Array;
  /** Interface index, 0 when the text names none. */
  ifindex: number;
}

export function gatewayOf(text: string): Gateway {
  const zone = text.indexOf('%');
  if (zone < 0) return { bytes: addressBytes(text), ifindex: 0 };
  const ifindex = Number(text.slice(zone + 1));
  if (!Number.isInteger(ifindex) || ifindex <= 0)
    throw new Error(`"${text}": the interface after "%" must be an index`);
  return { bytes: addressBytes(text.slice(0, zone)), ifindex };
}

/** RFC 4291 §2.5.6: fe80::/10. */
export const isLinkLocalBytes = (b: Uint8Array) => b.length === 16 && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;

/** The text of a gateway the kernel reports: a link-local one with its interface index. */
export const gatewayText = (bytes: Uint8Array, ifindex: number): string =>
  isLinkLocalBytes(bytes) && ifindex > 0 ? `${addressText(bytes)}%${ifindex}` : addressText(bytes);

/** A MAC address "ee:ee:ee:ee:ee:ee" as 6 bytes. */
export function macBytes(text: string): Uint8Array {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p)))
    throw new Error(`"${text}" is not a MAC address`);
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}
