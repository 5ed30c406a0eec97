// The fast path for a burst of single-address requests from one node: when they all fit in one of
// the node's blocks, one transaction writes the block and every new handle (each compared absent).
// Anything else — two families, a named pool, an existing handle, no room — returns undefined and the
// requests take the ordinary one-by-one path.
import type { Kv, Op, Versioned } from '../datastore/index.js';
import { blockKey, handleKey } from '../datastore/keys.js';
import {
  affinityOf,
  type Family,
  type IPPool,
  type IpamBlock,
  type IpamHandle,
  mustParseCidr,
} from '../model/index.js';
import { take } from './block.js';
import { poolOfBlock, usablePools } from './pools.js';
import type { AutoAssignRequest, AutoAssignResult } from './types.js';

/** etcd's default --max-txn-ops: the most operations one transaction may carry. */
export const MAX_TXN_OPS = 128;

export interface BatchInput {
  kv: Kv;
  requests: AutoAssignRequest[];
  pools: IPPool[];
  labels: Record<string, string>;
  isReserved: (address: string) => boolean;
  affine: string[];
  cache: Map<string, Versioned<IpamBlock>>;
}

export async function allocateBatch(
  b: BatchInput,
): Promise<{ results: AutoAssignResult[]; block: Versioned<IpamBlock> } | undefined> {
  const first = b.requests[0]!;
  const family: Family = first.num4 ? 'ipv4' : 'ipv6';
  const simple = b.requests.every(
    (r) =>
      r.node === first.node &&
      !r.pools?.length &&
      (family === 'ipv4' ? r.num4 === 1 && !r.num6 : r.num6 === 1 && !r.num4),
  );
  if (!simple || new Set(b.requests.map((r) => r.handle)).size !== b.requests.length) return undefined;
  const pools = usablePools(b.pools, family, b.labels).map((p) => p.pool);
  const mine = affinityOf(first.node);
  const block = b.affine
    .filter((c) => mustParseCidr(c).family === family && poolOfBlock(pools, c))
    .map((c) => b.cache.get(c))
    .find((v) => v && v.value.affinity === mine && v.value.unallocated.length >= b.requests.length);
  if (!block) return undefined;
  let next = block.value;
  const addresses: string[] = [];
  for (const r of b.requests) {
    const t = take(next, 1, { handle: r.handle, node: r.node, ...(r.attrs ? { attrs: r.attrs } : {}) }, b.isReserved);
    if (t.addresses.length !== 1) return undefined;
    next = t.block;
    addresses.push(t.addresses[0]!);
  }
  const compares = [{ key: blockKey(next.cidr), modRevision: block.modRevision }];
  const ops: Op[] = [{ put: blockKey(next.cidr), value: next }];
  b.requests.forEach((r, i) => {
    const h: IpamHandle = { handle: r.handle, blocks: { [next.cidr]: 1 } };
    compares.push({ key: handleKey(r.handle), modRevision: 0 });
    ops.push({ put: handleKey(r.handle), value: h });
    for (const p of r.alsoPut?.([addresses[i]!]) ?? []) ops.push({ put: p.key, value: p.value });
  });
  // etcd refuses a transaction of more than --max-txn-ops (128 by default) operations
  if (ops.length > MAX_TXN_OPS) return undefined;
  for (const [i, r] of b.requests.entries()) r.onChosen?.([addresses[i]!]);
  const res = await b.kv.txn(compares, ops);
  if (!res.succeeded) {
    b.cache.delete(next.cidr);
    return undefined;
  }
  return {
    results: b.requests.map((r, i) => {
      const a = addresses[i]!;
      const alsoPutWritten = r.alsoPut !== undefined;
      return family === 'ipv4'
        ? { ipv4: [a], ipv6: [], claimedBlocks: [], alsoPutWritten }
        : { ipv4: [], ipv6: [a], claimedBlocks: [], alsoPutWritten };
    }),
    block: { key: block.key, value: next, modRevision: res.revision, createRevision: block.createRevision },
  };
}
