// Read-only questions about IPAM state: who holds an address, which blocks a node has, what it
// borrows. Used by the Ipam class, `tsroute ipam show` and the check.
import type { Kv } from '../datastore/index.js';
import { AFFINITY_PREFIX, affinityPrefix, BLOCKS_PREFIX, blockKey, handleKey } from '../datastore/keys.js';
import {
  affinityOf,
  type BlockAffinity,
  type IPPool,
  type IpamBlock,
  type IpamHandle,
  nodeOfAffinity,
} from '../model/index.js';
import { allocationsOf, blockSize, inUse, ordinalOf } from './block.js';
import { poolOfBlock } from './pools.js';
import type { AddressInfo, BlockInfo, NodeBlockUsage, RouteOwners } from './types.js';

/** The addresses `handle` holds. */
export async function addressesOf(kv: Kv, handle: string): Promise<string[]> {
  const h = await kv.get<IpamHandle>(handleKey(handle));
  if (!h) return [];
  const out: string[] = [];
  for (const cidr of Object.keys(h.value.blocks)) {
    const b = await kv.get<IpamBlock>(blockKey(cidr));
    if (b)
      out.push(
        ...allocationsOf(b.value)
          .filter((a) => a.allocation.handle === handle)
          .map((a) => a.address),
      );
  }
  return out;
}

export async function affinities(kv: Kv, node?: string): Promise<BlockAffinity[]> {
  return (await kv.list<BlockAffinity>(node ? affinityPrefix(node) : AFFINITY_PREFIX)).map((a) => a.value);
}

/** Blocks with usage; only `node`'s confirmed blocks when a node is given. */
export async function blocksOf(kv: Kv, pools: IPPool[], node?: string): Promise<BlockInfo[]> {
  const [blocks, affs] = await Promise.all([kv.list<IpamBlock>(BLOCKS_PREFIX), affinities(kv, node)]);
  const state = new Map(affs.map((a) => [`${a.node} ${a.cidr}`, a.state]));
  return blocks
    .map((b) => b.value)
    .filter((b) => !node || (b.affinity === affinityOf(node) && state.get(`${node} ${b.cidr}`) === 'confirmed'))
    .map((b) => {
      const owner = nodeOfAffinity(b.affinity);
      const used = inUse(b);
      return {
        cidr: b.cidr,
        pool: poolOfBlock(pools, b.cidr)?.metadata.name,
        owner,
        affinityState: owner ? state.get(`${owner} ${b.cidr}`) : undefined,
        total: blockSize(b),
        inUse: used,
        free: blockSize(b) - used,
        borrowedByOthers: Object.values(b.allocations).filter((a) => a.node !== owner).length,
      };
    });
}

/** Addresses `node` holds in blocks that are not its own: the agent announces them as /32 or /128. */
export async function borrowedAddresses(kv: Kv, node: string): Promise<string[]> {
  const blocks = await kv.list<IpamBlock>(BLOCKS_PREFIX);
  return blocks
    .filter((b) => b.value.affinity !== affinityOf(node))
    .flatMap((b) => allocationsOf(b.value).filter((a) => a.allocation.node === node))
    .map((a) => a.address);
}

/**
 * `node`'s confirmed blocks, then the other nodes' blocks it borrows addresses from, with their usage:
 * one read of the blocks and one of the node's affinities (an agent's status asks this at every
 * heartbeat; it was three reads of every block, and one more per borrowed address).
 */
export async function nodeBlockUsage(kv: Kv, node: string): Promise<NodeBlockUsage[]> {
  const [blocks, affs] = await Promise.all([kv.list<IpamBlock>(BLOCKS_PREFIX), affinities(kv, node)]);
  const confirmed = new Set(affs.filter((a) => a.state === 'confirmed').map((a) => a.cidr));
  const mine = affinityOf(node);
  const own: NodeBlockUsage[] = [];
  const borrowed: NodeBlockUsage[] = [];
  for (const { value: b } of blocks) {
    const usage = { cidr: b.cidr, total: blockSize(b), inUse: inUse(b) };
    if (b.affinity === mine) {
      if (confirmed.has(b.cidr)) own.push({ ...usage, borrowed: false });
    } else if (Object.values(b.allocations).some((a) => a.node === node)) borrowed.push({ ...usage, borrowed: true });
  }
  return [...own, ...borrowed];
}

/** Where every address of the cluster lives: see `Ipam.routeOwners`. */
export async function routeOwners(kv: Kv): Promise<RouteOwners> {
  const [blocks, affs] = await Promise.all([kv.list<IpamBlock>(BLOCKS_PREFIX), affinities(kv)]);
  const confirmed = new Set(affs.filter((a) => a.state === 'confirmed').map((a) => `${a.node} ${a.cidr}`));
  const out: RouteOwners = { blocks: [], borrowed: [] };
  for (const { value: b } of blocks) {
    const owner = nodeOfAffinity(b.affinity);
    const routed = owner !== undefined && confirmed.has(`${owner} ${b.cidr}`);
    if (routed) out.blocks.push({ cidr: b.cidr, node: owner });
    for (const a of allocationsOf(b))
      if (!routed || a.allocation.node !== owner) out.borrowed.push({ address: a.address, node: a.allocation.node });
  }
  return out;
}

/** Who holds `address`, or undefined if it is free or in no block. */
export async function lookup(kv: Kv, pools: IPPool[], address: string): Promise<AddressInfo | undefined> {
  const blocks = await kv.list<IpamBlock>(BLOCKS_PREFIX);
  for (const b of blocks) {
    const ord = ordinalOf(b.value, address);
    if (ord === undefined) continue;
    const a = b.value.allocations[String(ord)];
    if (!a) return undefined;
    return {
      address: allocationsOf(b.value).find((x) => x.ordinal === ord)!.address,
      block: b.value.cidr,
      blockOwner: nodeOfAffinity(b.value.affinity),
      pool: poolOfBlock(pools, b.value.cidr)?.metadata.name,
      handle: a.handle,
      seq: a.seq,
      node: a.node,
      attrs: a.attrs,
    };
  }
  return undefined;
}
