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
  /**
   * Called with this request's addresses once they are chosen, just before the one transaction that
   * records them is sent — again, with the new ones, if that transaction loses a race and others are
   * chosen. Only when one transaction records the whole request (one family, one block). Until
   * autoAssign resolves the addresses are not the caller's: it may prepare with them (wire a veth)
   * but must undo that when the call fails or resolves with other addresses, and hand nothing out
   * before it resolves.
   */
  onChosen?: (addresses: string[]) => void;
  /**
   * Keys written in the same transaction as the allocation (all or nothing with it), made from the
   * chosen addresses; only when one transaction records the whole request (`alsoPutWritten` says).
   */
  alsoPut?: (addresses: string[]) => { key: string; value: unknown }[];
  /** Called as soon as a block claimed for this request is confirmed in etcd, before its addresses are taken. */
  onClaimed?: (cidr: string) => void;
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
  /** The request's `alsoPut` keys were written with its addresses (else the caller writes them). */
  alsoPutWritten?: boolean;
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

/** One block as a node's status shows it: its own (confirmed) blocks, and others' it borrows from. */
export interface NodeBlockUsage {
  cidr: string;
  total: number;
  inUse: number;
  /** Another node's block that this node holds addresses in. */
  borrowed: boolean;
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
