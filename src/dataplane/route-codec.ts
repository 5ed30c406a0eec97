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
  const flags = NLM_F_REQUEST | NLM_F_CREATE | (mode === 'create' ? NLM_F_EXCL : NLM_F_REPLACE);
  const given = r.gateways ?? NO_GATEWAYS;
  // the usual input is Gateway objects already (route-writer keeps them per next-hop set): no copy then
  const gateways = given.every((g) => !(g instanceof Uint8Array))
    ? (given as readonly Gateway[])
    : given.map((g) => (g instanceof Uint8Array ? { bytes: g, ifindex: 0 } : g));
  const scope = r.type === 'unicast' && gateways.length === 0 && r.oif ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  w.begin(RTM_NEWROUTE, flags, seq);
  writeRtmsg(w, r.dst.family, r.dst.length, r.protocol, scope, r.type === 'blackhole' ? RTN_BLACKHOLE : RTN_UNICAST);
  if (r.dst.length > 0) w.attr(RTA_DST, r.dst.bytes);
  if (r.priority !== undefined) w.attrU32(RTA_PRIORITY, r.priority);
  const oif = gateways.length === 1 && gateways[0]!.ifindex ? gateways[0]!.ifindex : r.oif;
  if (oif) w.attrU32(RTA_OIF, oif);
  if (gateways.length === 1) writeGateway(w, r.dst.family, gateways[0]!.bytes);
  else if (gateways.length > 1) {
    const mp = w.openNest(RTA_MULTIPATH);
    for (const gw of gateways) {
      const nh = w.openLength(); // struct rtnexthop: len, flags, hops (weight - 1), ifindex
      w.u8(0)
        .u8(0)
        .i32(gw.ifindex || (r.oif ?? 0));
      writeGateway(w, r.dst.family, gw.bytes);
      w.closeNest(nh);
    }
    w.closeNest(mp);
  }
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
