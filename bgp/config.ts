// The speaker's public configuration and the shapes it reports, in one place: this is the contract the
// agent (and anyone else) programs against.
import type { Policy } from './policy/policy.js';
import type { NextHopMode } from './rib/propagation.js';

export type AddressFamily = 'ipv4' | 'ipv6';

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SpeakerOptions {
  asn: number;
  /** BGP Identifier, dotted quad. */
  routerId: string;
  /** Where to accept connections (default 0.0.0.0 and :: port 179); false = only connect out. */
  listen?: { address?: string; port?: number } | false;
  /** ECMP: true = up to 16 paths, a number = up to that many, default 1 (no ECMP). */
  multipath?: boolean | number;
  /** RFC 4724: advertise graceful restart; `restarting` sets the R bit after our own restart. */
  gracefulRestart?: { restartTime: number; restarting?: boolean };
  /** RFC 4456 cluster ID when reflecting (default: the router ID). */
  clusterId?: string;
  logger?: Logger;
  /**
   * At start, put a small synthetic table through a throwaway engine so the first real one runs on
   * compiled code (default true; see warm-up.ts).
   */
  warmUp?: boolean;
}

export interface MaxPrefix {
  limit: number;
  /** 'shutdown' (default): Cease/max-prefix (RFC 4486) and restart after `restartAfter` s; 'warn': log only. */
  action?: 'shutdown' | 'warn';
  restartAfter?: number;
}

export interface PeerOptions {
  address: string;
  /** Peer's TCP port (default 179). */
  port?: number;
  asn: number;
  /** Source address for our connection, and our next hop for the peer. */
  localAddress?: string;
  /** Our IPv6 next hop when IPv6 routes go over an IPv4 session (default: ::ffff:localAddress). */
  localAddress6?: string;
  /** Only accept the peer's connection. */
  passive?: boolean;
  routeReflectorClient?: boolean;
  /** Next hop on export: eBGP default 'self', iBGP default 'keep' (local routes always get self). */
  nextHop?: NextHopMode;
  /** Seconds; default 90 (RFC 4271 §10). */
  holdTime?: number;
  keepalive?: number;
  /** Seconds between connection attempts; default 5. */
  connectRetry?: number;
  /** DelayOpen seconds (RFC 4271 §8.1.1), default off. */
  delayOpen?: number;
  /** Families to negotiate; default both IPv4 and IPv6 unicast. */
  families?: AddressFamily[];
  /** Per-peer graceful restart; default: the speaker's setting. false turns it off for this peer. */
  gracefulRestart?: boolean | { restartTime: number };
  importPolicy?: Policy;
  exportPolicy?: Policy;
  maxPrefix?: number | MaxPrefix;
  /** eBGP multihop TTL. Node cannot set IP_TTL on TCP sockets, so this is accepted and recorded only. */
  multihop?: number;
  ttl?: number;
  /** A note shown in peers(). */
  description?: string;
  /**
   * RFC 8654 extended messages: offer the capability, and when the peer offers it too, UPDATEs and
   * ROUTE-REFRESH may be up to 65535 bytes each way (OPEN and KEEPALIVE stay within 4096). Default off.
   */
  extendedMessages?: boolean;
  /**
   * RFC 7911 ADD-PATH for every negotiated family: 'receive' keeps each path the peer sends (per
   * path identifier) as its own path; 'send' advertises every path that passes export, not only the
   * best, each with its own path identifier. Takes effect where the peer offers the other half.
   */
  addPaths?: AddPathMode;
}

/** RFC 7911 §4 Send/Receive field, by name. */
export type AddPathMode = 'receive' | 'send' | 'both';

export type PeerStateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export interface NegotiatedCapabilities {
  fourOctetAs: boolean;
  families: AddressFamily[];
  routeRefresh: boolean;
  enhancedRouteRefresh: boolean;
  /** The peer's graceful-restart capability, if both sides have it. */
  gracefulRestart?: { restartTime: number; restarting: boolean; forwarding: AddressFamily[] };
  /** RFC 8654: both sides offered extended messages (UPDATEs up to 65535 bytes). */
  extendedMessage: boolean;
  /** RFC 7911: families whose NLRI from the peer carry path identifiers. */
  addPathReceive: AddressFamily[];
  /** RFC 7911: families whose NLRI to the peer carry path identifiers (we send every path). */
  addPathSend: AddressFamily[];
  holdTime: number;
  keepalive: number;
}

export interface PeerStatus {
  address: string;
  asn: number;
  type: 'ebgp' | 'ibgp';
  state: PeerStateName;
  /** Seconds since the session became Established (0 when not). */
  uptime: number;
  establishedAt?: Date;
  routerId?: string;
  localAddress?: string;
  capabilities?: NegotiatedCapabilities;
  counters: {
    messagesIn: number;
    messagesOut: number;
    updatesIn: number;
    updatesOut: number;
    prefixesReceived: number;
    prefixesAccepted: number;
    prefixesAdvertised: number;
    flaps: number;
  };
  lastError?: string;
  routeReflectorClient: boolean;
  description?: string;
}

/** One path, as the public face shows it. */
export interface RouteView {
  prefix: string;
  /** Peer address, or "local". */
  from: string;
  nextHop?: string;
  asPath: number[];
  origin: 'igp' | 'egp' | 'incomplete';
  med?: number;
  localPref?: number;
  communities: string[];
  largeCommunities: string[];
  originatorId?: string;
  clusterList?: string[];
  best?: boolean;
  stale?: boolean;
  /** RFC 7911 path identifier: as received (ADD-PATH from the peer) or as sent (Adj-RIB-Out). */
  pathId?: number;
}

/** Attributes for a locally originated route. */
export interface LocalRouteAttributes {
  nextHop?: string;
  communities?: string[];
  largeCommunities?: string[];
  med?: number;
  localPref?: number;
  origin?: 'igp' | 'egp' | 'incomplete';
  /** AS numbers to put in the path (as if learned), rarely needed. */
  asPath?: number[];
}

export interface BestPathEvent {
  prefix: string;
  family: AddressFamily;
  /** True when no path is left. */
  withdrawn: boolean;
  /** ECMP next hops (one without multipath); empty when withdrawn. */
  nextHops: string[];
  /** The best path, when not withdrawn. */
  best?: RouteView;
  /** True for routes this speaker originated (the agent does not program those). */
  local: boolean;
}

export interface PeerStateEvent {
  address: string;
  from: PeerStateName;
  to: PeerStateName;
  reason?: string;
}
