// AS_PATH values (RFC 4271 §4.3, RFC 5065 §3 confederation segments, RFC 6793 AS4_PATH): reading,
// writing in 2- or 4-octet form, and merging AS4_PATH into a path from an old (2-octet) speaker.
import { AS_TRANS, SEG } from './constants.js';
import type { AsSegment } from './types.js';

const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;

/** The segments of an AS_PATH / AS4_PATH value; undefined when malformed (RFC 7606 §7.2). */
export function readAsPath(v: Uint8Array, four: boolean): AsSegment[] | undefined {
  const segs: AsSegment[] = [];
  const w = four ? 4 : 2;
  let off = 0;
  while (off < v.length) {
    if (off + 2 > v.length) return undefined;
    const type = v[off]!;
    const count = v[off + 1]!;
    // RFC 7606 §7.2: unknown segment type, zero-length segment or overrun → malformed.
    if (type < SEG.AS_SET || type > SEG.CONFED_SET || count === 0 || off + 2 + count * w > v.length) return undefined;
    const asns: number[] = [];
    for (let i = 0; i < count; i++) asns.push(four ? u32(v, off + 2 + i * 4) : u16(v, off + 2 + i * 2));
    segs.push({ type, asns });
    off += 2 + count * w;
  }
  return segs;
}

/**
 * Writes an AS_PATH value at `off` and returns the offset after it; toward an old speaker (`four`
 * false) 4-octet numbers become AS_TRANS (RFC 6793 §4.2.2).
 */
export function writeAsPath(
  out: Uint8Array,
  off: number,
  segs: readonly { readonly type: number; readonly asns: readonly number[] }[],
  four: boolean,
): number {
  for (const s of segs) {
    const asns = s.asns;
    // RFC 4271 §4.3: a segment holds at most 255 ASes; longer ones are split.
    for (let i = 0; i < asns.length; i += 255) {
      const n = Math.min(255, asns.length - i);
      out[off++] = s.type;
      out[off++] = n;
      for (let j = i; j < i + n; j++) {
        const asn = asns[j]!;
        if (four) {
          out[off++] = asn >>> 24;
          out[off++] = (asn >>> 16) & 0xff;
          out[off++] = (asn >>> 8) & 0xff;
          out[off++] = asn & 0xff;
        } else {
          const as2 = asn > 0xffff ? AS_TRANS : asn;
          out[off++] = as2 >> 8;
          out[off++] = as2 & 0xff;
        }
      }
    }
  }
  return off;
}

/** RFC 4271 §9.1.2.2 (a) path length: a set counts 1, confederation segments 0 (RFC 6793 §4.2.3 uses it). */
const pathCount = (segs: AsSegment[]) =>
  segs.reduce((n, s) => n + (s.type === SEG.AS_SEQUENCE ? s.asns.length : s.type === SEG.AS_SET ? 1 : 0), 0);

/** RFC 6793 §4.2.3: AS4_PATH stands in for the tail of AS_PATH when it is not longer. */
export function mergeAs4Path(asPath: AsSegment[], as4: AsSegment[]): AsSegment[] {
  const n = pathCount(asPath);
  const m = pathCount(as4);
  if (m > n) return asPath;
  let take = n - m;
  const head: AsSegment[] = [];
  for (const s of asPath) {
    if (take <= 0 && s.type !== SEG.CONFED_SEQUENCE && s.type !== SEG.CONFED_SET) break;
    if (s.type === SEG.AS_SEQUENCE) {
      const k = Math.min(take, s.asns.length);
      if (k > 0) head.push({ type: s.type, asns: s.asns.slice(0, k) });
      take -= k;
    } else if (s.type === SEG.AS_SET) {
      head.push(s);
      take -= 1;
    } else head.push(s);
  }
  // Adjacent sequences join, so the merge reads as the router meant it.
  const last = head[head.length - 1];
  const first = as4[0];
  if (last && first && last.type === SEG.AS_SEQUENCE && first.type === SEG.AS_SEQUENCE)
    return [...head.slice(0, -1), { type: SEG.AS_SEQUENCE, asns: [...last.asns, ...first.asns] }, ...as4.slice(1)];
  return [...head, ...as4];
}
