// NLRI prefixes (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3): a length byte and the significant bytes,
// optionally preceded by a 4-byte path ID. This is the hot path of the codec, so it is a hand-written
// loop: no temporary buffers for IPv4, text built straight from the bytes.
import { bytesToIpv6, ipv6ToBytes } from '../prefix.js';
import type { Family, Nlri, PrefixTarget, WireNlri } from './types.js';

const v6 = new Uint8Array(16);
/** Text pieces made once: "n." for every octet value, "/n" for every IPv4 length. */
const DOTTED = Array.from({ length: 256 }, (_, i) => `${i}.`);
const SLASH = Array.from({ length: 33 }, (_, i) => `/${i}`);

/** IPv4 without path IDs: the common case, in its own tight loop. */
function readIpv4(b: Uint8Array, start: number, end: number): Nlri | undefined {
  const prefixes: string[] = [];
  let off = start;
  while (off < end) {
    const len = b[off]!;
    if (len > 32) return undefined;
    const n = (len + 7) >> 3;
    if (off + 1 + n > end) return undefined;
    const lastMask = (0xff << ((8 - (len & 7)) & 7)) & 0xff;
    const p = off + 1;
    let a = 0;
    let c = 0;
    let d = 0;
    let e = 0;
    if (n === 3) {
      a = b[p]!;
      c = b[p + 1]!;
      d = b[p + 2]! & lastMask;
    } else if (n === 4) {
      a = b[p]!;
      c = b[p + 1]!;
      d = b[p + 2]!;
      e = b[p + 3]! & lastMask;
    } else if (n === 2) {
      a = b[p]!;
      c = b[p + 1]! & lastMask;
    } else if (n === 1) a = b[p]! & lastMask;
    prefixes.push(DOTTED[a]! + DOTTED[c]! + DOTTED[d]! + e + SLASH[len]!);
    off = p + n;
  }
  return { prefixes };
}

/** Checks the prefixes in b[start, end) without reading them; their count, or -1 when malformed. */
function countNlri(b: Uint8Array, start: number, end: number, family: Family, addPath: boolean): number {
  const max = family === 'ipv4' ? 32 : 128;
  let n = 0;
  let off = start;
  while (off < end) {
    if (addPath) {
      off += 4;
      if (off >= end) return -1;
    }
    const len = b[off]!;
    if (len > max) return -1;
    off += 1 + ((len + 7) >> 3);
    if (off > end) return -1;
    n++;
  }
  return n;
}

/**
 * Reads the prefix at `off` of a checked field (see WireNlri) into `out`, host bits cleared, and
 * returns the offset of the next one. A path ID (RFC 7911 §3) goes to `out.pathId`.
 */
export function readPrefixAt(w: WireNlri, off: number, out: PrefixTarget): number {
  const b = w.bytes;
  if (w.addPath) {
    out.pathId = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
    off += 4;
  }
  const len = b[off]!;
  const n = (len + 7) >> 3;
  const p = off + 1;
  const words = out.words;
  if (w.family === 'ipv4') {
    let a = 0;
    for (let i = 0; i < 4; i++) a = (a << 8) | (i < n ? b[p + i]! : 0);
    // Host bits cleared (1 << 32 is 1 in JavaScript, hence the two ends apart).
    words[0] = len === 0 ? 0 : len >= 32 ? a : a & ~((1 << (32 - len)) - 1);
  } else {
    for (let wi = 0; wi < 4; wi++) {
      let a = 0;
      for (let i = 0; i < 4; i++) {
        const k = wi * 4 + i;
        a = (a << 8) | (k < n ? b[p + k]! : 0);
      }
      const bits = len - wi * 32;
      words[wi] = bits <= 0 ? 0 : bits >= 32 ? a : a & ~((1 << (32 - bits)) - 1);
    }
  }
  out.len = len;
  return p + n;
}

/** A field's prefixes left in the message bytes (checked when decoded), read one by one into a target. */
class CheckedNlri implements WireNlri {
  constructor(
    readonly family: Family,
    readonly bytes: Uint8Array,
    readonly start: number,
    readonly end: number,
    readonly count: number,
    readonly addPath: boolean,
  ) {}

  forEach(into: PrefixTarget, each: () => void): void {
    let off = this.start;
    for (let i = 0; i < this.count; i++) {
      off = readPrefixAt(this, off, into);
      each();
    }
  }
}

/** Reads the prefixes in b[start, end); undefined when a prefix is malformed or overruns. */
export function readNlri(
  b: Uint8Array,
  start: number,
  end: number,
  family: Family,
  addPath = false,
  wire = false,
): Nlri | undefined {
  if (wire) {
    const count = countNlri(b, start, end, family, addPath);
    return count < 0 ? undefined : { prefixes: [], wire: new CheckedNlri(family, b, start, end, count, addPath) };
  }
  if (family === 'ipv4' && !addPath) return readIpv4(b, start, end);
  const prefixes: string[] = [];
  const pathIds: number[] | undefined = addPath ? [] : undefined;
  const max = family === 'ipv4' ? 32 : 128;
  let off = start;
  while (off < end) {
    if (pathIds) {
      if (off + 4 > end) return undefined;
      pathIds.push(((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0);
      off += 4;
      if (off >= end) return undefined;
    }
    const len = b[off]!;
    if (len > max) return undefined;
    const n = (len + 7) >> 3;
    if (off + 1 + n > end) return undefined;
    // Host bits beyond the length are cleared so one prefix never gets two spellings.
    const lastMask = (0xff << ((8 - (len & 7)) & 7)) & 0xff;
    if (max === 32) {
      const p = off + 1;
      let a = 0;
      let c = 0;
      let d = 0;
      let e = 0;
      if (n > 0) a = n === 1 ? b[p]! & lastMask : b[p]!;
      if (n > 1) c = n === 2 ? b[p + 1]! & lastMask : b[p + 1]!;
      if (n > 2) d = n === 3 ? b[p + 2]! & lastMask : b[p + 2]!;
      if (n > 3) e = b[p + 3]! & lastMask;
      prefixes.push(`${a}.${c}.${d}.${e}/${len}`);
    } else {
      v6.fill(0);
      for (let i = 0; i < n; i++) v6[i] = b[off + 1 + i]!;
      if (n > 0) v6[n - 1]! &= lastMask;
      prefixes.push(`${bytesToIpv6(v6)}/${len}`);
    }
    off += 1 + n;
  }
  return pathIds ? { prefixes, pathIds } : { prefixes };
}

/** Bytes one prefix takes on the wire (without a path ID). */
export function nlriSize(prefix: string): number {
  const slash = prefix.lastIndexOf('/');
  let len = 0;
  for (let i = slash + 1; i < prefix.length; i++) len = len * 10 + prefix.charCodeAt(i) - 48;
  return 1 + ((len + 7) >> 3);
}

/**
 * Writes one IPv4 prefix ("a.b.c.d/len") at `off` in a single pass over the text; returns the new
 * offset. The packer's hot path: no allocation, no second scan for the length.
 */
export function writePrefix4(out: Uint8Array, off: number, prefix: string): number {
  let octet = 0;
  let k = 0;
  let i = 0;
  const n = prefix.length;
  const bytes = off + 1;
  for (; i < n; i++) {
    const c = prefix.charCodeAt(i);
    if (c === 46) {
      out[bytes + k++] = octet;
      octet = 0;
    } else if (c === 47) break;
    else octet = octet * 10 + c - 48;
  }
  out[bytes + k] = octet;
  let len = 0;
  for (i++; i < n; i++) len = len * 10 + prefix.charCodeAt(i) - 48;
  out[off] = len;
  // Only the significant bytes travel (RFC 4271 §4.3); the ones written past them are overwritten next.
  return off + 1 + ((len + 7) >> 3);
}

/**
 * Writes one prefix (path ID first when given) at `off`; returns the new offset. IPv4 text is parsed
 * by character codes: this runs once per prefix per peer and must not allocate.
 */
export function writePrefix(out: Uint8Array, off: number, prefix: string, pathId?: number): number {
  if (pathId !== undefined) {
    out[off] = pathId >>> 24;
    out[off + 1] = (pathId >>> 16) & 0xff;
    out[off + 2] = (pathId >>> 8) & 0xff;
    out[off + 3] = pathId & 0xff;
    off += 4;
  }
  const slash = prefix.lastIndexOf('/');
  let len = 0;
  for (let i = slash + 1; i < prefix.length; i++) len = len * 10 + prefix.charCodeAt(i) - 48;
  const n = (len + 7) >> 3;
  out[off] = len;
  if (prefix.charCodeAt(1) === 58 || prefix.indexOf(':') >= 0) {
    const bytes = ipv6ToBytes(prefix.slice(0, slash));
    for (let i = 0; i < n; i++) out[off + 1 + i] = bytes[i]!;
    return off + 1 + n;
  }
  let octet = 0;
  let k = 0;
  for (let i = 0; i <= slash && k < n; i++) {
    const c = prefix.charCodeAt(i);
    if (c === 46 || i === slash) {
      out[off + 1 + k++] = octet;
      octet = 0;
    } else octet = octet * 10 + c - 48;
  }
  return off + 1 + n;
}
