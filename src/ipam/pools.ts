// Which pools a node may allocate from, which blocks a pool is made of, and reserved addresses.
import {
  type Cidr,
  cidrContainsAddress,
  cidrSize,
  type Family,
  formatCidr,
  type IPPool,
  type IPReservation,
  mustParseCidr,
  parseAddress,
  selectorMatches,
} from '../model/index.js';

export interface UsablePool {
  pool: IPPool;
  cidr: Cidr;
  blockSize: number;
}

/**
 * Enabled pools of `family` whose nodeSelector matches the node, optionally limited to `names`. A
 * disabled pool hands out no new address even when named (its addresses in use stay theirs).
 */
export function usablePools(
  pools: IPPool[],
  family: Family,
  nodeLabels: Record<string, string>,
  names?: string[],
): UsablePool[] {
  return pools
    .filter((p) => !p.spec.disabled && (!names?.length || names.includes(p.metadata.name)))
    .map((pool) => ({ pool, cidr: mustParseCidr(pool.spec.cidr), blockSize: pool.spec.blockSize ?? 0 }))
    .filter((p) => p.cidr.family === family && selectorMatches(p.pool.spec.nodeSelector, nodeLabels));
}

/** The block CIDRs of a pool, in an order that starts at a random place so that hosts claiming at
 * the same time rarely race for the same block. Huge pools (IPv6) are probed at random instead. */
export function* candidateBlocks(p: UsablePool, taken: Set<string>, random = Math.random): Generator<string> {
  const count = cidrSize(p.cidr) / cidrSize({ ...p.cidr, prefixLength: p.blockSize });
  const step = cidrSize({ ...p.cidr, prefixLength: p.blockSize });
  const at = (i: bigint) =>
    formatCidr({ family: p.cidr.family, base: p.cidr.base + i * step, prefixLength: p.blockSize });
  if (count <= 65536n) {
    const n = Number(count);
    const start = Math.floor(random() * n);
    for (let k = 0; k < n; k++) {
      const cidr = at(BigInt((start + k) % n));
      if (!taken.has(cidr)) yield cidr;
    }
    return;
  }
  for (let tries = 0; tries < 1024; tries++) {
    const i = (BigInt(Math.floor(random() * 2 ** 52)) * 4096n + BigInt(Math.floor(random() * 4096))) % count;
    const cidr = at(i);
    if (!taken.has(cidr)) yield cidr;
  }
}

/** A predicate for "never hand this address out", from IPReservations. */
export function reservedChecker(reservations: IPReservation[]): (address: string) => boolean {
  const cidrs = reservations.flatMap((r) => r.spec.reservedCIDRs.map((c) => mustParseCidr(c)));
  if (!cidrs.length) return () => false;
  return (address) => {
    const a = parseAddress(address);
    return !!a && cidrs.some((c) => cidrContainsAddress(c, a.family, a.value));
  };
}

/** The pool holding a block, if any. */
export function poolOfBlock(pools: IPPool[], blockCidr: string): IPPool | undefined {
  const b = mustParseCidr(blockCidr);
  return pools.find((p) => {
    const c = mustParseCidr(p.spec.cidr);
    return cidrContainsAddress(c, b.family, b.base) && b.prefixLength >= c.prefixLength;
  });
}
