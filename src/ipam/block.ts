// Pure operations on one IPAM block record: which address an ordinal is, taking free ordinals,
// giving them back. Nothing here talks to etcd; the callers write the result with a CAS.
import {
  type Allocation,
  affinityOf,
  type Cidr,
  cidrSize,
  formatAddress,
  type IpamBlock,
  mustParseCidr,
  parseAddress,
} from '../model/index.js';

export function newBlock(cidr: Cidr, cidrText: string, node: string, now: number): IpamBlock {
  const size = Number(cidrSize(cidr));
  return {
    cidr: cidrText,
    affinity: affinityOf(node),
    allocations: {},
    unallocated: Array.from({ length: size }, (_, i) => i),
    sequenceNumber: 0,
    emptySince: now,
  };
}

export const blockSize = (block: IpamBlock): number => Number(cidrSize(mustParseCidr(block.cidr)));
export const inUse = (block: IpamBlock): number => Object.keys(block.allocations).length;

export function addressAt(block: IpamBlock, ordinal: number): string {
  const c = mustParseCidr(block.cidr);
  return formatAddress(c.family, c.base + BigInt(ordinal));
}

/** The ordinal of `address` in `block`, or undefined when the block does not hold it. */
export function ordinalOf(block: IpamBlock, address: string): number | undefined {
  const c = mustParseCidr(block.cidr);
  const a = parseAddress(address);
  if (!a || a.family !== c.family) return undefined;
  const off = a.value - c.base;
  return off >= 0n && off < cidrSize(c) ? Number(off) : undefined;
}

export interface Taken {
  block: IpamBlock;
  addresses: string[];
}

/**
 * Takes up to `n` free ordinals from the front of the free list, skipping reserved ones (they stay
 * free in place, so lifting a reservation makes them usable again). Returns a new record.
 */
export function take(
  block: IpamBlock,
  n: number,
  holder: Omit<Allocation, 'seq'>,
  isReserved: (address: string) => boolean,
): Taken {
  const next = structuredClone(block);
  const addresses: string[] = [];
  const keep: number[] = [];
  const c = mustParseCidr(block.cidr);
  const free = next.unallocated;
  let i = 0;
  for (; i < free.length && addresses.length < n; i++) {
    const ordinal = free[i]!;
    const address = formatAddress(c.family, c.base + BigInt(ordinal));
    if (isReserved(address)) {
      keep.push(ordinal);
      continue;
    }
    next.sequenceNumber += 1;
    next.allocations[String(ordinal)] = { ...holder, seq: next.sequenceNumber };
    addresses.push(address);
  }
  // The rest of the free list stays as it is, unlooked-at: a big block costs no more than a small one.
  for (; i < free.length; i++) keep.push(free[i]!);
  next.unallocated = keep;
  if (addresses.length) delete next.emptySince;
  return { block: next, addresses };
}

/** Which allocations to free: all of a handle's, or named addresses (optionally only if the handle
 * and sequence number still match, so that a stale release frees nothing). */
export type ReleaseSelector =
  | { handle: string }
  /** Everything any of these handles holds (a batch of releases, one write of the block). */
  | { handles: ReadonlySet<string> }
  | { addresses: Map<string, { handle?: string; seq?: number }> };

export interface Released {
  block: IpamBlock;
  released: { address: string; handle: string }[];
}

export function release(block: IpamBlock, what: ReleaseSelector, now: number): Released {
  const next = structuredClone(block);
  const released: { address: string; handle: string }[] = [];
  const c = mustParseCidr(block.cidr);
  for (const [ordText, alloc] of Object.entries(next.allocations)) {
    if ('handle' in what && alloc.handle !== what.handle) continue;
    if ('handles' in what && !what.handles.has(alloc.handle)) continue;
    const address = formatAddress(c.family, c.base + BigInt(ordText));
    let match: boolean;
    if ('handle' in what || 'handles' in what) match = true;
    else {
      const want = what.addresses.get(address);
      match =
        want !== undefined &&
        (want.handle === undefined || want.handle === alloc.handle) &&
        (want.seq === undefined || want.seq === alloc.seq);
    }
    if (!match) continue;
    delete next.allocations[ordText];
    next.unallocated.push(Number(ordText));
    released.push({ address, handle: alloc.handle });
  }
  if (released.length && inUse(next) === 0) next.emptySince = now;
  return { block: next, released };
}

/** Allocated addresses of a block with their holders. */
export function allocationsOf(block: IpamBlock): { address: string; ordinal: number; allocation: Allocation }[] {
  return Object.entries(block.allocations).map(([o, allocation]) => ({
    address: addressAt(block, Number(o)),
    ordinal: Number(o),
    allocation,
  }));
}
