// What every real router the harness runs (BIRD, GoBGP, FRR, ExaBGP) is told and what it reports,
// in one shape, so a test reads the same whichever daemon stands on the other side.
import { type Family, familyOfPrefix } from '../../bgp/prefix.js';
import type { Netns } from './netns.js';

export type { Family };

/** A route the router originates itself, with the attributes tests look for at the receiver. */
export interface Origination {
  prefix: string;
  /** "65001:100" */
  communities?: string[];
  /** "65001:1:2" */
  largeCommunities?: string[];
  med?: number;
  /** ASes the route starts with, as if it came from them (FRR: `set as-path prepend`, BIRD: `bgp_path.prepend`). */
  asPathPrepend?: number[];
}

export interface PeerSpec {
  address: string;
  as: number;
  /** The peer's TCP port (default 179). */
  port?: number;
  /** Our address for the session (required by BIRD; the others use it as the source). */
  localAddress?: string;
  /** Only accept the connection, never open it. */
  passive?: boolean;
  holdTime?: number;
  keepalive?: number;
  /** Address families to negotiate; default: the transport's own. */
  families?: Family[];
  routeReflectorClient?: boolean;
  /** Negotiate graceful restart (RFC 4724) with this restart time, in seconds. */
  gracefulRestart?: { restartTime: number };
  multihop?: number;
  nextHopSelf?: boolean;
  /** RFC 8654 extended messages (BIRD only; GoBGP has no switch for them). */
  extendedMessages?: boolean;
  /** RFC 7911 ADD-PATH on every family of the session. */
  addPaths?: 'receive' | 'send' | 'both';
  /** TCP-MD5 (RFC 2385) password for this session. */
  password?: string;
  /** GTSM (RFC 5082): the peer is at most this many hops away (BIRD: on, with multihop as the count). */
  ttlSecurity?: number;
  /**
   * BGP as a BFD client (RFC 5882) for this session: BIRD `bfd on`, FRR `neighbor X bfd profile`;
   * needs the RouterSpec's `bfd` (its intervals are the session's).
   */
  bfd?: boolean;
}

export interface RouterSpec {
  routerId: string;
  as: number;
  peers: PeerSpec[];
  originate?: (string | Origination)[];
  /** Port to listen on (default 179). */
  listenPort?: number;
  /** Route-reflector cluster ID (for peers marked routeReflectorClient). */
  clusterId?: string;
  /** Install learned best paths in the namespace's kernel table (BIRD and FRR; default true). */
  kernel?: boolean;
  /** Extra daemon-specific configuration text appended verbatim (a test's escape hatch). */
  extraConfig?: string;
  /** Standalone single-hop BFD sessions (BIRD `protocol bfd` neighbours, FRR bfdd peers); BIRD and FRR. */
  bfd?: BfdSpec;
}

export interface BfdSpec {
  peers: { address: string; localAddress?: string }[];
  /** Desired min TX and required min RX, in milliseconds. */
  intervalMs: number;
  multiplier: number;
}

/** One BFD session as the router reports it. */
export interface BfdSessionState {
  peer: string;
  /** Normalized: 'Up' | 'Down' | 'Init' | 'AdminDown' (or the router's own word). */
  state: string;
}

export type SessionStateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established' | 'Unknown';

export interface SessionState {
  peer: string;
  peerAs?: number;
  state: SessionStateName;
  received?: number;
  /** The daemon's own words (BIRD's info column, GoBGP's state reason) for failing tests. */
  info?: string;
}

/** One path in a router's RIB, normalized across daemons. */
export interface RibRoute {
  prefix: string;
  nextHop?: string;
  asPath: number[];
  communities: string[];
  largeCommunities: string[];
  med?: number;
  localPref?: number;
  originatorId?: string;
  clusterList?: string[];
  /** Marked stale by graceful restart (where the daemon reports it). */
  stale?: boolean;
  best?: boolean;
}

export interface Router {
  readonly kind: 'bird' | 'gobgp' | 'frr' | 'exabgp';
  readonly ns: Netns;
  readonly spec: RouterSpec;
  sessions(): Promise<SessionState[]>;
  /** The router's RIB (received and own routes) for one family. */
  routes(family?: Family): Promise<RibRoute[]>;
  /** Starts originating a route (at run time, no restart). */
  announce(route: string | Origination): Promise<void>;
  withdraw(prefix: string): Promise<void>;
  /** Stops the daemon (the lab would also stop it at destroy). */
  stop(): Promise<void>;
  /** Log tail, for assertion messages. */
  log(): string;
}

export function toOrigination(o: string | Origination): Origination {
  return typeof o === 'string' ? { prefix: o } : o;
}

export const familyOf = familyOfPrefix;

/** Timers short enough for tests (RFC 4271 allows a 3 s hold time); sessions come up in ~1 s. */
export const TEST_TIMERS = { holdTime: 9, keepalive: 3, connectRetry: 1 } as const;

/** True once every peer in `spec` reports Established. */
export async function allEstablished(router: Router): Promise<boolean> {
  const sessions = await router.sessions();
  return router.spec.peers.every((p) => sessions.some((s) => s.peer === p.address && s.state === 'Established'));
}
