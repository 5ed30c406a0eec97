// UPDATE decoding (RFC 4271 §4.3, RFC 4760, RFC 6793, RFC 7911) with RFC 7606 revised error handling:
// every error found becomes data — an action (attribute discard < treat-as-withdraw < session reset,
// the strongest wins) and, for a reset, the NOTIFICATION to send.
import { Parser } from 'binary-parser';
import { bytesToIpv4, bytesToIpv6 } from '../rib/prefix.js';
import {
  AFI_IPV4,
  AFI_IPV6,
  AS_TRANS,
  ATTR,
  ERR,
  FLAG_EXTENDED,
  FLAG_OPTIONAL,
  FLAG_PARTIAL,
  FLAG_TRANSITIVE,
  SAFI_UNICAST,
  SEG,
  UPDATE_SUB,
} from './constants.js';
import { readNlri } from './nlri.js';
import type {
  AsSegment,
  Attributes,
  Decoded,
  ErrorAction,
  Family,
  Nlri,
  Notify,
  UpdateMessage,
  WireContext,
} from './types.js';

// Fixed-layout attribute values, parsed by binary-parser parsers built once (lengths are checked first).
const ipv4Text = (b: number[]) => `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
/** RFC 4271 §5.1.7 AGGREGATOR (2-octet AS) / RFC 6793 §3 (4-octet AS and AS4_AGGREGATOR). */
const aggregator2 = new Parser().uint16be('asn').array('address', { type: 'uint8', length: 4, formatter: ipv4Text });
const aggregator4 = new Parser().uint32be('asn').array('address', { type: 'uint8', length: 4, formatter: ipv4Text });
/** RFC 4760 §3/§4: AFI, SAFI (and next hop length for MP_REACH_NLRI). */
const mpReachHead = new Parser().uint16be('afi').uint8('safi').uint8('nhLen');
const mpUnreachHead = new Parser().uint16be('afi').uint8('safi');

const RANK: Record<ErrorAction, number> = {
  none: 0,
  'attribute-discard': 1,
  'treat-as-withdraw': 2,
  'session-reset': 3,
};

/** Expected Optional/Transitive flags and the RFC 7606 §7 action for a malformed value, per attribute. */
const SPEC: Record<number, { flags: number; onError: ErrorAction }> = {
  [ATTR.ORIGIN]: { flags: FLAG_TRANSITIVE, onError: 'treat-as-withdraw' }, // §7.1
  [ATTR.AS_PATH]: { flags: FLAG_TRANSITIVE, onError: 'treat-as-withdraw' }, // §7.2
  [ATTR.NEXT_HOP]: { flags: FLAG_TRANSITIVE, onError: 'treat-as-withdraw' }, // §7.3
  [ATTR.MED]: { flags: FLAG_OPTIONAL, onError: 'treat-as-withdraw' }, // §7.4
  [ATTR.LOCAL_PREF]: { flags: FLAG_TRANSITIVE, onError: 'treat-as-withdraw' }, // §7.5
  [ATTR.ATOMIC_AGGREGATE]: { flags: FLAG_TRANSITIVE, onError: 'attribute-discard' }, // §7.6
  [ATTR.AGGREGATOR]: { flags: FLAG_OPTIONAL | FLAG_TRANSITIVE, onError: 'attribute-discard' }, // §7.7
  [ATTR.COMMUNITIES]: { flags: FLAG_OPTIONAL | FLAG_TRANSITIVE, onError: 'treat-as-withdraw' }, // §7.8
  [ATTR.ORIGINATOR_ID]: { flags: FLAG_OPTIONAL, onError: 'treat-as-withdraw' }, // §7.9
  [ATTR.CLUSTER_LIST]: { flags: FLAG_OPTIONAL, onError: 'treat-as-withdraw' }, // §7.10
  [ATTR.MP_REACH]: { flags: FLAG_OPTIONAL, onError: 'session-reset' }, // §7.11
  [ATTR.MP_UNREACH]: { flags: FLAG_OPTIONAL, onError: 'session-reset' }, // §7.12
  [ATTR.EXTENDED_COMMUNITIES]: { flags: FLAG_OPTIONAL | FLAG_TRANSITIVE, onError: 'treat-as-withdraw' }, // §7.14
  [ATTR.AS4_PATH]: { flags: FLAG_OPTIONAL | FLAG_TRANSITIVE, onError: 'attribute-discard' }, // RFC 6793 §6
  [ATTR.AS4_AGGREGATOR]: { flags: FLAG_OPTIONAL | FLAG_TRANSITIVE, onError: 'attribute-discard' }, // RFC 6793 §6
  [ATTR.LARGE_COMMUNITY]: { flags: FLAG_OPTIONAL | FLAG_TRANSITIVE, onError: 'treat-as-withdraw' }, // RFC 8092 §5
};

export const familyOf = (afi: number, safi: number): Family | undefined =>
  safi !== SAFI_UNICAST ? undefined : afi === AFI_IPV4 ? 'ipv4' : afi === AFI_IPV6 ? 'ipv6' : undefined;

class Errors {
  action: ErrorAction = 'none';
  notification?: Notify;
  list: string[] = [];
  add(action: ErrorAction, error: string, notification?: Notify): void {
    this.list.push(error);
    if (RANK[action] > RANK[this.action]) {
      this.action = action;
      if (notification) this.notification = notification;
    }
    if (action === 'session-reset' && !this.notification) this.notification = notification;
  }
  result(message: UpdateMessage): Decoded {
    if (this.action === 'session-reset')
      return {
        action: 'session-reset',
        notification: this.notification ?? { code: ERR.UPDATE, subcode: UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST },
        errors: this.list,
      };
    return { message, action: this.action, errors: this.list };
  }
}

const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;

function readAsPath(v: Uint8Array, four: boolean): AsSegment[] | undefined {
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

/** Prefixes in a field, whether read as text or left in wire form. */
export const nlriCount = (n: Nlri): number => (n.wire ? n.wire.count : n.prefixes.length);

/** Decodes an UPDATE body (after the 19-byte header). Never throws on any input. */
export function decodeUpdate(b: Buffer, ctx: WireContext): Decoded {
  const errs = new Errors();
  const empty: UpdateMessage = { type: 'update', withdrawn: { prefixes: [] }, attributes: {}, nlri: { prefixes: [] } };
  const malformedList = { code: ERR.UPDATE, subcode: UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST };
  // RFC 7606 §4: the lengths must fit the message, else the NLRI cannot be located → reset.
  if (b.length < 4) {
    errs.add('session-reset', 'UPDATE too short', malformedList);
    return errs.result(empty);
  }
  const wlen = u16(b, 0);
  if (2 + wlen + 2 > b.length) {
    errs.add('session-reset', 'withdrawn routes length overrun', malformedList);
    return errs.result(empty);
  }
  const alen = u16(b, 2 + wlen);
  const aStart = 4 + wlen;
  const aEnd = aStart + alen;
  if (aEnd > b.length) {
    errs.add('session-reset', 'total path attribute length overrun', malformedList);
    return errs.result(empty);
  }
  // RFC 7606 §5.3: an unparseable NLRI or withdrawn field → session reset.
  const withdrawn = readNlri(b, 2, 2 + wlen, 'ipv4', ctx.addPath?.ipv4, ctx.wireNlri);
  const nlri = readNlri(b, aEnd, b.length, 'ipv4', ctx.addPath?.ipv4, ctx.wireNlri);
  if (!withdrawn || !nlri) {
    errs.add('session-reset', `unparseable ${withdrawn ? 'NLRI' : 'withdrawn routes'}`, {
      code: ERR.UPDATE,
      subcode: UPDATE_SUB.INVALID_NETWORK_FIELD,
    });
    return errs.result(empty);
  }
  const message: UpdateMessage = { type: 'update', withdrawn, attributes: {}, nlri };
  const a: Attributes = message.attributes;
  const seen = new Set<number>();
  let as4Path: AsSegment[] | undefined;
  let as4Aggregator: { asn: number; address: string } | undefined;
  let off = aStart;
  while (off < aEnd) {
    // RFC 7606 §4: an attribute header or value running past the attribute field.
    const ext = off < aEnd ? (b[off]! & FLAG_EXTENDED) !== 0 : false;
    if (off + (ext ? 4 : 3) > aEnd || off + (ext ? 4 : 3) + (ext ? u16(b, off + 2) : b[off + 2]!) > aEnd) {
      overrun(errs, message, seen);
      break;
    }
    const flags = b[off]!;
    const type = b[off + 1]!;
    const len = ext ? u16(b, off + 2) : b[off + 2]!;
    const vs = off + (ext ? 4 : 3);
    const v = b.subarray(vs, vs + len);
    off = vs + len;
    // RFC 7606 §3 (g): a repeated MP_REACH/MP_UNREACH resets; other repeats: all but the first are discarded.
    if (seen.has(type)) {
      if (type === ATTR.MP_REACH || type === ATTR.MP_UNREACH)
        errs.add('session-reset', `repeated attribute ${type}`, malformedList);
      else errs.add('attribute-discard', `repeated attribute ${type}`);
      continue;
    }
    seen.add(type);
    const spec = SPEC[type];
    if (!spec) {
      // RFC 4271 §6.3: an unrecognized well-known attribute is an error; optional ones pass on,
      // transitive with the Partial bit set (RFC 4271 §5), non-transitive quietly dropped.
      if ((flags & FLAG_OPTIONAL) === 0) {
        errs.add('session-reset', `unrecognized well-known attribute ${type}`, {
          code: ERR.UPDATE,
          subcode: UPDATE_SUB.UNRECOGNIZED_WELL_KNOWN,
          data: b.subarray(vs - (ext ? 4 : 3), off),
        });
        continue;
      }
      if (flags & FLAG_TRANSITIVE) {
        const unknown = a.unknown ?? [];
        a.unknown = unknown;
        unknown.push({ flags: (flags | FLAG_PARTIAL) & ~FLAG_EXTENDED, type, value: v.toString('hex') });
      }
      continue;
    }
    // RFC 7606 §3 (c): wrong Optional/Transitive bits → the attribute's own malformed handling.
    if ((flags & (FLAG_OPTIONAL | FLAG_TRANSITIVE)) !== spec.flags) {
      errs.add(
        spec.onError,
        `attribute ${type} flags 0x${flags.toString(16)}`,
        attrNotify(spec.onError, UPDATE_SUB.ATTRIBUTE_FLAGS, b, vs, off, ext),
      );
      continue;
    }
    const bad = (why: string) =>
      errs.add(
        spec.onError,
        `attribute ${type}: ${why}`,
        attrNotify(spec.onError, UPDATE_SUB.ATTRIBUTE_LENGTH, b, vs, off, ext),
      );
    switch (type) {
      case ATTR.ORIGIN:
        if (len !== 1 || v[0]! > 2) bad(len !== 1 ? 'length' : 'value');
        else a.origin = v[0]!;
        break;
      case ATTR.AS_PATH: {
        const segs = readAsPath(v, ctx.fourOctetAs);
        if (segs) a.asPath = segs;
        else bad('malformed segments');
        break;
      }
      case ATTR.NEXT_HOP:
        if (len !== 4) bad('length');
        else a.nextHop = bytesToIpv4(v);
        break;
      case ATTR.MED:
        if (len !== 4) bad('length');
        else a.med = u32(v, 0);
        break;
      case ATTR.LOCAL_PREF:
        // RFC 7606 §7.5: from an external neighbour it is discarded, whatever it holds.
        if (ctx.ebgp) errs.add('attribute-discard', 'LOCAL_PREF from an eBGP peer');
        else if (len !== 4) bad('length');
        else a.localPref = u32(v, 0);
        break;
      case ATTR.ATOMIC_AGGREGATE:
        if (len !== 0) bad('length');
        else a.atomicAggregate = true;
        break;
      case ATTR.AGGREGATOR: {
        const w = ctx.fourOctetAs ? 4 : 2;
        if (len !== w + 4) bad('length');
        else a.aggregator = (w === 4 ? aggregator4 : aggregator2).parse(v) as { asn: number; address: string };
        break;
      }
      case ATTR.COMMUNITIES:
        if (len === 0 || len % 4 !== 0) bad('length');
        else {
          const c: number[] = [];
          for (let i = 0; i < len; i += 4) c.push(u32(v, i));
          a.communities = c;
        }
        break;
      case ATTR.ORIGINATOR_ID:
        // RFC 7606 §7.9: from an external neighbour it is discarded.
        if (ctx.ebgp) errs.add('attribute-discard', 'ORIGINATOR_ID from an eBGP peer');
        else if (len !== 4) bad('length');
        else a.originatorId = bytesToIpv4(v);
        break;
      case ATTR.CLUSTER_LIST:
        // RFC 7606 §7.10: likewise.
        if (ctx.ebgp) errs.add('attribute-discard', 'CLUSTER_LIST from an eBGP peer');
        else if (len === 0 || len % 4 !== 0) bad('length');
        else {
          const c: string[] = [];
          for (let i = 0; i < len; i += 4) c.push(bytesToIpv4(v.subarray(i, i + 4)));
          a.clusterList = c;
        }
        break;
      case ATTR.EXTENDED_COMMUNITIES:
        if (len === 0 || len % 8 !== 0) bad('length');
        else {
          const c: string[] = [];
          for (let i = 0; i < len; i += 8) c.push(v.subarray(i, i + 8).toString('hex'));
          a.extendedCommunities = c;
        }
        break;
      case ATTR.LARGE_COMMUNITY:
        if (len === 0 || len % 12 !== 0) bad('length');
        else {
          const c: string[] = [];
          for (let i = 0; i < len; i += 12) c.push(`${u32(v, i)}:${u32(v, i + 4)}:${u32(v, i + 8)}`);
          a.largeCommunities = c;
        }
        break;
      case ATTR.AS4_PATH: {
        const segs = readAsPath(v, true);
        if (segs) as4Path = segs;
        else bad('malformed segments');
        break;
      }
      case ATTR.AS4_AGGREGATOR:
        if (len !== 8) bad('length');
        else as4Aggregator = aggregator4.parse(v) as { asn: number; address: string };
        break;
      case ATTR.MP_REACH:
        decodeMpReach(v, ctx, a, errs);
        break;
      case ATTR.MP_UNREACH:
        decodeMpUnreach(v, ctx, a, errs);
        break;
    }
  }
  // RFC 6793 §6: between two 4-octet speakers AS4_PATH/AS4_AGGREGATOR are discarded.
  if (ctx.fourOctetAs) {
    if (as4Path || as4Aggregator) errs.add('attribute-discard', 'AS4_PATH/AS4_AGGREGATOR from a 4-octet speaker');
  } else {
    // RFC 6793 §4.2.3: an AGGREGATOR that is not AS_TRANS means AS4_* came from an old speaker: ignore them.
    if (as4Aggregator && a.aggregator && a.aggregator.asn !== AS_TRANS) {
      as4Path = undefined;
    } else if (as4Aggregator && a.aggregator) a.aggregator = as4Aggregator;
    if (as4Path && a.asPath) a.asPath = mergeAs4Path(a.asPath, as4Path);
  }
  checkMandatory(message, seen, ctx, errs);
  return errs.result(message);
}

function attrNotify(
  action: ErrorAction,
  subcode: number,
  b: Buffer,
  vs: number,
  end: number,
  ext: boolean,
): Notify | undefined {
  if (action !== 'session-reset') return undefined;
  return {
    code: ERR.UPDATE,
    subcode: subcode === UPDATE_SUB.ATTRIBUTE_FLAGS ? subcode : UPDATE_SUB.OPTIONAL_ATTRIBUTE,
    data: b.subarray(vs - (ext ? 4 : 3), end),
  };
}

/** RFC 7606 §4: attribute parsing cannot go on; treat-as-withdraw if the NLRI can still be found, else reset. */
function overrun(errs: Errors, m: UpdateMessage, seen: Set<number>): void {
  const located =
    nlriCount(m.nlri) > 0 || nlriCount(m.withdrawn) > 0 || seen.has(ATTR.MP_REACH) || seen.has(ATTR.MP_UNREACH);
  if (located) errs.add('treat-as-withdraw', 'attribute runs past the attribute field');
  else
    errs.add('session-reset', 'attribute runs past the attribute field and no NLRI can be located', {
      code: ERR.UPDATE,
      subcode: UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST,
    });
}

function decodeMpReach(v: Buffer, ctx: WireContext, a: Attributes, errs: Errors): void {
  const reset = (why: string) =>
    errs.add('session-reset', `MP_REACH_NLRI: ${why}`, { code: ERR.UPDATE, subcode: UPDATE_SUB.OPTIONAL_ATTRIBUTE });
  if (v.length < 5) {
    reset('too short');
    return;
  }
  const { afi, safi, nhLen } = mpReachHead.parse(v) as { afi: number; safi: number; nhLen: number };
  // RFC 4760 §3: one reserved byte follows the next hop.
  if (4 + nhLen + 1 > v.length) {
    reset('next hop overrun');
    return;
  }
  const family = familyOf(afi, safi);
  if (!family) {
    errs.add('attribute-discard', `MP_REACH_NLRI for AFI ${afi} SAFI ${safi} not handled`);
    return;
  }
  const nh = v.subarray(4, 4 + nhLen);
  let nextHop: string;
  let linkLocal: string | undefined;
  // RFC 7606 §7.11: a next hop length inconsistent with the AFI/SAFI → reset.
  if (family === 'ipv6') {
    if (nhLen !== 16 && nhLen !== 32) {
      reset(`IPv6 next hop length ${nhLen}`);
      return;
    }
    nextHop = bytesToIpv6(nh.subarray(0, 16));
    if (nhLen === 32) linkLocal = bytesToIpv6(nh.subarray(16, 32));
  } else if (nhLen === 4) nextHop = bytesToIpv4(nh);
  else if (nhLen === 16 || nhLen === 32) {
    // RFC 8950: IPv4 NLRI with an IPv6 next hop.
    nextHop = bytesToIpv6(nh.subarray(0, 16));
    if (nhLen === 32) linkLocal = bytesToIpv6(nh.subarray(16, 32));
  } else {
    reset(`IPv4 next hop length ${nhLen}`);
    return;
  }
  const nlri = readNlri(v, 5 + nhLen, v.length, family, ctx.addPath?.[family], ctx.wireNlri);
  if (!nlri) {
    reset('unparseable NLRI');
    return;
  }
  a.mpReach = linkLocal ? { afi, safi, nextHop, linkLocal, nlri } : { afi, safi, nextHop, nlri };
}

function decodeMpUnreach(v: Buffer, ctx: WireContext, a: Attributes, errs: Errors): void {
  if (v.length < 3) {
    errs.add('session-reset', 'MP_UNREACH_NLRI too short', {
      code: ERR.UPDATE,
      subcode: UPDATE_SUB.OPTIONAL_ATTRIBUTE,
    });
    return;
  }
  const { afi, safi } = mpUnreachHead.parse(v) as { afi: number; safi: number };
  const family = familyOf(afi, safi);
  if (!family) {
    errs.add('attribute-discard', `MP_UNREACH_NLRI for AFI ${afi} SAFI ${safi} not handled`);
    return;
  }
  const withdrawn = readNlri(v, 3, v.length, family, ctx.addPath?.[family], ctx.wireNlri);
  if (!withdrawn) {
    errs.add('session-reset', 'MP_UNREACH_NLRI: unparseable NLRI', {
      code: ERR.UPDATE,
      subcode: UPDATE_SUB.OPTIONAL_ATTRIBUTE,
    });
    return;
  }
  a.mpUnreach = { afi, safi, withdrawn };
}

/** RFC 7606 §3 (d): a missing well-known mandatory attribute when NLRI are announced → treat-as-withdraw. */
function checkMandatory(m: UpdateMessage, seen: Set<number>, ctx: WireContext, errs: Errors): void {
  const mp = m.attributes.mpReach;
  const reach = nlriCount(m.nlri) > 0 || (mp ? nlriCount(mp.nlri) : 0) > 0;
  if (!reach) return;
  const missing: string[] = [];
  if (!seen.has(ATTR.ORIGIN)) missing.push('ORIGIN');
  if (!seen.has(ATTR.AS_PATH)) missing.push('AS_PATH');
  // RFC 4760 §3: NEXT_HOP is needed only for NLRI in the IPv4 field.
  if (nlriCount(m.nlri) > 0 && !seen.has(ATTR.NEXT_HOP)) missing.push('NEXT_HOP');
  // RFC 4271 §5.1.5: LOCAL_PREF is mandatory on iBGP, but RFC 7606 §7.5 does not make its absence an error.
  void ctx;
  if (missing.length) errs.add('treat-as-withdraw', `missing well-known attribute ${missing.join(', ')}`);
}
