// All-or-nothing writes of any size. etcd refuses a transaction with more than --max-txn-ops
// operations (128 by default; compares count too), so a big `apply -f` is written as several
// transactions, each guarded by the mod revisions its resources had when the whole batch was checked.
// If a later chunk's compares fail (someone changed one of its resources meanwhile) or etcd goes away
// mid-way, the chunks already written are rolled back — each restored only while it still holds what
// this write put there — so the batch ends written whole or not at all. Readers may see part of a
// batch for the moment between its first chunk and its rollback; never after.
import { ConflictError } from './errors.js';
import type { Compare, Kv, Op } from './kv.js';

/** Resources per transaction: one compare and one put each, well under etcd's default 128. */
export const TXN_CHUNK = 100;

export interface GuardedWrite {
  compare: Compare;
  op: Op;
  /** The value before (undefined: the key did not exist), restored on rollback; 'keep' skips it. */
  previous: unknown | 'keep';
}

export interface ChunkedResult {
  succeeded: boolean;
  /** Per write, the revision of the transaction that wrote it (when succeeded). */
  revisions: number[];
}

/** Test seam: runs between chunks, after `written` chunks are in etcd. */
export type BetweenChunks = (written: number) => Promise<void>;

export async function writeAllOrNothing(
  kv: Kv,
  writes: GuardedWrite[],
  between?: BetweenChunks,
  chunk = TXN_CHUNK,
): Promise<ChunkedResult> {
  const done: { writes: GuardedWrite[]; revision: number }[] = [];
  for (let i = 0; i < writes.length; i += chunk) {
    const part = writes.slice(i, i + chunk);
    let res: Awaited<ReturnType<Kv['txn']>>;
    try {
      res = await kv.txn(
        part.map((w) => w.compare),
        part.map((w) => w.op),
      );
    } catch (err) {
      await rollback(kv, done).catch(() => undefined); // etcd is away: the error below says so
      throw err;
    }
    if (!res.succeeded) {
      await rollback(kv, done);
      return { succeeded: false, revisions: [] };
    }
    done.push({ writes: part, revision: res.revision });
    if (between && i + chunk < writes.length) {
      try {
        await between(done.length);
      } catch (err) {
        await rollback(kv, done);
        throw err;
      }
    }
  }
  return { succeeded: true, revisions: done.flatMap((d) => d.writes.map(() => d.revision)) };
}

/** Restores what the written chunks replaced, newest first, each key only while it is still ours. */
async function rollback(kv: Kv, done: { writes: GuardedWrite[]; revision: number }[]): Promise<void> {
  const lost: string[] = [];
  for (const { writes, revision } of [...done].reverse()) {
    const undo = writes.filter((w) => w.previous !== 'keep' && 'put' in w.op);
    for (let i = 0; i < undo.length; i += TXN_CHUNK) {
      const part = undo.slice(i, i + TXN_CHUNK);
      const ops = (w: GuardedWrite): Op =>
        w.previous === undefined ? { delete: w.compare.key } : { put: w.compare.key, value: w.previous };
      const res = await kv.txn(
        part.map((w) => ({ key: w.compare.key, modRevision: revision })),
        part.map(ops),
      );
      if (res.succeeded) continue;
      // someone changed one of these since: restore the others one by one, keep theirs
      for (const w of part) {
        const one = await kv.txn([{ key: w.compare.key, modRevision: revision }], [ops(w)]);
        if (!one.succeeded) lost.push(w.compare.key);
      }
    }
  }
  if (lost.length)
    throw new ConflictError(
      `the apply was undone except for ${lost.join(', ')}, which someone changed meanwhile (theirs is kept)`,
    );
}
