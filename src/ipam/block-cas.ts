// Changing one block (and the handles it touches) with compare-on-mod-revision: read, compute, write
// if nobody wrote in between, else retry on the values the failed transaction returned.
import type { Kv, Op, Versioned } from '../datastore/index.js';
import { blockKey, handleKey } from '../datastore/keys.js';
import type { Allocation, IpamBlock, IpamHandle } from '../model/index.js';
import { type ReleaseSelector, release, take } from './block.js';
import { IpamContentionError } from './errors.js';

/** The caller's view of its handle record, kept current across calls to avoid re-reading it. */
export interface HandleView {
  handle: string;
  current: Versioned<IpamHandle> | undefined;
}

/** After a lost compare-and-swap, wait a random while that grows with the attempts, so that many
 * writers of one block spread out instead of colliding again in lock-step. */
export function backoff(attempt: number): Promise<void> {
  if (attempt === 0) return Promise.resolve();
  const ms = Math.random() * Math.min(50, 2 ** attempt);
  return new Promise((r) => setTimeout(r, ms));
}

export interface AllocateInBlock {
  kv: Kv;
  cidr: string;
  /** A recent read of the block, if the caller has one (saves a round trip). */
  cached?: Versioned<IpamBlock>;
  /** The cached read is recent enough that a full block is believed without reading it again. */
  cachedIsFresh?: boolean;
  n: number;
  holder: Omit<Allocation, 'seq' | 'handle'>;
  handle: HandleView;
  isReserved: (address: string) => boolean;
  /** Whether the block may be used as it is now (e.g. still ours). */
  accept: (block: IpamBlock) => boolean;
  maxRetries: number;
  /** When this call takes all `n` addresses in one transaction: told them before it is sent, and
   * the keys written with them (see AutoAssignRequest.onChosen / alsoPut). */
  whole?: {
    onChosen?: (addresses: string[]) => void;
    alsoPut?: (addresses: string[]) => { key: string; value: unknown }[];
  };
}

export async function allocateInBlock(
  a: AllocateInBlock,
): Promise<{ addresses: string[]; block?: Versioned<IpamBlock>; alsoPutWritten?: boolean }> {
  const bKey = blockKey(a.cidr);
  const hKey = handleKey(a.handle.handle);
  let block = a.cached ?? (await a.kv.get<IpamBlock>(bKey));
  let refreshed = !a.cached || !!a.cachedIsFresh;
  for (let attempt = 0; attempt < a.maxRetries; attempt++) {
    if (!block || !a.accept(block.value)) return { addresses: [], block };
    const taken = take(block.value, a.n, { ...a.holder, handle: a.handle.handle }, a.isReserved);
    if (!taken.addresses.length) {
      // A cached view may be stale (a release since): look once more before calling it full.
      if (refreshed) return { addresses: [], block };
      block = await a.kv.get<IpamBlock>(bKey);
      refreshed = true;
      continue;
    }
    const h: IpamHandle = structuredClone(a.handle.current?.value ?? { handle: a.handle.handle, blocks: {} });
    h.blocks[a.cidr] = (h.blocks[a.cidr] ?? 0) + taken.addresses.length;
    const whole = taken.addresses.length === a.n ? a.whole : undefined;
    const also: Op[] = (whole?.alsoPut?.(taken.addresses) ?? []).map((p) => ({ put: p.key, value: p.value }));
    whole?.onChosen?.(taken.addresses);
    const res = await a.kv.txn(
      [
        { key: bKey, modRevision: block.modRevision },
        { key: hKey, modRevision: a.handle.current?.modRevision ?? 0 },
      ],
      [{ put: bKey, value: taken.block }, { put: hKey, value: h }, ...also],
      [bKey, hKey],
    );
    if (res.succeeded) {
      a.handle.current = { key: hKey, value: h, modRevision: res.revision, createRevision: res.revision };
      return {
        addresses: taken.addresses,
        block: { key: bKey, value: taken.block, modRevision: res.revision, createRevision: block.createRevision },
        alsoPutWritten: whole?.alsoPut !== undefined,
      };
    }
    block = res.reads.get(bKey) as Versioned<IpamBlock> | undefined;
    const handleNow = res.reads.get(hKey) as Versioned<IpamHandle> | undefined;
    // Only the block raced: back off. A handle we did not know about is no contention.
    if (block?.modRevision !== undefined && handleNow?.modRevision === a.handle.current?.modRevision)
      await backoff(attempt);
    a.handle.current = handleNow;
    refreshed = true;
  }
  throw new IpamContentionError(`block ${a.cidr} stayed contended for ${a.maxRetries} attempts; try again`);
}

/** Frees what `what` selects in one block, updating the handles' counts in the same transaction. */
export async function releaseInBlock(
  kv: Kv,
  cidr: string,
  what: ReleaseSelector,
  maxRetries: number,
): Promise<{ address: string; handle: string }[]> {
  const bKey = blockKey(cidr);
  for (let attempt = 0; attempt < maxRetries; attempt++) {
    const block = await kv.get<IpamBlock>(bKey);
    if (!block) return [];
    const r = release(block.value, what, Date.now());
    if (!r.released.length) return [];
    const counts = new Map<string, number>();
    for (const x of r.released) counts.set(x.handle, (counts.get(x.handle) ?? 0) + 1);
    const handles = await Promise.all([...counts.keys()].map((h) => kv.get<IpamHandle>(handleKey(h))));
    const compares = [{ key: bKey, modRevision: block.modRevision }];
    const ops: Op[] = [{ put: bKey, value: r.block }];
    [...counts.entries()].forEach(([h, n], i) => {
      const current = handles[i];
      compares.push({ key: handleKey(h), modRevision: current?.modRevision ?? 0 });
      if (!current) return;
      const next = structuredClone(current.value);
      const left = (next.blocks[cidr] ?? 0) - n;
      if (left > 0) next.blocks[cidr] = left;
      else delete next.blocks[cidr];
      ops.push(Object.keys(next.blocks).length ? { put: handleKey(h), value: next } : { delete: handleKey(h) });
    });
    const res = await kv.txn(compares, ops);
    if (res.succeeded) return r.released;
    await backoff(attempt + 1);
  }
  throw new IpamContentionError(`block ${cidr} stayed contended for ${maxRetries} attempts while releasing; try again`);
}
