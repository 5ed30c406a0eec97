// UPDATE encoding (RFC 4271 §4.3, RFC 4760, RFC 6793 §4.2.2) and the packer that fills messages
// with as many prefixes sharing one attribute set as fit, MP_REACH/MP_UNREACH first, one NLRI carrier
// per UPDATE (RFC 7606 §5.1). The packer writes a whole batch of UPDATEs back to back into one
// buffer — attributes, headers and prefixes in place — because a table with a new attribute set
// every few prefixes needs an UPDATE per set: a Buffer per attribute and per message, and a socket
// write per message, were a fifth of the speaker's CPU on such a table.
import { ipv4ToBytes, ipv6ToBytes } from '../prefix.js';
import { ENCODED_SPECS } from './attributes.js';
import {
  AFI_IPV4,
  AFI_IPV6,
  ATTR,
  FLAG_EXTENDED,
  FLAG_OPTIONAL,
  HEADER_LENGTH,
  MAX_MESSAGE,
  MSG,
  SAFI_UNICAST,
} from './constants.js';
import { writePrefix, writePrefix4 } from './nlri.js';
import type { Attributes, AttributesToEncode, Family, Nlri, UpdateMessage, WireContext } from './types.js';

function attr(flags: number, type: number, value: Uint8Array): Buffer {
  if (value.length > 255) {
    const h = Buffer.from([flags | FLAG_EXTENDED, type, value.length >> 8, value.length & 0xff]);
    return Buffer.concat([h, value]);
  }
  return Buffer.concat([Buffer.from([flags & ~FLAG_EXTENDED, type, value.length]), value]);
}

function nlriBytes(n: Nlri): Buffer {
  const out = Buffer.alloc(n.prefixes.length * 21);
  let off = 0;
  for (let i = 0; i < n.prefixes.length; i++) off = writePrefix(out, off, n.prefixes[i]!, n.pathIds?.[i]);
  return out.subarray(0, off);
}

const afiSafi = (afi: number, safi: number) => Buffer.from([afi >> 8, afi & 0xff, safi]);

function nextHopBytes(nextHop: string, linkLocal?: string): Buffer {
  if (!nextHop.includes(':') && !linkLocal) return Buffer.from(ipv4ToBytes(nextHop));
  const g = Buffer.from(ipv6ToBytes(nextHop.includes(':') ? nextHop : `::ffff:${nextHop}`));
  return linkLocal ? Buffer.concat([g, ipv6ToBytes(linkLocal)]) : g;
}

function mpReach(m: NonNullable<Attributes['mpReach']>): Buffer {
  const nh = nextHopBytes(m.nextHop, m.linkLocal);
  return attr(
    FLAG_OPTIONAL,
    ATTR.MP_REACH,
    Buffer.concat([afiSafi(m.afi, m.safi), Buffer.from([nh.length]), nh, Buffer.from([0]), nlriBytes(m.nlri)]),
  );
}

/**
 * One attribute set's encoding is written here first (then copied into each message that carries
 * it). Twice the largest message: a set too large to send is found by its length, not cut short.
 */
const attrScratch = Buffer.allocUnsafe(2 * 65536);

/** Stands in for a set when the NEXT_HOP encoder runs: the packer decides where the next hop goes. */
const nextHopOnly: { nextHop: string | undefined } = { nextHop: undefined };

/**
 * The header of an attribute whose value was written from `off` + 3 up to `end`: 3 bytes, or 4 with
 * the extended length (RFC 4271 §4.3; the value moves up a byte) when the value passes 255 bytes.
 * Returns the offset after the attribute.
 */
function closeAttribute(out: Buffer, off: number, flags: number, type: number, end: number): number {
  const len = end - off - 3;
  if (len > 255) {
    out.copyWithin(off + 4, off + 3, end);
    out[off] = flags | FLAG_EXTENDED;
    out[off + 1] = type;
    out[off + 2] = len >> 8;
    out[off + 3] = len & 0xff;
    return end + 1;
  }
  out[off] = flags & ~FLAG_EXTENDED;
  out[off + 1] = type;
  out[off + 2] = len;
  return end;
}

/**
 * Writes the path attributes other than MP_REACH/MP_UNREACH at `off`, in type order (the attribute
 * table's encoders), then the unknown ones; returns the offset after them. `nextHop` stands in for
 * `a.nextHop` (undefined: no NEXT_HOP, the next hop travels in MP_REACH_NLRI).
 */
export function writeAttributes(
  a: AttributesToEncode,
  ctx: WireContext,
  out: Buffer,
  off: number,
  nextHop = a.nextHop,
): number {
  for (const spec of ENCODED_SPECS) {
    let from = a;
    if (spec.code === ATTR.NEXT_HOP) {
      nextHopOnly.nextHop = nextHop;
      from = nextHopOnly;
    }
    const end = spec.encode!(from, ctx, out, off + 3);
    if (end >= 0) off = closeAttribute(out, off, spec.flags, spec.code, end);
  }
  const unknown = a.unknown;
  if (unknown)
    for (const o of unknown)
      off = closeAttribute(out, off, o.flags, o.type, off + 3 + out.write(o.value, off + 3, 'hex'));
  return off;
}

/** The path attributes other than MP_REACH/MP_UNREACH, in type order (the attribute table's encoders). */
export function encodeAttributes(a: AttributesToEncode, ctx: WireContext): Buffer {
  return Buffer.from(attrScratch.subarray(0, writeAttributes(a, ctx, attrScratch, 0)));
}

function updateFrame(withdrawn: Uint8Array, attrs: Uint8Array, nlri: Uint8Array): Buffer {
  const len = HEADER_LENGTH + 4 + withdrawn.length + attrs.length + nlri.length;
  const out = Buffer.allocUnsafe(len);
  out.fill(0xff, 0, 16);
  out.writeUInt16BE(len, 16);
  out[18] = MSG.UPDATE;
  let o = HEADER_LENGTH;
  out.writeUInt16BE(withdrawn.length, o);
  out.set(withdrawn, o + 2);
  o += 2 + withdrawn.length;
  out.writeUInt16BE(attrs.length, o);
  out.set(attrs, o + 2);
  out.set(nlri, o + 2 + attrs.length);
  return out;
}

/** One UPDATE exactly as given (MP attributes first). The caller keeps it within the size limit. */
export function encodeUpdate(m: Omit<UpdateMessage, 'type'>, ctx: WireContext): Buffer {
  const parts: Buffer[] = [];
  const a = m.attributes;
  if (a.mpReach) parts.push(mpReach(a.mpReach));
  if (a.mpUnreach)
    parts.push(
      attr(
        FLAG_OPTIONAL,
        ATTR.MP_UNREACH,
        Buffer.concat([afiSafi(a.mpUnreach.afi, a.mpUnreach.safi), nlriBytes(a.mpUnreach.withdrawn)]),
      ),
    );
  parts.push(encodeAttributes(a, ctx));
  return updateFrame(nlriBytes(m.withdrawn), Buffer.concat(parts), nlriBytes(m.nlri));
}

/** RFC 4724 §2: an empty UPDATE (IPv4) or an UPDATE with only an empty MP_UNREACH_NLRI. */
export function encodeEndOfRib(afi: number, safi: number): Buffer {
  if (afi === AFI_IPV4 && safi === SAFI_UNICAST) return updateFrame(Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0));
  return updateFrame(Buffer.alloc(0), attr(FLAG_OPTIONAL, ATTR.MP_UNREACH, afiSafi(afi, safi)), Buffer.alloc(0));
}

export interface PackOptions extends WireContext {
  /** Message size limit (4096, or up to 65535 with RFC 8654). */
  maxMessage?: number;
}

/**
 * Prefixes as the packer reads them: `write` puts prefix `i` (path ID first when ADD-PATH applies)
 * at `off` in `out` and returns the offset after it. It may write up to 32 bytes past the prefix's
 * end (the packer's buffer has room, and those bytes are overwritten by the next prefix).
 */
export interface PrefixWriter {
  readonly count: number;
  write(i: number, out: Uint8Array, off: number): number;
}

/** A writer over prefixes as text (and RFC 7911 path IDs when `addPath`). */
export function textPrefixes(n: Nlri, family: Family, addPath: boolean): PrefixWriter {
  const { prefixes, pathIds } = n;
  if (addPath)
    return { count: prefixes.length, write: (i, out, off) => writePrefix(out, off, prefixes[i]!, pathIds?.[i] ?? 0) };
  if (family === 'ipv4')
    return { count: prefixes.length, write: (i, out, off) => writePrefix4(out, off, prefixes[i]!) };
  return { count: prefixes.length, write: (i, out, off) => writePrefix(out, off, prefixes[i]!) };
}

/**
 * Packs prefixes into UPDATEs. `attributes` apply to every prefix of `announce`; for IPv6 (and
 * whenever `nextHop` is IPv6) the prefixes go in MP_REACH_NLRI with `nextHop`/`linkLocal`.
 */
export function packUpdates(
  family: Family,
  withdraw: Nlri,
  announce: { attributes: Attributes; nextHop?: string; linkLocal?: string; nlri: Nlri }[],
  opts: PackOptions,
): Buffer[] {
  const addPath = opts.addPath?.[family] ?? false;
  return packPrefixes(
    family,
    textPrefixes(withdraw, family, addPath),
    announce.map((g) => ({ ...g, prefixes: textPrefixes(g.nlri, family, addPath) })),
    opts,
  );
}

/** A group of prefixes sharing one attribute set, as the packer takes it. */
export interface AnnounceGroup {
  attributes: AttributesToEncode;
  nextHop?: string;
  linkLocal?: string;
  prefixes: PrefixWriter;
}

/** A batch of UPDATE messages, back to back in one buffer (one socket write). */
export interface PackedUpdates {
  readonly bytes: Buffer;
  /** How many messages `bytes` holds. */
  readonly count: number;
}

/** MP attributes are written with room for the extended length (and moved down a byte if short). */
const EXT_HEADER = 4;
/** Beyond this the packer's buffer is let go after a batch (a batch of very large messages is rare). */
const KEEP_BUFFER = 1 << 20;

/** Where the packer writes a batch; grown on demand. */
let out = Buffer.allocUnsafe(0);
/** Bytes of prefixes the last `fill` wrote. */
let filled = 0;

/** Makes room for one more message (and the 32 bytes a prefix writer may write past it) at `o`. */
function reserve(o: number, maxMessage: number): void {
  const need = o + maxMessage + 64;
  if (need <= out.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(need, out.length * 2, 1 << 16));
  out.copy(bigger, 0, 0, o);
  out = bigger;
}

/**
 * Writes prefixes of `w` from `from` on at `at` while they fit in `room` bytes; returns the index it
 * stopped at (`filled` holds the bytes used). Write, then check: a prefix that does not fit is left
 * for the next message, and the bytes it wrote are overwritten.
 */
function fill(w: PrefixWriter, from: number, at: number, room: number): number {
  let used = 0;
  let i = from;
  for (; i < w.count; i++) {
    const end = w.write(i, out, at + used) - at;
    if (end > room) break;
    used = end;
  }
  filled = used;
  return i;
}

function put16(at: number, v: number): void {
  out[at] = v >> 8;
  out[at + 1] = v & 0xff;
}

/** The 19-byte header of the UPDATE at `o` (RFC 4271 §4.1). */
function header(o: number, len: number): void {
  out.fill(0xff, o, o + 16);
  put16(o + 16, len);
  out[o + 18] = MSG.UPDATE;
}

/**
 * Closes an MP attribute written with a 4-byte header at `at`, its value up to `end`: the short
 * header when the value fits in 255 bytes. Returns the offset after the attribute.
 */
function closeMp(at: number, type: number, end: number): number {
  const len = end - at - EXT_HEADER;
  if (len <= 255) {
    out.copyWithin(at + 3, at + 4, end);
    out[at] = FLAG_OPTIONAL;
    out[at + 1] = type;
    out[at + 2] = len;
    return end - 1;
  }
  out[at] = FLAG_OPTIONAL | FLAG_EXTENDED;
  out[at + 1] = type;
  put16(at + 2, len);
  return end;
}

/** `packUpdates` over any PrefixWriter (the speaker hands its RIB's numeric prefixes straight in). */
export function packPrefixes(
  family: Family,
  withdraw: PrefixWriter,
  announce: AnnounceGroup[],
  opts: PackOptions,
): Buffer[] {
  return splitMessages(packBatch(family, withdraw, announce, opts).bytes);
}

/** The messages of a packed batch, as views into its buffer. */
export function splitMessages(bytes: Buffer): Buffer[] {
  const msgs: Buffer[] = [];
  for (let o = 0; o < bytes.length; ) {
    const len = (bytes[o + 16]! << 8) | bytes[o + 17]!;
    msgs.push(bytes.subarray(o, o + len));
    o += len;
  }
  return msgs;
}

/** `packPrefixes` into one buffer: the withdrawals first, then each group's announcements. */
export function packBatch(
  family: Family,
  withdraw: PrefixWriter,
  announce: AnnounceGroup[],
  opts: PackOptions,
): PackedUpdates {
  const maxMessage = opts.maxMessage ?? MAX_MESSAGE;
  const max = maxMessage - HEADER_LENGTH - 4;
  const afi = family === 'ipv4' ? AFI_IPV4 : AFI_IPV6;
  let o = 0;
  let count = 0;
  const withdrawals = (w: PrefixWriter) => {
    for (let i = 0; i < w.count; ) {
      reserve(o, maxMessage);
      const body = o + HEADER_LENGTH;
      let end: number;
      if (family === 'ipv4') {
        i = fill(w, i, body + 2, max);
        put16(body, filled);
        end = body + 2 + filled;
        put16(end, 0);
        end += 2;
      } else {
        put16(body, 0);
        const at = body + 4;
        put16(at + 4, afi);
        out[at + 6] = SAFI_UNICAST;
        i = fill(w, i, at + 7, max - EXT_HEADER - 3);
        end = closeMp(at, ATTR.MP_UNREACH, at + 7 + filled);
        put16(body + 2, end - at);
      }
      header(o, end - o);
      o = end;
      count++;
    }
  };
  withdrawals(withdraw);
  // Groups whose attributes leave no room for a single prefix within the size limit (4096 bytes
  // without RFC 8654): the peer cannot be told them, so it is told to withdraw them instead — it must
  // not keep an older, smaller version of the route as if it were current.
  const unsendable: PrefixWriter[] = [];
  for (const group of announce) {
    let nh = group.nextHop ?? group.attributes.nextHop ?? (family === 'ipv4' ? '0.0.0.0' : '::');
    const viaMp = family === 'ipv6' || nh.includes(':');
    // An IPv4 next hop for IPv6 NLRI travels IPv4-mapped (RFC 4291 §2.5.5.2), as BIRD and FRR send it.
    if (family === 'ipv6' && !nh.includes(':')) nh = `::ffff:${nh}`;
    const alen = writeAttributes(group.attributes, opts, attrScratch, 0, viaMp ? undefined : nh);
    const nhb = viaMp ? nextHopBytes(nh, group.linkLocal) : undefined;
    // MP_REACH_NLRI's fixed part: AFI, SAFI, next-hop length, next hop, reserved (RFC 4760 §3).
    const mpHead = nhb ? 5 + nhb.length : 0;
    const room = max - alen - (nhb ? EXT_HEADER + mpHead : 0);
    const w = group.prefixes;
    for (let i = 0; i < w.count; ) {
      if (room < 0) {
        unsendable.push(from(w, i));
        break;
      }
      reserve(o, maxMessage);
      const body = o + HEADER_LENGTH;
      put16(body, 0);
      let next: number;
      let end: number;
      if (!nhb) {
        attrScratch.copy(out, body + 4, 0, alen);
        next = fill(w, i, body + 4 + alen, room);
        put16(body + 2, alen);
        end = body + 4 + alen + filled;
      } else {
        const at = body + 4;
        let p = at + EXT_HEADER;
        put16(p, afi);
        out[p + 2] = SAFI_UNICAST;
        out[p + 3] = nhb.length;
        out.set(nhb, p + 4);
        p += 4 + nhb.length;
        out[p++] = 0;
        next = fill(w, i, p, room);
        const mpEnd = closeMp(at, ATTR.MP_REACH, p + filled);
        attrScratch.copy(out, mpEnd, 0, alen);
        end = mpEnd + alen;
        put16(body + 2, end - at);
      }
      if (next === i) {
        unsendable.push(from(w, i));
        break;
      }
      header(o, end - o);
      o = end;
      count++;
      i = next;
    }
  }
  for (const w of unsendable) withdrawals(w);
  const bytes = Buffer.allocUnsafe(o);
  out.copy(bytes, 0, 0, o);
  if (out.length > KEEP_BUFFER) out = Buffer.allocUnsafe(0);
  return { bytes, count };
}

/** The prefixes of `w` from index `start` on. */
const from = (w: PrefixWriter, start: number): PrefixWriter => ({
  count: w.count - start,
  write: (i, out, off) => w.write(start + i, out, off),
});
