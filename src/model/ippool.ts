// IPPool: a range container addresses come from, carved into blocks that hosts claim.
import { type Cidr, cidrsOverlap, familyName, formatCidr, parseCidr } from './cidr.js';
import type { Schema } from './fields.js';
import { type Resource, ValidationError } from './resource.js';
import { selectorProblem } from './selector.js';

export interface IPPoolSpec {
  cidr: string;
  /** Prefix length of the blocks hosts claim: /26 (IPv4) and /122 (IPv6) by default. */
  blockSize?: number;
  natOutgoing?: boolean;
  /** No new allocations; existing ones stay. */
  disabled?: boolean;
  /** Blocks of this pool are not announced by BGP. */
  disableBGPExport?: boolean;
  /** Which nodes allocate from this pool (empty: all). */
  nodeSelector?: string;
}
export type IPPool = Resource<'IPPool', IPPoolSpec>;

export const DEFAULT_BLOCK_SIZE = { ipv4: 26, ipv6: 122 } as const;
// Calico's bounds: a block has at least 2^(32-32)=1 and at most 4096 addresses.
export const BLOCK_SIZE_BOUNDS = { ipv4: [20, 32], ipv6: [116, 128] } as const;

export const ippoolSchema: Schema = {
  cidr: { type: 'string', required: true },
  blockSize: { type: 'int' },
  natOutgoing: { type: 'bool' },
  disabled: { type: 'bool' },
  disableBGPExport: { type: 'bool' },
  nodeSelector: { type: 'string', check: selectorProblem },
};

export function poolCidr(pool: IPPool): Cidr {
  const r = parseCidr(pool.spec.cidr);
  if (!r.ok) throw new ValidationError(`ippool "${pool.metadata.name}": spec.cidr ${r.reason}`);
  return r.cidr;
}

export function ippoolDefaults(pool: IPPool): void {
  const r = parseCidr(pool.spec.cidr);
  if (r.ok && pool.spec.blockSize === undefined) pool.spec.blockSize = DEFAULT_BLOCK_SIZE[r.cidr.family];
  pool.spec.natOutgoing ??= false;
  pool.spec.disabled ??= false;
  pool.spec.disableBGPExport ??= false;
}

export function validateIPPool(pool: IPPool): void {
  const who = `ippool "${pool.metadata.name}"`;
  const cidr = poolCidr(pool);
  const [min, max] = BLOCK_SIZE_BOUNDS[cidr.family];
  const bs = pool.spec.blockSize ?? DEFAULT_BLOCK_SIZE[cidr.family];
  if (bs < min || bs > max) {
    throw new ValidationError(
      `${who}: spec.blockSize ${bs} is out of range for ${familyName(cidr.family)} (${min}-${max})`,
    );
  }
  if (bs < cidr.prefixLength) {
    throw new ValidationError(`${who}: spec.blockSize /${bs} is larger than the pool ${formatCidr(cidr)}`);
  }
}

/** The one-line conflict when `pool` overlaps another pool, or undefined. */
export function poolOverlap(pool: IPPool, others: IPPool[]): string | undefined {
  const mine = poolCidr(pool);
  for (const other of others) {
    if (other.metadata.name === pool.metadata.name) continue;
    const theirs = parseCidr(other.spec.cidr);
    if (theirs.ok && cidrsOverlap(mine, theirs.cidr)) {
      return `ippool "${pool.metadata.name}" overlaps ippool "${other.metadata.name}" (${other.spec.cidr})`;
    }
  }
  return undefined;
}
