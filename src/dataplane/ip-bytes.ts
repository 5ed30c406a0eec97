// IP addresses and prefixes as the bytes netlink carries (network order) and back to canonical
// text. IPv4 takes a fast path: a full table is a hundred thousand of them per pass.
import { formatAddress, parseAddress } from '../model/index.js';

export type Family = 4 | 6;

export const familyOf = (text: string): Family => (text.includes(':') ? 6 : 4);

/** `a.b.c.d` or any IPv6 text as 4 or 16 bytes; throws on something that is not an address. */
export function addressBytes(text: string): Uint8Array {
  if (!text.includes(':')) {
    const parts = text.split('.');
    if (parts.length === 4) {
      const out = new Uint8Array(4);
      let ok = true;
      for (let i = 0; i < 4; i++) {
        const n = Number(parts[i]);
        if (!(n >= 0 && n <= 255) || parts[i] === '') ok = false;
        out[i] = n;
      }
      if (ok) return out;
    }
    throw new Error(`"${text}" is not an IPv4 address`);
  }
  const parsed = parseAddress(text);
  if (parsed?.family !== 6) throw new Error(`"${text}" is not an IPv6 address`);
  const out = new Uint8Array(16);
  let v = parsed.value;
  for (let i = 15; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Canonical text of 4 or 16 address bytes. */
export function addressText(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return formatAddress(6, v);
}

export interface Prefix {
  family: Family;
  bytes: Uint8Array;
  length: number;
}

/** "10.65.3.0/26", "fd00::/64", or a bare address (a host route). */
export function parsePrefix(text: string): Prefix {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const bytes = addressBytes(addr);
  const max = bytes.length * 8;
  const length = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(length) || length < 0 || length > max) throw new Error(`"${text}" is not a prefix`);
  return { family: bytes.length === 4 ? 4 : 6, bytes, length };
}

/** The canonical text of a prefix, always with its length ("10.1.2.3/32"). */
export function canonicalPrefix(text: string): string {
  if (!text.includes(':')) return text.includes('/') ? text : `${text}/32`;
  const p = parsePrefix(text);
  return `${addressText(p.bytes)}/${p.length}`;
}

/** The canonical text of an address (IPv6 compressed per RFC 5952; IPv4 as given). */
export function canonicalAddress(text: string): string {
  return text.includes(':') ? addressText(addressBytes(text)) : text;
}

/** A MAC address "ee:ee:ee:ee:ee:ee" as 6 bytes. */
export function macBytes(text: string): Uint8Array {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p)))
    throw new Error(`"${text}" is not a MAC address`);
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}

export function macText(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
