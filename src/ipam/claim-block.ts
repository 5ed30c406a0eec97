// Claiming a block for a host, in three etcd transactions so a crash at any point leaves a state the
// check can name, and a half-claimed block is never routed:
//   1. affinity "pending" (only if neither the affinity nor the block exists),
//   2. the block, owned by the host (create only if absent),
//   3. affinity "confirmed" — only confirmed blocks are announced by BGP.
// A host that finds its own pending affinity (it crashed mid-claim) finishes the claim.
import type { Kv, Versioned } from '../datastore/index.js';
import { affinityKey, blockKey } from '../datastore/keys.js';
import { affinityOf, type BlockAffinity, type IpamBlock, mustParseCidr } from '../model/index.js';
import { newBlock } from './block.js';

export interface ClaimHooks {
  /** Test hooks to stop a process at a precise point of the claim (crash tests). */
  afterPendingAffinity?: (cidr: string) => Promise<void>;
  afterBlockCreated?: (cidr: string) => Promise<void>;
}

export type ClaimOutcome = { claimed: true; block: Versioned<IpamBlock> } | { claimed: false };

export async function claimBlock(kv: Kv, node: string, cidr: string, hooks: ClaimHooks = {}): Promise<ClaimOutcome> {
  const aKey = affinityKey(node, cidr);
  const bKey = blockKey(cidr);
  const now = Date.now();
  let affinity: Versioned<BlockAffinity> | undefined;
  const pending: BlockAffinity = { node, cidr, state: 'pending', createdAt: now };
  const step1 = await kv.txn(
    [
      { key: aKey, modRevision: 0 },
      { key: bKey, modRevision: 0 },
    ],
    [{ put: aKey, value: pending }],
    [aKey, bKey],
  );
  if (step1.succeeded) {
    affinity = { key: aKey, value: pending, modRevision: step1.revision, createRevision: step1.revision };
  } else {
    affinity = step1.reads.get(aKey) as Versioned<BlockAffinity> | undefined;
    const block = step1.reads.get(bKey) as Versioned<IpamBlock> | undefined;
    // Someone else's block, or ours already confirmed (then the caller's cache was stale).
    if (!affinity) return { claimed: false };
    if (block && block.value.affinity !== affinityOf(node)) return { claimed: false };
  }
  await hooks.afterPendingAffinity?.(cidr);

  let block: Versioned<IpamBlock>;
  const fresh = newBlock(mustParseCidr(cidr), cidr, node, now);
  const step2 = await kv.txn([{ key: bKey, modRevision: 0 }], [{ put: bKey, value: fresh }], [bKey]);
  if (step2.succeeded) {
    block = { key: bKey, value: fresh, modRevision: step2.revision, createRevision: step2.revision };
  } else {
    const existing = step2.reads.get(bKey) as Versioned<IpamBlock> | undefined;
    if (!existing || existing.value.affinity !== affinityOf(node)) {
      // Lost the race for the block: take back our pending affinity.
      await kv.txn([{ key: aKey, modRevision: affinity.modRevision }], [{ delete: aKey }]);
      return { claimed: false };
    }
    block = existing as Versioned<IpamBlock>;
  }
  await hooks.afterBlockCreated?.(cidr);

  if (affinity.value.state !== 'confirmed') {
    const confirmed: BlockAffinity = { ...affinity.value, state: 'confirmed' };
    const step3 = await kv.txn([{ key: aKey, modRevision: affinity.modRevision }], [{ put: aKey, value: confirmed }]);
    if (!step3.succeeded) return { claimed: false };
  }
  return { claimed: true, block };
}
