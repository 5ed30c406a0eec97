// UPDATE encoding (RFC 4271 §4.3, RFC 4760, RFC 6793 §4.2.2) and the packer that fills messages
// with as many prefixes sharing one attribute set as fit, MP_REACH/MP_UNREACH first, one NLRI carrier
// per UPDATE (RFC 7606 §5.1).
import { ipv4ToBytes, ipv6ToBytes } from '../prefix.js';
import { ENCODED_SPECS } from './attributes.js';
import {
  AFI_IPV4,
  ATTR,
  FLAG_EXTENDED,
  FLAG_OPTIONAL,
  HEADER_LENGTH,
  MAX_MESSAGE,
  MSG,
  SAFI_UNICAST,
} from './constants.js';
import { writePrefix, writePrefix4 } from './nlri.js';
import type { Attributes, Family, Nlri, UpdateMessage, WireContext } from './types.js';

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

/** The path attributes other than MP_REACH/MP_UNREACH, in type order (the attribute table's encoders). */
export function encodeAttributes(a: Attributes, ctx: WireContext): Buffer {
  const out: Buffer[] = [];
  for (const spec of ENCODED_SPECS) {
    const value = spec.encode!(a, ctx);
    if (value) out.push(attr(spec.flags, spec.code, value));
  }
  for (const o of a.unknown ?? []) out.push(attr(o.flags, o.type, Buffer.from(o.value, 'hex')));
  return Buffer.concat(out);
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

/** Room for a whole extended message plus one prefix written past the limit. */
const scratch = Buffer.alloc(65535 + 32);

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

/** `packUpdates` over any PrefixWriter (the speaker hands its RIB's numeric prefixes straight in). */
export function packPrefixes(
  family: Family,
  withdraw: PrefixWriter,
  announce: { attributes: Attributes; nextHop?: string; linkLocal?: string; prefixes: PrefixWriter }[],
  opts: PackOptions,
): Buffer[] {
  const out: Buffer[] = [];
  const max = (opts.maxMessage ?? MAX_MESSAGE) - HEADER_LENGTH - 4;
  const afi = family === 'ipv4' ? 1 : 2;
  const head = afiSafi(afi, SAFI_UNICAST);
  // Fills scratch with prefixes from `from` until `room` bytes; returns where it stopped. Write,
  // then check: scratch has room past any limit, and a prefix that does not fit is simply left for
  // the next message (the bytes written past `used` are overwritten).
  const fill = (w: PrefixWriter, from: number, room: number): [number, number] => {
    let used = 0;
    let i = from;
    for (; i < w.count; i++) {
      const end = w.write(i, scratch, used);
      if (end > room) break;
      used = end;
    }
    return [i, used];
  };
  const extHeader = 4; // MP attributes always take the extended-length form here when large
  const packWithdrawals = (w: PrefixWriter) => {
    for (let i = 0; i < w.count; ) {
      if (family === 'ipv4') {
        const [next, used] = fill(w, i, max);
        out.push(updateFrame(scratch.subarray(0, used), Buffer.alloc(0), Buffer.alloc(0)));
        i = next;
      } else {
        const [next, used] = fill(w, i, max - extHeader - head.length);
        out.push(
          updateFrame(
            Buffer.alloc(0),
            attr(FLAG_OPTIONAL, ATTR.MP_UNREACH, Buffer.concat([head, scratch.subarray(0, used)])),
            Buffer.alloc(0),
          ),
        );
        i = next;
      }
    }
  };
  packWithdrawals(withdraw);
  // Groups whose attributes leave no room for a single prefix within the size limit (4096 bytes
  // without RFC 8654): the peer cannot be told them, so it is told to withdraw them instead — it must
  // not keep an older, smaller version of the route as if it were current.
  const unsendable: PrefixWriter[] = [];
  for (const group of announce) {
    let nh = group.nextHop ?? group.attributes.nextHop ?? (family === 'ipv4' ? '0.0.0.0' : '::');
    const viaMp = family === 'ipv6' || nh.includes(':');
    // An IPv4 next hop for IPv6 NLRI travels IPv4-mapped (RFC 4291 §2.5.5.2), as BIRD and FRR send it.
    if (family === 'ipv6' && !nh.includes(':')) nh = `::ffff:${nh}`;
    const attrs = encodeAttributes(
      viaMp ? { ...group.attributes, nextHop: undefined } : { ...group.attributes, nextHop: nh },
      opts,
    );
    const nhb = viaMp ? nextHopBytes(nh, group.linkLocal) : Buffer.alloc(0);
    const mpHead = Buffer.concat([head, Buffer.from([nhb.length]), nhb, Buffer.from([0])]);
    for (let i = 0; i < group.prefixes.count; ) {
      if (!viaMp) {
        const [next, used] = fill(group.prefixes, i, max - attrs.length);
        if (next === i) {
          unsendable.push(from(group.prefixes, i));
          break;
        }
        out.push(updateFrame(Buffer.alloc(0), attrs, scratch.subarray(0, used)));
        i = next;
      } else {
        const [next, used] = fill(group.prefixes, i, max - attrs.length - extHeader - mpHead.length);
        if (next === i) {
          unsendable.push(from(group.prefixes, i));
          break;
        }
        const mp = attr(FLAG_OPTIONAL, ATTR.MP_REACH, Buffer.concat([mpHead, scratch.subarray(0, used)]));
        out.push(updateFrame(Buffer.alloc(0), Buffer.concat([mp, attrs]), Buffer.alloc(0)));
        i = next;
      }
    }
  }
  for (const w of unsendable) packWithdrawals(w);
  return out;
}

/** The prefixes of `w` from index `start` on. */
const from = (w: PrefixWriter, start: number): PrefixWriter => ({
  count: w.count - start,
  write: (i, out, off) => w.write(start + i, out, off),
});
