// The dataplane's own vocabulary: what it is told (desired routes, veth specs) and what it reports
// (kernel routes). Ownership is by protocol number; nothing with another number is ever changed.
import { type Family, GATEWAY_IPV4, GATEWAY_IPV6 } from '../model/index.js';

/** proto 80: /32 and /128 routes to this host's endpoints (and 169.254.1.1 on lo). */
export const RTPROT_TSROUTE_LOCAL = 80;
/** proto 81: blackholes for the blocks this host owns. */
export const RTPROT_TSROUTE_BLOCK = 81;
/** proto 2 (RTPROT_KERNEL in linux/rtnetlink.h): routes the kernel made, e.g. an address's subnet. */
export const RTPROT_KERNEL = 2;
/** proto 186 (RTPROT_BGP in linux/rtnetlink.h): routes learned by BGP. */
export const RTPROT_BGP = 186;

/** Host-side links the dataplane creates, and the only ones it deletes, start with this. */
export const LINK_PREFIX = 'tsr';
/** The MAC of every host-side veth; containers have a permanent neighbour entry for it. */
export const HOST_MAC = 'ee:ee:ee:ee:ee:ee';
/** The containers' gateways (src/model/workload-endpoint.ts). */
export { GATEWAY_IPV4, GATEWAY_IPV6 };

/** A route the reconciler owns: a blackhole for one of our blocks, or a route learned by BGP. */
export type OwnedKind = 'blackhole' | 'learned';

export const PROTOCOL_OF: Record<OwnedKind, number> = { blackhole: RTPROT_TSROUTE_BLOCK, learned: RTPROT_BGP };

/** A learned route as the dataplane is told it. */
export interface LearnedRoute {
  prefix: string;
  nextHops: string[];
}

/** A route in the kernel's main table, as the dataplane reads it back. */
export interface KernelRoute {
  /** Always with its length: "10.65.3.7/32", "fd00::/64". */
  prefix: string;
  family: Family;
  protocol: number;
  type: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'other';
  /** Gateways, more than one for ECMP. */
  nextHops: string[];
  /** Output interface index (0 when none or several). */
  oif: number;
  /** The output interface's name, when it was asked for. */
  dev?: string;
}

/** One endpoint's veth pair. */
export interface VethSpec {
  /** Host side; must start with LINK_PREFIX. */
  hostIfName: string;
  /** Container side, e.g. eth0. */
  ifName: string;
  /** The container side's MAC. */
  mac: string;
  /** The container's namespace file; empty: the peer stays in the host namespace (Docker moves it). */
  netnsPath: string;
  /** Bare addresses ("10.65.3.7", "fd00::7"). */
  addresses: string[];
  mtu?: number;
}

/** What the dataplane logs through; pino's logger fits. */
export interface DataplaneLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const silentLog: DataplaneLog = { debug() {}, info() {}, warn() {} };
