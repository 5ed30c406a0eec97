// The speaker's public configuration and the shapes it reports, in one place: this is the contract the
// agent (and anyone else) programs against.
import type { Policy } from './policy/policy.js';
import type { Family } from './prefix.js';
import type { NextHopMode } from './rib/propagation.js';
import type { DownReason } from './session/down-reason.js';

/** bgp/prefix.ts's Family under the name the session code knows it by. */
export type AddressFamily = Family;

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
   * Socket options Node cannot set (TCP-MD5, TTL, GTSM), supplied by the program that embeds the
   * speaker so that bgp/ stays free of native code. Without it, peers with `password`, `multihop`
   * or `ttlSecurity` are refused and every session uses the kernel's default TTL.
   */
  socketOptions?: SocketOptionsHook;
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
  /** Seconds after a trip before the session starts again by itself; unset: down until reset/enable. */
  restartAfter?: number;
  /** Log a warning (and emit 'max-prefix-warning') once the count reaches this % of the limit. */
  warningPercent?: number;
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
  /**
   * Seconds; default 90 (RFC 4271 §10). Hold time, keepalive and connect retry change without a
   * reset: they apply at the session's next OPEN (hold, keepalive) or connection attempt (retry).
   */
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
  /** RFC 2385 TCP-MD5 key (1..80 bytes). Needs `SpeakerOptions.socketOptions`. */
  password?: string;
  /**
   * TTL (IPv6: hop limit) of our packets, 1..255: how many routers away an eBGP peer may be.
   * Default with the hook: 1 for eBGP (a directly connected peer, as routers do), the kernel's
   * default (64) for iBGP. Needs `SpeakerOptions.socketOptions`.
   */
  multihop?: number;
  /**
   * RFC 5082 GTSM: the peer is at most this many hops away (1..254): we send TTL 255 and drop
   * packets that arrive with a TTL below 256 − ttlSecurity. Excludes `multihop`.
   */
  ttlSecurity?: number;
  /** A note shown in peers(). */
  description?: string;
  /**
   * RFC 8654 extended messages: offer the capability, and when the peer offers it too, UPDATEs and
   * ROUTE-REFRESH may be up to 65535 bytes each way (OPEN and KEEPALIVE stay within 4096). Default off.
   */
  extendedMessages?: boolean;
  /**
   * RFC 8950 extended next hop: offer IPv4 unicast routes with IPv6 next hops. When the peer offers it
   * too, the IPv4 routes we send it carry our IPv6 session address as next hop (what an unnumbered,
   * link-local session needs: it has no IPv4 address). Default off.
   */
  extendedNextHop?: boolean;
  /**
   * RFC 7911 ADD-PATH for every negotiated family: 'receive' keeps each path the peer sends (per
   * path identifier) as its own path; 'send' advertises every path that passes export, not only the
   * best, each with its own path identifier. Takes effect where the peer offers the other half.
   */
  addPaths?: AddPathMode;
}

/** RFC 7911 §4 Send/Receive field, by name. */
export type AddPathMode = 'receive' | 'send' | 'both';

/** What one session's TCP socket carries, worked out by the speaker from PeerOptions. */
export interface SessionSocketOptions {
  /** RFC 2385 key for segments to and from the peer. */
  md5Password?: string;
  /** TTL / hop limit of our packets; undefined = the kernel's default. */
  ttl?: number;
  /** RFC 5082: the lowest TTL / hop limit accepted from the peer; undefined = no check. */
  minTtl?: number;
}

/**
 * The socket-options hook (see SpeakerOptions.socketOptions). Each call gets the peer's address as
 * text; what it throws becomes the session's last error (the session retries), never a crash.
 */
export interface SocketOptionsHook {
  /**
   * A new, unconnected TCP socket of the peer's address family carrying `options`, as a file
   * descriptor: the speaker wraps it in a net.Socket and connects it, so the options (a TCP-MD5
   * key above all) are on the socket before its SYN leaves.
   */
  connecting(peer: string, options: SessionSocketOptions): number;
  /** Sets (a password) or removes (undefined) the peer's TCP-MD5 key on a listening socket. */
  listening(fd: number, peer: string, md5Password: string | undefined): void;
  /** A connection accepted from the peer: TTL and minimum TTL (its TCP-MD5 key came from the listener). */
  accepted(fd: number, peer: string, options: SessionSocketOptions): void;
}

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
  /** RFC 8950: both sides offered IPv4 unicast with IPv6 next hops. */
  extendedNextHop: boolean;
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
  /** The NOTIFICATION the peer closed the session with (cleared once Established again), with its RFC 8203/9003 text. */
  lastNotificationReceived?: { code: number; subcode: number; text?: string; at: Date };
  /** Set while the peer is administratively shut down (shutdownPeer), with the text we sent. */
  adminShutdown?: { message: string };
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
  /** Why the session went down (on a move to Idle); describeDown renders it for people. */
  reason?: DownReason;
}
