// What the agent needs from the kernel and from IPAM beyond endpoints, as two small interfaces. The
// adapters in dataplane-adapter.ts and ipam-adapter.ts implement them on src/dataplane and
// src/ipam; keeping the agent's needs here lets each side change without the other noticing.
import type { Route } from '../api/types.js';
import type { RouteOwners } from '../ipam/index.js';
import type { LearnedRoute } from './announcements.js';
import type { AddressAllocator, EndpointWiring, IpamChange } from './endpoints.js';

export interface RouteProgrammer {
  /**
   * Takes ownership of the kernel state the agent marks (its protocol numbers); returns whether
   * any was already there — then this is a restart and forwarding state was preserved (RFC 4724).
   */
  start(): Promise<{ preserved: boolean }>;
  /** Blackholes for the blocks this host owns. */
  setBlackholes(prefixes: string[]): void;
  /**
   * Routes learned by BGP. Until `authoritative` is true (after a restart, before the peers have
   * sent their tables), routes missing from the set are kept instead of deleted.
   */
  setLearned(routes: LearnedRoute[], authoritative: boolean): void;
  /** Changes to the learned routes since the last call: next hops, or undefined for gone. */
  updateLearned(changes: ReadonlyMap<string, readonly string[] | undefined>): void;
  /** Masquerade from these pools to destinations outside all pools. */
  setNatOutgoing(natPools: string[], allPools: string[]): Promise<void>;
  /** The subnets this host is directly attached to (the kernel's connected routes, both families). */
  connectedPrefixes(): Promise<string[]>;
  /** The kernel routes the agent owns, as the API shows them. */
  kernelRoutes(): Promise<Route[]>;
  /** How many kernel routes the agent owns (cheap; for status and metrics). */
  ownedRouteCount(): number;
  stop(): Promise<void>;
}

export type { RouteOwners };

export interface BlockUsage {
  cidr: string;
  size: number;
  inUse: number;
  /** A block of another host's that we hold addresses in. */
  borrowed: boolean;
}

export interface IpamView extends AddressAllocator {
  /** Blocks whose affinity to `node` is confirmed (the ones we route and announce). */
  affineBlocks(node: string): Promise<string[]>;
  /** Blocks with our addresses, for `node status`. */
  blockUsage(node: string): Promise<BlockUsage[]>;
  /** Every routed block with its node, and every borrowed address with its holder (static routing). */
  routeOwners(): Promise<RouteOwners>;
  /** Releases this node's blocks that have been empty for longer than `graceMs` (releasedBlocks). */
  releaseEmptyBlocks(node: string, graceMs: number): Promise<IpamChange>;
}

export interface Dataplane {
  wiring: EndpointWiring;
  routes: RouteProgrammer;
}
