// The shapes IPAM hands out: requests and results of allocation, and what the queries report.
// Their own module so ipam.ts, queries.ts, check.ts and batch-allocate.ts share them without
// importing one another.
import type { BlockAffinity } from '../model/index.js';

export interface AutoAssignRequest {
  /** One per endpoint: releaseByHandle(handle) frees everything it holds. */
  handle: string;
  node: string;
  num4?: number;
  num6?: number;
  /** Only these pools (by name, never a disabled one); default every enabled pool matching the node. */
  pools?: string[];
  attrs?: Record<string, string>;
}

export interface AutoAssignResult {
  ipv4: string[];
  ipv6: string[];
  /**
   * Blocks this node claimed that no earlier result named: the ones claimed for this request, and
   * any claimed by a request that then failed (etcd lost mid-claim). The caller learns its new
   * blocks from here and never has to re-read the affinities.
   */
  claimedBlocks: string[];
}

export interface BlockInfo {
  cidr: string;
  pool?: string;
  owner?: string;
  affinityState?: BlockAffinity['state'];
  total: number;
  inUse: number;
  free: number;
  /** Allocations held by nodes other than the owner. */
  borrowedByOthers: number;
}

/** Blocks with a confirmed owner, and addresses held outside such a block's owner (borrowed). */
export interface RouteOwners {
  blocks: { cidr: string; node: string }[];
  /** Bare addresses ("10.65.0.7"), each with the node that holds it. */
  borrowed: { address: string; node: string }[];
}

export interface AddressInfo {
  address: string;
  block: string;
  blockOwner?: string;
  pool?: string;
  handle: string;
  seq: number;
  node: string;
  attrs?: Record<string, string>;
}
