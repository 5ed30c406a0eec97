// The path attribute table: for each type code this codec knows, how its value is decoded and
// encoded, the Optional/Transitive flags it must carry, what RFC 7606 does when it is malformed, and
// the RFC sections that say so. decodeUpdate and encodeAttributes walk this table instead of each
// holding a switch, so an attribute is added (or checked against the RFCs) in one place.
import { bytesToIpv4, ipv4ToBytes } from '../prefix.js';
import { asPathBytes, readAsPath } from './as-path.js';
import { AS_TRANS, ATTR, FLAG_OPTIONAL, FLAG_TRANSITIVE } from './constants.js';
import { decodeMpReach, decodeMpUnreach, type MpTarget } from './mp-reach.js';
import type { AsSegment, Attributes, ErrorAction, WireContext } from './types.js';

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
   * The value to send for `a`, or undefined when `a` carries none. Absent for MP_REACH/MP_UNREACH:
   * the packer (update-encode.ts) writes them around the prefixes it fits.
   */
  encode?(a: Attributes, ctx: WireContext): Uint8Array | undefined;
}

const T = FLAG_TRANSITIVE;
const O = FLAG_OPTIONAL;
const OT = FLAG_OPTIONAL | FLAG_TRANSITIVE;

const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const u32Bytes = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
};
const big = (asn: number) => asn > 0xffff;

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
    encode: (a) => (a.origin === undefined ? undefined : Uint8Array.of(a.origin)),
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
    encode: (a, ctx) => (a.asPath ? asPathBytes(a.asPath, ctx.fourOctetAs) : undefined),
  },
  {
    code: ATTR.NEXT_HOP,
    name: 'NEXT_HOP',
    flags: T,
    onError: 'treat-as-withdraw',
    rfc: 'RFC 4271 §5.1.3, RFC 7606 §7.3',
    decode(v, d) {
      if (v.length !== 4) return 'length';
      d.attrs.nextHop = bytesToIpv4(v);
      return undefined;
    },
    encode: (a) => (a.nextHop ? ipv4ToBytes(a.nextHop) : undefined),
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
    encode: (a) => (a.med === undefined ? undefined : u32Bytes(a.med)),
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
    encode: (a) => (a.localPref === undefined ? undefined : u32Bytes(a.localPref)),
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
    encode: (a) => (a.atomicAggregate ? new Uint8Array() : undefined),
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
    encode(a, ctx) {
      if (!a.aggregator) return undefined;
      const { asn, address } = a.aggregator;
      const as2 = big(asn) ? AS_TRANS : asn;
      const head = ctx.fourOctetAs ? u32Bytes(asn) : Buffer.from([as2 >> 8, as2 & 0xff]);
      return Buffer.concat([head, ipv4ToBytes(address)]);
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
    encode: (a) => (a.communities?.length ? Buffer.concat(a.communities.map(u32Bytes)) : undefined),
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
    encode: (a) => (a.originatorId ? ipv4ToBytes(a.originatorId) : undefined),
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
    encode: (a) => (a.clusterList?.length ? Buffer.concat(a.clusterList.map((c) => ipv4ToBytes(c))) : undefined),
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
    encode: (a) =>
      a.extendedCommunities?.length
        ? Buffer.concat(a.extendedCommunities.map((c) => Buffer.from(c, 'hex')))
        : undefined,
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
    encode: (a, ctx) =>
      !ctx.fourOctetAs && a.asPath?.some((s) => s.asns.some(big))
        ? asPathBytes(
            a.asPath.filter((s) => s.type <= 2),
            true,
          )
        : undefined,
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
    encode: (a, ctx) =>
      !ctx.fourOctetAs && a.aggregator && big(a.aggregator.asn)
        ? Buffer.concat([u32Bytes(a.aggregator.asn), ipv4ToBytes(a.aggregator.address)])
        : undefined,
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
    encode: (a) =>
      a.largeCommunities?.length
        ? Buffer.concat(a.largeCommunities.map((c) => Buffer.concat(c.split(':').map((x) => u32Bytes(Number(x))))))
        : undefined,
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
