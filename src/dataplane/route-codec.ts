// RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE as bytes, and RTM_NEWROUTE (a dump entry) back into
// a KernelRoute. Layout: nlmsghdr, struct rtmsg (linux/rtnetlink.h), then RTA_* attributes; ECMP
// next hops are an RTA_MULTIPATH list of struct rtnexthop, each followed by its RTA_GATEWAY.
import type { Family } from '../model/index.js';
import { addressBytes, addressText, type Gateway, gatewayText, type Prefix } from './ip-bytes.js';
import { forEachAttr, type NetlinkMessage } from './message-reader.js';
import type { MessageWriter } from './message-writer.js';
import {
  AF_INET,
  AF_INET6,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RTA_DST,
  RTA_GATEWAY,
  RTA_MULTIPATH,
  RTA_OIF,
  RTA_PRIORITY,
  RTA_TABLE,
  RTA_VIA,
  RTM_DELROUTE,
  RTM_F_FIB_MATCH,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  RTMSG_LEN,
  RTN_BLACKHOLE,
  RTN_PROHIBIT,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RTNH_LEN,
} from './rtnetlink.js';
import type { KernelRoute } from './types.js';

/** A route to write. */
export interface RouteSpec {
  dst: Prefix;
  protocol: number;
  type: 'unicast' | 'blackhole';
  /**
   * Gateway addresses (4 or 16 bytes): one is RTA_GATEWAY (RTA_VIA across families), several
   * RTA_MULTIPATH; a link-local one goes out of its own interface (`ifindex`).
   */
  gateways?: readonly (Uint8Array | Gateway)[];
  /** Output interface: a device route ("dev X scope link") when there is no gateway. */
  oif?: number;
  priority?: number;
}

/** How a write treats an existing route with the same destination (and metric). */
export type WriteMode = 'create' | 'replace';

const NO_GATEWAYS: readonly Gateway[] = [];

const afOf = (f: Family) => (f === 'ipv4' ? AF_INET : AF_INET6);

function writeGateway(w: MessageWriter, dstFamily: Family, bytes: Uint8Array): void {
  if ((bytes.length === 4 ? 'ipv4' : 'ipv6') === dstFamily) {
    w.attr(RTA_GATEWAY, bytes);
    return;
  }
  // RFC 8950: an IPv4 route through an IPv6 next hop; struct rtvia is a family then the address
  const at = w.openNest(RTA_VIA);
  w.u16(bytes.length === 4 ? AF_INET : AF_INET6).bytes(bytes);
  w.closeNest(at);
}

function writeRtmsg(w: MessageWriter, family: Family, dstLen: number, protocol: number, scope: number, type: number) {
  w.u8(afOf(family)).u8(dstLen).u8(0).u8(0).u8(RT_TABLE_MAIN).u8(protocol).u8(scope).u8(type).u32(0);
}

/**
 * Adds a route. 'create' fails with EEXIST when any route (ours or not) holds the destination, so
 * a route someone else put there is never overwritten; 'replace' swaps the one that is there.
 */
export function writeNewRoute(w: MessageWriter, seq: number, mode: WriteMode, r: RouteSpec): void {
  const given = r.gateways ?? NO_GATEWAYS;
  // the usual input is Gateway objects already (route-writer keeps them per next-hop set): no copy then
  const gateways = given.every((g) => !(g instanceof Uint8Array))
    ? (given as readonly Gateway[])
    : given.map((g) => (g instanceof Uint8Array ? { bytes: g, ifindex: 0 } : g));
  const scope = r.type === 'unicast' && gateways.length === 0 && r.oif ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  w.begin(RTM_NEWROUTE, newRouteFlags(mode), seq);
  writeRtmsg(w, r.dst.family, r.dst.length, r.protocol, scope, r.type === 'blackhole' ? RTN_BLACKHOLE : RTN_UNICAST);
  if (r.dst.length > 0) w.attr(RTA_DST, r.dst.bytes);
  if (r.priority !== undefined) w.attrU32(RTA_PRIORITY, r.priority);
  writeNextHops(w, r.dst.family, gateways, r.oif);
  w.end();
}

const newRouteFlags = (mode: WriteMode) =>
  NLM_F_REQUEST | NLM_F_CREATE | (mode === 'create' ? NLM_F_EXCL : NLM_F_REPLACE);

/** RTA_OIF and the gateway attributes: one RTA_GATEWAY (or RTA_VIA), or an RTA_MULTIPATH list. */
function writeNextHops(w: MessageWriter, family: Family, gateways: readonly Gateway[], oif0: number | undefined): void {
  const oif = gateways.length === 1 && gateways[0]!.ifindex ? gateways[0]!.ifindex : oif0;
  if (oif) w.attrU32(RTA_OIF, oif);
  if (gateways.length === 1) writeGateway(w, family, gateways[0]!.bytes);
  else if (gateways.length > 1) {
    const mp = w.openNest(RTA_MULTIPATH);
    for (const gw of gateways) {
      const nh = w.openLength(); // struct rtnexthop: len, flags, hops (weight - 1), ifindex
      w.u8(0)
        .u8(0)
        .i32(gw.ifindex || (oif0 ?? 0));
      writeGateway(w, family, gw.bytes);
      w.closeNest(nh);
    }
    w.closeNest(mp);
  }
}

/**
 * The attributes after RTA_DST of a unicast route through `gateways`, as bytes: a table has a few
 * next-hop sets, so each is encoded once and copied into every route message that uses it.
 */
export function nextHopAttributes(w: MessageWriter, family: Family, gateways: readonly Gateway[]): Buffer {
  writeNextHops(w, family, gateways, undefined);
  return w.take();
}

/** A unicast route whose next-hop attributes were encoded before (`nextHopAttributes`). */
export function writeNewRouteWith(
  w: MessageWriter,
  seq: number,
  mode: WriteMode,
  dst: Prefix,
  protocol: number,
  nextHops: Uint8Array,
): void {
  w.begin(RTM_NEWROUTE, newRouteFlags(mode), seq);
  writeRtmsg(w, dst.family, dst.length, protocol, RT_SCOPE_UNIVERSE, RTN_UNICAST);
  if (dst.length > 0) w.attr(RTA_DST, dst.bytes);
  w.bytes(nextHops);
  w.end();
}

/**
 * Deletes our route to `dst`: the protocol must match, so a route of another owner at the same
 * destination is never removed. Any scope, any next hops.
 */
export function writeDelRoute(w: MessageWriter, seq: number, dst: Prefix, protocol: number, type: RouteSpec['type']) {
  w.begin(RTM_DELROUTE, NLM_F_REQUEST, seq);
  writeRtmsg(w, dst.family, dst.length, protocol, RT_SCOPE_NOWHERE, type === 'blackhole' ? RTN_BLACKHOLE : RTN_UNICAST);
  if (dst.length > 0) w.attr(RTA_DST, dst.bytes);
  w.end();
}

/** Asks for every route of one family (all tables: the answer is filtered by the reader). */
export function writeRouteDump(w: MessageWriter, seq: number, family: Family): void {
  w.begin(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq);
  w.u8(afOf(family)).zeros(RTMSG_LEN - 1);
  w.end();
}

/** Asks which routing-table entry `address` matches (RTM_F_FIB_MATCH), for checks. */
export function writeRouteLookup(w: MessageWriter, seq: number, address: string): void {
  const bytes = addressBytes(address);
  w.begin(RTM_GETROUTE, NLM_F_REQUEST, seq);
  w.u8(bytes.length === 4 ? AF_INET : AF_INET6)
    .u8(bytes.length * 8)
    .u8(0)
    .u8(0)
    .u8(0)
    .u8(0)
    .u8(0)
    .u8(0)
    .u32(RTM_F_FIB_MATCH);
  w.attr(RTA_DST, bytes);
  w.end();
}

const TYPES: Record<number, KernelRoute['type']> = {
  [RTN_UNICAST]: 'unicast',
  [RTN_BLACKHOLE]: 'blackhole',
  [RTN_UNREACHABLE]: 'unreachable',
  [RTN_PROHIBIT]: 'prohibit',
};

/** The rtmsg field a reader filters on before decoding attributes. */
export const routeProtocol = (m: NetlinkMessage) => m.payload[5]!;

function gatewayOf(value: Buffer, via: boolean, ifindex: number): string {
  return gatewayText(via ? value.subarray(2) : value, ifindex);
}

/**
 * A route message's fields, or undefined when it is not in the main table (or not a route of
 * family IPv4/IPv6).
 */
export function decodeRoute(m: NetlinkMessage): KernelRoute | undefined {
  const p = m.payload;
  if (p.length < RTMSG_LEN) return undefined;
  const af = p[0]!;
  if (af !== AF_INET && af !== AF_INET6) return undefined;
  const family: Family = af === AF_INET ? 'ipv4' : 'ipv6';
  const dstLen = p[1]!;
  let table = p[4]!;
  let dst: string | undefined;
  let oif = 0;
  const nextHops: string[] = [];
  let single: { value: Buffer; via: boolean } | undefined;
  forEachAttr(p, RTMSG_LEN, (type, value) => {
    if (type === RTA_DST) dst = addressText(value);
    else if (type === RTA_TABLE) table = value.readUInt32LE(0);
    else if (type === RTA_OIF) oif = value.readInt32LE(0);
    else if (type === RTA_GATEWAY || type === RTA_VIA) single = { value, via: type === RTA_VIA };
    else if (type === RTA_MULTIPATH) {
      let off = 0;
      while (off + RTNH_LEN <= value.length) {
        const len = value.readUInt16LE(off);
        if (len < RTNH_LEN || off + len > value.length) break;
        const ifindex = value.readInt32LE(off + 4);
        forEachAttr(value.subarray(0, off + len), off + RTNH_LEN, (t, v) => {
          if (t === RTA_GATEWAY || t === RTA_VIA) nextHops.push(gatewayOf(v, t === RTA_VIA, ifindex));
        });
        off += (len + 3) & ~3;
      }
    }
  });
  // the output interface may follow the gateway: the gateway's text (a link-local one's "%index") needs both
  if (single) nextHops.push(gatewayOf(single.value, single.via, oif));
  if (table !== RT_TABLE_MAIN) return undefined;
  dst ??= family === 'ipv4' ? '0.0.0.0' : '::';
  return {
    prefix: `${dst}/${dstLen}`,
    family,
    protocol: p[5]!,
    type: TYPES[p[7]!] ?? 'other',
    nextHops,
    oif: nextHops.length > 1 ? 0 : oif,
  };
}

/**
 * What a full sync needs of one route message, read in place (no objects, no text). `gateway` is
 * the offset of a single RTA_GATEWAY's bytes (-1 when none); anything less plain — ECMP, RTA_VIA, a
 * table other than main — sets `plain` false, and the caller decodes the message in full
 * (decodeRoute). RTA_OIF is not read: only a link-local gateway's text needs it (callers check).
 */
export interface RouteScan {
  af: number;
  dstLen: number;
  protocol: number;
  /** RTN_* type. */
  type: number;
  /** Offset of RTA_DST's bytes (-1: the default route). */
  dst: number;
  gateway: number;
  plain: boolean;
}

export const newRouteScan = (): RouteScan => ({
  af: 0,
  dstLen: 0,
  protocol: 0,
  type: 0,
  dst: -1,
  gateway: -1,
  plain: true,
});

/** Scans the route message whose payload is `buf[start, end)` into `out`. */
export function scanRoute(buf: Buffer, start: number, end: number, out: RouteScan): RouteScan {
  out.plain = end - start >= RTMSG_LEN;
  if (!out.plain) return out;
  out.af = buf[start]!;
  out.dstLen = buf[start + 1]!;
  out.protocol = buf[start + 5]!;
  out.type = buf[start + 7]!;
  out.dst = -1;
  out.gateway = -1;
  const addrLen = out.af === AF_INET ? 4 : 16;
  if (buf[start + 4] !== RT_TABLE_MAIN || (out.af !== AF_INET && out.af !== AF_INET6)) out.plain = false;
  let off = start + RTMSG_LEN;
  while (out.plain && off + 4 <= end) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > end) break;
    const type = buf.readUInt16LE(off + 2) & 0x3fff;
    if (type === RTA_DST) {
      if (len - 4 === addrLen) out.dst = off + 4;
      else out.plain = false;
    } else if (type === RTA_GATEWAY) {
      if (len - 4 === addrLen) out.gateway = off + 4;
      else out.plain = false;
    } else if (type === RTA_TABLE) {
      if (buf.readUInt32LE(off + 4) !== RT_TABLE_MAIN) out.plain = false;
    } else if (type === RTA_VIA || type === RTA_MULTIPATH) out.plain = false;
    off += (len + 3) & ~3;
  }
  return out;
}
