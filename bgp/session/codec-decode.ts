// Decoding of received messages into the session's shapes (RFC 4271 §4, RFC 4760, RFC 6793, RFC 4724,
// RFC 2918/7313), with RFC 7606 error handling: peer input never throws, it becomes a message, a
// treat-as-withdraw UPDATE, or a NOTIFICATION to send.
// Interim: stands in until bgp/wire (the shared codec) is in; see wire-codec.ts.
import type { AddressFamily } from '../config.js';
import type { AsPathSegment, OpaqueAttribute, Origin, PathAttributes } from '../rib/attributes.js';
import { bytesToIpv4, bytesToIpv6, formatPrefix } from '../rib/prefix.js';
import type { Framer } from './codec.js';
import type {
  DecodeError,
  DecodeResult,
  GracefulRestartCap,
  OpenCapabilities,
  SessionCodecContext,
  UpdateMessage,
} from './messages.js';
import { AFI_IPV4, AFI_IPV6, SAFI_UNICAST } from './messages.js';

/** RFC 4271 §4.1 */
export const HEADER_LENGTH = 19;
export const MAX_MESSAGE = 4096;
export const MSG_OPEN = 1;
export const MSG_UPDATE = 2;
export const MSG_NOTIFICATION = 3;
export const MSG_KEEPALIVE = 4;
export const MSG_ROUTE_REFRESH = 5;

/** Path attribute type codes (RFC 4271 §5, 1997, 4456, 4760, 6793, 8092). */
export const ATTR = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MED: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8,
  ORIGINATOR_ID: 9,
  CLUSTER_LIST: 10,
  MP_REACH: 14,
  MP_UNREACH: 15,
  AS4_PATH: 17,
  AS4_AGGREGATOR: 18,
  LARGE_COMMUNITY: 32,
} as const;

/** Capability codes (IANA registry). */
export const CAP = { MP: 1, ROUTE_REFRESH: 2, GRACEFUL_RESTART: 64, AS4: 65, ENHANCED_RR: 70 } as const;

const err = (code: number, subcode: number, reason: string, data?: Uint8Array): DecodeError => ({
  type: 'error',
  code,
  subcode,
  reason,
  data,
});

export const familyOf = (afi: number, safi: number): AddressFamily | undefined =>
  safi !== SAFI_UNICAST ? undefined : afi === AFI_IPV4 ? 'ipv4' : afi === AFI_IPV6 ? 'ipv6' : undefined;

/** Splits the byte stream into whole messages, checking the header (RFC 4271 §6.1). */
export function createFramer(): Framer {
  let buf: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const out: Buffer[] = [];
      let off = 0;
      while (buf.length - off >= HEADER_LENGTH) {
        for (let i = 0; i < 16; i++)
          if (buf[off + i] !== 0xff) return err(1, 1, 'connection not synchronized (bad marker)');
        const len = buf.readUInt16BE(off + 16);
        const type = buf[off + 18]!;
        if (len < HEADER_LENGTH || len > MAX_MESSAGE)
          return err(1, 2, `bad message length ${len}`, buf.subarray(off + 16, off + 18));
        if (type < 1 || type > 5) return err(1, 3, `bad message type ${type}`, Uint8Array.of(type));
        if (buf.length - off < len) break;
        out.push(buf.subarray(off, off + len));
        off += len;
      }
      buf = off === buf.length ? Buffer.alloc(0) : buf.subarray(off);
      return out;
    },
  };
}

function decodeOpen(b: Buffer): DecodeResult {
  if (b.length < 10) return err(1, 2, 'OPEN too short');
  const version = b[0]!;
  const myAs = b.readUInt16BE(1);
  const holdTime = b.readUInt16BE(3);
  const routerId = bytesToIpv4(b.subarray(5, 9));
  const optLen = b[9]!;
  if (10 + optLen > b.length) return err(2, 0, 'OPEN optional parameters overrun');
  const caps: OpenCapabilities = { families: [], routeRefresh: false, enhancedRouteRefresh: false };
  let sawMp = false;
  let off = 10;
  const end = 10 + optLen;
  while (off + 2 <= end) {
    const ptype = b[off]!;
    const plen = b[off + 1]!;
    const pv = b.subarray(off + 2, off + 2 + plen);
    off += 2 + plen;
    if (off > end) return err(2, 0, 'OPEN parameter overrun');
    if (ptype !== 2) continue; // only Capabilities (RFC 5492); others are ignored
    let c = 0;
    while (c + 2 <= pv.length) {
      const code = pv[c]!;
      const clen = pv[c + 1]!;
      const v = pv.subarray(c + 2, c + 2 + clen);
      c += 2 + clen;
      if (code === CAP.MP && v.length >= 4) {
        sawMp = true;
        const f = familyOf(v.readUInt16BE(0), v[3]!);
        if (f && !caps.families.includes(f)) caps.families.push(f);
      } else if (code === CAP.ROUTE_REFRESH) caps.routeRefresh = true;
      else if (code === CAP.ENHANCED_RR) caps.enhancedRouteRefresh = true;
      else if (code === CAP.AS4 && v.length >= 4) caps.fourOctetAs = v.readUInt32BE(0);
      else if (code === CAP.GRACEFUL_RESTART && v.length >= 2) {
        const head = v.readUInt16BE(0);
        const gr: GracefulRestartCap = { restarting: (head & 0x8000) !== 0, restartTime: head & 0x0fff, families: [] };
        for (let i = 2; i + 4 <= v.length; i += 4) {
          const f = familyOf(v.readUInt16BE(i), v[i + 2]!);
          if (f) gr.families.push({ family: f, forwarding: (v[i + 3]! & 0x80) !== 0 });
        }
        caps.gracefulRestart = gr;
      }
    }
  }
  // RFC 4760 §8: no multiprotocol capability at all means IPv4 unicast.
  if (!sawMp) caps.families.push('ipv4');
  const asn = caps.fourOctetAs ?? myAs;
  return { type: 'open', open: { version, asn, holdTime, routerId, capabilities: caps } };
}

/** Reads NLRI prefixes (length byte + minimal bytes); undefined on a malformed field. */
export function readPrefixes(b: Uint8Array, family: AddressFamily): string[] | undefined {
  const max = family === 'ipv4' ? 32 : 128;
  const size = family === 'ipv4' ? 4 : 16;
  const out: string[] = [];
  let off = 0;
  while (off < b.length) {
    const len = b[off]!;
    if (len > max) return undefined;
    const n = (len + 7) >> 3;
    if (off + 1 + n > b.length) return undefined;
    if (size === 4) {
      // IPv4 fast path: text straight from the bytes, host bits masked, no temporary arrays.
      const mask = (i: number) => (i < n - 1 ? 0xff : i === n - 1 ? (0xff << ((8 - (len & 7)) & 7)) & 0xff : 0);
      const o = (i: number) => (i < n ? b[off + 1 + i]! & mask(i) : 0);
      out.push(`${o(0)}.${o(1)}.${o(2)}.${o(3)}/${len}`);
      off += 1 + n;
      continue;
    }
    const bytes = new Uint8Array(size);
    bytes.set(b.subarray(off + 1, off + 1 + n));
    // Host bits beyond the length must not make two keys for one prefix.
    if (len & 7) bytes[n - 1]! &= (0xff << (8 - (len & 7))) & 0xff;
    out.push(formatPrefix({ family, bytes, length: len }));
    off += 1 + n;
  }
  return out;
}

function readAsPath(v: Buffer, four: boolean): AsPathSegment[] | undefined {
  const segs: AsPathSegment[] = [];
  const w = four ? 4 : 2;
  let off = 0;
  while (off < v.length) {
    if (off + 2 > v.length) return undefined;
    const type = v[off]!;
    const count = v[off + 1]!;
    if (type < 1 || type > 4 || count === 0 || off + 2 + count * w > v.length) return undefined;
    const asns: number[] = [];
    for (let i = 0; i < count; i++) asns.push(four ? v.readUInt32BE(off + 2 + i * 4) : v.readUInt16BE(off + 2 + i * 2));
    segs.push({ type, asns });
    off += 2 + count * w;
  }
  return segs;
}

/** RFC 6793 §4.2.3: AS4_PATH replaces the tail of a 2-octet AS_PATH it is not longer than. */
function mergeAs4(asPath: AsPathSegment[], as4: AsPathSegment[]): AsPathSegment[] {
  const flat = asPath.flatMap((s) => s.asns);
  const flat4 = as4.flatMap((s) => s.asns);
  if (flat4.length > flat.length) return asPath;
  const keep = flat.length - flat4.length;
  const head = flat.slice(0, keep);
  return [...(head.length ? [{ type: 2, asns: head }] : []), ...as4];
}

/** Decodes an UPDATE body (after the header). */
function decodeUpdate(b: Buffer, ctx: SessionCodecContext): DecodeResult {
  if (b.length < 4) return err(3, 1, 'UPDATE too short');
  const wlen = b.readUInt16BE(0);
  if (2 + wlen + 2 > b.length) return err(3, 1, 'withdrawn routes length overrun');
  const withdrawnV4 = readPrefixes(b.subarray(2, 2 + wlen), 'ipv4');
  if (!withdrawnV4) return err(3, 10, 'malformed withdrawn routes');
  const alen = b.readUInt16BE(2 + wlen);
  const aStart = 4 + wlen;
  if (aStart + alen > b.length) return err(3, 1, 'path attribute length overrun');
  const nlri = readPrefixes(b.subarray(aStart + alen), 'ipv4');
  if (!nlri) return err(3, 10, 'malformed NLRI');
  const update: UpdateMessage = { withdrawn: withdrawnV4, announced: [] };
  if (wlen === 0 && alen === 0 && nlri.length === 0) return { type: 'update', update: { ...update, endOfRib: 'ipv4' } };
  const attrs: PathAttributes = { origin: 0, asPath: [] };
  const seen = new Set<number>();
  let malformed: string | undefined;
  let as4: AsPathSegment[] | undefined;
  const opaque: OpaqueAttribute[] = [];
  let mpAnnounced: string[] = [];
  let mpFamilyUnreach: AddressFamily | undefined;
  let sawOrigin = false;
  let sawAsPath = false;
  let sawNextHop = false;
  let off = aStart;
  const end = aStart + alen;
  while (off < end) {
    if (off + 3 > end) return err(3, 1, 'attribute header overrun');
    const flags = b[off]!;
    const type = b[off + 1]!;
    const ext = (flags & 0x10) !== 0;
    if (ext && off + 4 > end) return err(3, 1, 'attribute header overrun');
    const len = ext ? b.readUInt16BE(off + 2) : b[off + 2]!;
    const vStart = off + (ext ? 4 : 3);
    // RFC 7606 §4: an attribute running past the attribute section makes the rest unparsable.
    if (vStart + len > end) return err(3, 1, `attribute ${type} length overrun`);
    const v = b.subarray(vStart, vStart + len);
    off = vStart + len;
    if (seen.has(type)) {
      // RFC 7606 §3 (g): repeated MP attributes reset the session; other repeats are discarded.
      if (type === ATTR.MP_REACH || type === ATTR.MP_UNREACH) return err(3, 1, 'repeated MP attribute');
      continue;
    }
    seen.add(type);
    switch (type) {
      case ATTR.ORIGIN:
        if (len !== 1 || v[0]! > 2) malformed = 'ORIGIN';
        else attrs.origin = v[0] as Origin;
        sawOrigin = true;
        break;
      case ATTR.AS_PATH: {
        const segs = readAsPath(v, ctx.fourOctetAs);
        if (!segs) malformed = 'AS_PATH';
        else attrs.asPath = segs;
        sawAsPath = true;
        break;
      }
      case ATTR.NEXT_HOP:
        if (len !== 4) malformed = 'NEXT_HOP';
        else attrs.nextHop = bytesToIpv4(v);
        sawNextHop = true;
        break;
      case ATTR.MED:
        if (len !== 4) malformed = 'MED';
        else attrs.med = v.readUInt32BE(0);
        break;
      case ATTR.LOCAL_PREF:
        // RFC 7606 §7.5: LOCAL_PREF from an eBGP peer is discarded.
        if (ctx.ebgp) break;
        if (len !== 4) malformed = 'LOCAL_PREF';
        else attrs.localPref = v.readUInt32BE(0);
        break;
      case ATTR.ATOMIC_AGGREGATE:
        // RFC 7606 §7.6: a bad length means attribute discard.
        if (len === 0) attrs.atomicAggregate = true;
        break;
      case ATTR.AGGREGATOR: {
        const w = ctx.fourOctetAs ? 4 : 2;
        if (len === w + 4)
          attrs.aggregator = {
            asn: w === 4 ? v.readUInt32BE(0) : v.readUInt16BE(0),
            address: bytesToIpv4(v.subarray(w)),
          };
        break;
      }
      case ATTR.COMMUNITIES:
        if (len % 4 !== 0) malformed = 'COMMUNITIES';
        else attrs.communities = Array.from({ length: len / 4 }, (_, i) => v.readUInt32BE(i * 4));
        break;
      case ATTR.ORIGINATOR_ID:
        // RFC 7606 §7.9; from an eBGP peer it is discarded.
        if (ctx.ebgp) break;
        if (len !== 4) malformed = 'ORIGINATOR_ID';
        else attrs.originatorId = bytesToIpv4(v);
        break;
      case ATTR.CLUSTER_LIST:
        if (ctx.ebgp) break;
        if (len % 4 !== 0) malformed = 'CLUSTER_LIST';
        else attrs.clusterList = Array.from({ length: len / 4 }, (_, i) => bytesToIpv4(v.subarray(i * 4)));
        break;
      case ATTR.LARGE_COMMUNITY:
        if (len % 12 !== 0) malformed = 'LARGE_COMMUNITY';
        else
          attrs.largeCommunities = Array.from(
            { length: len / 12 },
            (_, i) => `${v.readUInt32BE(i * 12)}:${v.readUInt32BE(i * 12 + 4)}:${v.readUInt32BE(i * 12 + 8)}`,
          );
        break;
      case ATTR.AS4_PATH: {
        const segs = readAsPath(v, true);
        if (segs) as4 = segs; // RFC 6793 §6: a malformed AS4_PATH is discarded
        break;
      }
      case ATTR.MP_REACH: {
        if (len < 5) return err(3, 9, 'MP_REACH_NLRI too short');
        const family = familyOf(v.readUInt16BE(0), v[2]!);
        const nhLen = v[3]!;
        if (4 + nhLen + 1 > len) return err(3, 9, 'MP_REACH_NLRI next hop overrun');
        if (!family) break; // a family we did not negotiate: ignore
        const nh = v.subarray(4, 4 + nhLen);
        if (family === 'ipv6') {
          if (nhLen !== 16 && nhLen !== 32) return err(3, 9, 'bad IPv6 next hop length');
          attrs.nextHop = bytesToIpv6(nh.subarray(0, 16));
          if (nhLen === 32) attrs.nextHopLinkLocal = bytesToIpv6(nh.subarray(16, 32));
        } else if (nhLen === 4) attrs.nextHop = bytesToIpv4(nh);
        else if (nhLen === 16) attrs.nextHop = bytesToIpv6(nh);
        const prefixes = readPrefixes(v.subarray(4 + nhLen + 1), family);
        if (!prefixes) return err(3, 9, 'malformed MP_REACH_NLRI prefixes');
        mpAnnounced = prefixes;
        break;
      }
      case ATTR.MP_UNREACH: {
        if (len < 3) return err(3, 9, 'MP_UNREACH_NLRI too short');
        const family = familyOf(v.readUInt16BE(0), v[2]!);
        if (!family) break;
        const prefixes = readPrefixes(v.subarray(3), family);
        if (!prefixes) return err(3, 9, 'malformed MP_UNREACH_NLRI prefixes');
        mpFamilyUnreach = family;
        update.withdrawn.push(...prefixes);
        break;
      }
      default:
        // Unknown optional attributes are kept (passed on when transitive); unknown well-known is an error.
        if ((flags & 0x80) === 0) return err(3, 2, `unrecognized well-known attribute ${type}`, Uint8Array.of(type));
        opaque.push({ flags, type, value: v.toString('hex') });
    }
  }
  // End-of-RIB for other families: only an empty MP_UNREACH_NLRI (RFC 4724 §2).
  if (
    mpFamilyUnreach &&
    update.withdrawn.length === 0 &&
    nlri.length === 0 &&
    mpAnnounced.length === 0 &&
    seen.size === 1
  )
    return { type: 'update', update: { withdrawn: [], announced: [], endOfRib: mpFamilyUnreach } };
  if (as4 && !ctx.fourOctetAs) attrs.asPath = mergeAs4(attrs.asPath as AsPathSegment[], as4);
  if (opaque.length) attrs.opaque = opaque;
  update.announced = [...nlri, ...mpAnnounced];
  update.attrs = attrs;
  if (update.announced.length) {
    // RFC 7606 §3 (d): a missing well-known mandatory attribute means treat-as-withdraw.
    const missing = !sawOrigin
      ? 'ORIGIN'
      : !sawAsPath
        ? 'AS_PATH'
        : nlri.length && !sawNextHop
          ? 'NEXT_HOP'
          : undefined;
    if (missing || malformed) {
      update.treatAsWithdraw = true;
      update.problem = `${malformed ? 'malformed' : 'missing'} ${malformed ?? missing}`;
    }
  }
  return { type: 'update', update };
}

/** Decodes one whole message (header included) from the framer. */
export function decodeMessage(msg: Buffer, ctx: SessionCodecContext): DecodeResult {
  const type = msg[18]!;
  const body = msg.subarray(HEADER_LENGTH);
  switch (type) {
    case MSG_OPEN:
      return decodeOpen(body);
    case MSG_UPDATE:
      return decodeUpdate(body, ctx);
    case MSG_NOTIFICATION:
      if (body.length < 2) return err(1, 2, 'NOTIFICATION too short');
      return { type: 'notification', notification: { code: body[0]!, subcode: body[1]!, data: body.subarray(2) } };
    case MSG_KEEPALIVE:
      if (body.length !== 0) return err(1, 2, 'KEEPALIVE with a body', msg.subarray(16, 18));
      return { type: 'keepalive' };
    case MSG_ROUTE_REFRESH:
      if (body.length !== 4) return err(7, 1, 'bad ROUTE-REFRESH length');
      return { type: 'route-refresh', family: familyOf(body.readUInt16BE(0), body[3]!), subtype: body[2]! };
    default:
      return err(1, 3, `bad message type ${type}`);
  }
}
