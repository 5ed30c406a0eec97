// The path attribute table: for each type code this codec knows, how its value is decoded and
// encoded, the Optional/Transitive flags it must carry, what RFC 7606 does when it is malformed, and
// the RFC sections that say so. decodeUpdate and encodeAttributes walk this table instead of each
// holding a switch, so an attribute is added (or checked against the RFCs) in one place.
import { bytesToIpv4 } from '../prefix.js';
import { readAsPath, writeAsPath } from './as-path.js';
import { AS_TRANS, ATTR, FLAG_OPTIONAL, FLAG_TRANSITIVE } from './constants.js';
import { decodeMpReach, decodeMpUnreach, type MpTarget } from './mp-reach.js';
import type { AsSegment, AttributesToEncode, ErrorAction, WireContext } from './types.js';

/** What an attribute's decoder writes into: the message's attributes, and the AS4_* values kept for the merge. */
export interface AttrDecoding extends MpTarget {
  /** RFC 6793 §4.2.3: merged into AS_PATH/AGGREGATOR once every attribute is read. */
  as4Path?: AsSegment[];
  as4Aggregator?: { asn: number; address: string };
}

export interface AttrSpec {
  readonly code: number;
  readonly name: string;
  /** The Optional and Transitive bits the attribute must carry (RFC 4271 §5; RFC 7606 §3 (c) if not). */
  readonly flags: number;
  /** RFC 7606 action for a malformed value (or wrong flags). */
  readonly onError: ErrorAction;
  /** Where the attribute and its error handling are defined. */
  readonly rfc: string;
  /** RFC 7606 §7.5, §7.9, §7.10: an external peer's copy is discarded, whatever it holds. */
  readonly ibgpOnly?: boolean;
  /** Reads the value into `d.attrs`; returns why it is malformed, or undefined. */
  decode(v: Buffer, d: AttrDecoding): string | undefined;
  /**
   * Writes the value to send for `a` at `off` in `out` and returns the offset after it, or -1 when
   * `a` carries none (the caller writes the attribute header). Straight into the caller's buffer:
   * an UPDATE per attribute set made a dozen small Buffers per set when each value was its own.
   * Absent for MP_REACH/MP_UNREACH: the packer (update-encode.ts) writes them around the prefixes.
   */
  encode?(a: AttributesToEncode, ctx: WireContext, out: Buffer, off: number): number;
}

const T = FLAG_TRANSITIVE;
const O = FLAG_OPTIONAL;
const OT = FLAG_OPTIONAL | FLAG_TRANSITIVE;

const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
/** Writes `n` as 4 bytes, big-endian; returns the offset after. */
function putU32(out: Uint8Array, off: number, n: number): number {
  out[off] = n >>> 24;
  out[off + 1] = (n >>> 16) & 0xff;
  out[off + 2] = (n >>> 8) & 0xff;
  out[off + 3] = n & 0xff;
  return off + 4;
}

/** Writes dotted-quad text as 4 bytes without building an array (a part that is not a number counts 0). */
function putIpv4(out: Uint8Array, off: number, text: string): number {
  let part = 0;
  let v = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      out[off + part++] = v;
      v = 0;
      if (part === 4) break;
    } else v = v * 10 + (c - 48);
  }
  if (part < 4) out[off + part++] = v;
  while (part < 4) out[off + part++] = 0;
  return off + 4;
}

/** Writes "global:local1:local2" (RFC 8092) as 12 bytes. */
function putLargeCommunity(out: Uint8Array, off: number, text: string): number {
  let v = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 58 /* : */) {
      off = putU32(out, off, v);
      v = 0;
    } else v = v * 10 + (c - 48);
  }
  return putU32(out, off, v);
}

/** Writes hex text as bytes (extended communities and unknown attributes are held as hex). */
const putHex = (out: Buffer, off: number, hex: string): number => off + out.write(hex, off, 'hex');
const big = (asn: number) => asn > 0xffff;

/**
 * The text of the last IPv4 next hop read, reused while the next hop repeats (a peer's UPDATEs
 * mostly carry the same one): the attribute sets made from them then share one string.
 */
let lastNextHop = -1;
let lastNextHopText = '';
function nextHopText(n: number, v: Uint8Array): string {
  if (n !== lastNextHop) {
    lastNextHop = n;
    lastNextHopText = bytesToIpv4(v);
  }
  return lastNextHopText;
}

/** A value that is a list of `size`-byte items: never empty, a whole number of items. */
const listLength = (len: number, size: number) => (len === 0 || len % size !== 0 ? 'length' : undefined);

/** RFC 4271 §5.1.7 AGGREGATOR (2-octet AS) / RFC 6793 §3 (4-octet AS, and AS4_AGGREGATOR). */
function readAggregator(v: Uint8Array, four: boolean): { asn: number; address: string } {
  return four
    ? { asn: u32(v, 0), address: bytesToIpv4(v.subarray(4, 8)) }
    : { asn: u16(v, 0), address: bytesToIpv4(v.subarray(2, 6)) };
}

const SPECS: AttrSpec[] = [
  {
    code: ATTR.ORIGIN,
    name: 'ORIGIN',
    flags: T,
    onError: 'treat-as-withdraw',
    rfc: 'RFC 4271 §5.1.1, RFC 7606 §7.1',
    decode(v, d) {
      if (v.length !== 1) return 'length';
      if (v[0]! > 2) return 'value';
      d.attrs.origin = v[0]!;
      return undefined;
    },
    encode(a, _ctx, out, off) {
      if (a.origin === undefined) return -1;
      out[off] = a.origin;
      return off + 1;
    },
  },
  {
    code: ATTR.AS_PATH,
    name: 'AS_PATH',
    flags: T,
    onError: 'treat-as-withdraw',
    rfc: 'RFC 4271 §5.1.2, RFC 6793 §4, RFC 7606 §7.2',
    decode(v, d) {
      const segs = readAsPath(v, d.ctx.fourOctetAs);
      if (!segs) return 'malformed segments';
      d.attrs.asPath = segs;
      return undefined;
    },
    encode: (a, ctx, out, off) => (a.asPath ? writeAsPath(out, off, a.asPath, ctx.fourOctetAs) : -1),
  },
  {
    code: ATTR.NEXT_HOP,
    name: 'NEXT_HOP',
    flags: T,
    onError: 'treat-as-withdraw',
    rfc: 'RFC 4271 §5.1.3, RFC 7606 §7.3',
    decode(v, d) {
      if (v.length !== 4) return 'length';
      d.attrs.nextHop = nextHopText(u32(v, 0), v);
      return undefined;
    },
    encode: (a, _ctx, out, off) => (a.nextHop ? putIpv4(out, off, a.nextHop) : -1),
  },
  {
    code: ATTR.MED,
    name: 'MULTI_EXIT_DISC',
    flags: O,
    onError: 'treat-as-withdraw',
    rfc: 'RFC 4271 §5.1.4, RFC 7606 §7.4',
    decode(v, d) {
      if (v.length !== 4) return 'length';
      d.attrs.med = u32(v, 0);
      return undefined;
    },
    encode: (a, _ctx, out, off) => (a.med === undefined ? -1 : putU32(out, off, a.med)),
  },
  {
    code: ATTR.LOCAL_PREF,
    name: 'LOCAL_PREF',
    flags: T,
    onError: 'treat-as-withdraw',
    rfc: 'RFC 4271 §5.1.5, RFC 7606 §7.5',
    ibgpOnly: true,
    decode(v, d) {
      if (v.length !== 4) return 'length';
      d.attrs.localPref = u32(v, 0);
      return undefined;
    },
    encode: (a, _ctx, out, off) => (a.localPref === undefined ? -1 : putU32(out, off, a.localPref)),
  },
  {
    code: ATTR.ATOMIC_AGGREGATE,
    name: 'ATOMIC_AGGREGATE',
    flags: T,
    onError: 'attribute-discard',
    rfc: 'RFC 4271 §5.1.6, RFC 7606 §7.6',
    decode(v, d) {
      if (v.length !== 0) return 'length';
      d.attrs.atomicAggregate = true;
      return undefined;
    },
    encode: (a, _ctx, _out, off) => (a.atomicAggregate ? off : -1),
  },
  {
    code: ATTR.AGGREGATOR,
    name: 'AGGREGATOR',
    flags: OT,
    onError: 'attribute-discard',
    rfc: 'RFC 4271 §5.1.7, RFC 6793 §4, RFC 7606 §7.7',
    decode(v, d) {
      const four = d.ctx.fourOctetAs;
      if (v.length !== (four ? 8 : 6)) return 'length';
      d.attrs.aggregator = readAggregator(v, four);
      return undefined;
    },
    encode(a, ctx, out, off) {
      if (!a.aggregator) return -1;
      const { asn, address } = a.aggregator;
      if (ctx.fourOctetAs) off = putU32(out, off, asn);
      else {
        const as2 = big(asn) ? AS_TRANS : asn;
        out[off++] = as2 >> 8;
        out[off++] = as2 & 0xff;
      }
      return putIpv4(out, off, address);
    },
  },
  {
    code: ATTR.COMMUNITIES,
    name: 'COMMUNITIES',
    flags: OT,
    onError: 'treat-as-withdraw',
    rfc: 'RFC 1997, RFC 7606 §7.8',
    decode(v, d) {
      const bad = listLength(v.length, 4);
      if (bad) return bad;
      const c: number[] = [];
      for (let i = 0; i < v.length; i += 4) c.push(u32(v, i));
      d.attrs.communities = c;
      return undefined;
    },
    encode(a, _ctx, out, off) {
      if (!a.communities?.length) return -1;
      for (const c of a.communities) off = putU32(out, off, c);
      return off;
    },
  },
  {
    code: ATTR.ORIGINATOR_ID,
    name: 'ORIGINATOR_ID',
    flags: O,
    onError: 'treat-as-withdraw',
    rfc: 'RFC 4456 §8, RFC 7606 §7.9',
    ibgpOnly: true,
    decode(v, d) {
      if (v.length !== 4) return 'length';
      d.attrs.originatorId = bytesToIpv4(v);
      return undefined;
    },
    encode: (a, _ctx, out, off) => (a.originatorId ? putIpv4(out, off, a.originatorId) : -1),
  },
  {
    code: ATTR.CLUSTER_LIST,
    name: 'CLUSTER_LIST',
    flags: O,
    onError: 'treat-as-withdraw',
    rfc: 'RFC 4456 §8, RFC 7606 §7.10',
    ibgpOnly: true,
    decode(v, d) {
      const bad = listLength(v.length, 4);
      if (bad) return bad;
      const c: string[] = [];
      for (let i = 0; i < v.length; i += 4) c.push(bytesToIpv4(v.subarray(i, i + 4)));
      d.attrs.clusterList = c;
      return undefined;
    },
    encode(a, _ctx, out, off) {
      if (!a.clusterList?.length) return -1;
      for (const c of a.clusterList) off = putIpv4(out, off, c);
      return off;
    },
  },
  {
    code: ATTR.MP_REACH,
    name: 'MP_REACH_NLRI',
    flags: O,
    onError: 'session-reset',
    rfc: 'RFC 4760 §3, RFC 8950, RFC 7606 §7.11',
    decode: decodeMpReach,
  },
  {
    code: ATTR.MP_UNREACH,
    name: 'MP_UNREACH_NLRI',
    flags: O,
    onError: 'session-reset',
    rfc: 'RFC 4760 §4, RFC 7606 §7.12',
    decode: decodeMpUnreach,
  },
  {
    code: ATTR.EXTENDED_COMMUNITIES,
    name: 'EXTENDED_COMMUNITIES',
    flags: OT,
    onError: 'treat-as-withdraw',
    rfc: 'RFC 4360 §2, RFC 7606 §7.14',
    decode(v, d) {
      const bad = listLength(v.length, 8);
      if (bad) return bad;
      const c: string[] = [];
      for (let i = 0; i < v.length; i += 8) c.push(v.subarray(i, i + 8).toString('hex'));
      d.attrs.extendedCommunities = c;
      return undefined;
    },
    encode(a, _ctx, out, off) {
      if (!a.extendedCommunities?.length) return -1;
      for (const c of a.extendedCommunities) off = putHex(out, off, c);
      return off;
    },
  },
  {
    code: ATTR.AS4_PATH,
    name: 'AS4_PATH',
    flags: OT,
    onError: 'attribute-discard',
    rfc: 'RFC 6793 §3, §6',
    decode(v, d) {
      const segs = readAsPath(v, true);
      if (!segs) return 'malformed segments';
      d.as4Path = segs;
      return undefined;
    },
    // RFC 6793 §4.2.2: toward an old speaker, 4-octet numbers travel in AS4_PATH, without the
    // confederation segments.
    encode: (a, ctx, out, off) =>
      !ctx.fourOctetAs && a.asPath?.some((s) => s.asns.some(big))
        ? writeAsPath(
            out,
            off,
            a.asPath.filter((s) => s.type <= 2),
            true,
          )
        : -1,
  },
  {
    code: ATTR.AS4_AGGREGATOR,
    name: 'AS4_AGGREGATOR',
    flags: OT,
    onError: 'attribute-discard',
    rfc: 'RFC 6793 §3, §6',
    decode(v, d) {
      if (v.length !== 8) return 'length';
      d.as4Aggregator = readAggregator(v, true);
      return undefined;
    },
    encode: (a, ctx, out, off) =>
      !ctx.fourOctetAs && a.aggregator && big(a.aggregator.asn)
        ? putIpv4(out, putU32(out, off, a.aggregator.asn), a.aggregator.address)
        : -1,
  },
  {
    code: ATTR.LARGE_COMMUNITY,
    name: 'LARGE_COMMUNITY',
    flags: OT,
    onError: 'treat-as-withdraw',
    rfc: 'RFC 8092 §3, §5',
    decode(v, d) {
      const bad = listLength(v.length, 12);
      if (bad) return bad;
      const c: string[] = [];
      for (let i = 0; i < v.length; i += 12) c.push(`${u32(v, i)}:${u32(v, i + 4)}:${u32(v, i + 8)}`);
      d.attrs.largeCommunities = c;
      return undefined;
    },
    encode(a, _ctx, out, off) {
      if (!a.largeCommunities?.length) return -1;
      for (const c of a.largeCommunities) off = putLargeCommunity(out, off, c);
      return off;
    },
  },
];

/** The table, indexed by type code (undefined for codes this codec does not interpret). */
export const ATTRIBUTE_SPECS: readonly (AttrSpec | undefined)[] = (() => {
  const byCode = new Array<AttrSpec | undefined>(256).fill(undefined);
  for (const s of SPECS) byCode[s.code] = s;
  return byCode;
})();

/** The specs that encode, in type-code order (the order encodeAttributes writes them). */
export const ENCODED_SPECS: readonly AttrSpec[] = SPECS.filter((s) => s.encode).sort((a, b) => a.code - b.code);
