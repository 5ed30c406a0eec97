// What IPAM stores in etcd, beside the user-facing resources (Calico's AllocationBlock, IPAMHandle
// and BlockAffinity, reshaped for one etcd transaction per change).

/** One allocated address inside a block. */
export interface Allocation {
  handle: string;
  /** The block's sequence number when this address was handed out: a release naming an older
   * sequence number is for a previous holder and frees nothing. */
  seq: number;
  /** The node that allocated it (differs from the block's owner when borrowed). */
  node: string;
  attrs?: Record<string, string>;
}

export interface IpamBlock {
  cidr: string;
  /** "host:<node>" for the owner, absent once the owner let go. */
  affinity?: string;
  /** Allocated ordinals (offset from the block's base) → who holds them. */
  allocations: Record<string, Allocation>;
  /** Free ordinals, handed out from the front and given back at the end, so a released address is
   * reused as late as possible. */
  unallocated: number[];
  /** Incremented on every allocation. */
  sequenceNumber: number;
  /** When the block last became empty (ms since the epoch); the grace period runs from it. */
  emptySince?: number;
}

export type AffinityState = 'pending' | 'confirmed';

/** A host's claim on a block. Pending until the block exists and is ours: only confirmed blocks are
 * routed. */
export interface BlockAffinity {
  node: string;
  cidr: string;
  state: AffinityState;
  createdAt: number;
}

/** Which blocks a handle (one endpoint) holds addresses in, and how many, for release by handle. */
export interface IpamHandle {
  handle: string;
  blocks: Record<string, number>;
}

/** A leak seen once, waiting for its second sighting after the grace period. */
export interface LeakObservation {
  address: string;
  handle: string;
  seq: number;
  firstSeen: number;
}

export const affinityOf = (node: string): string => `host:${node}`;
export const nodeOfAffinity = (affinity: string | undefined): string | undefined =>
  affinity?.startsWith('host:') ? affinity.slice(5) : undefined;
