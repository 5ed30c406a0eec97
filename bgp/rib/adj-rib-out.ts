// What one peer has been told, per prefix, and what it is still to be told. Changes queue up as
// "prefix → new attribute set (or withdraw)"; a flush turns the queue into batches grouped by attribute
// set, so each batch becomes as few UPDATEs as the packer can make, and drops changes that would tell
// the peer what it already has.
import type { AttrSet, AttrStore } from './attributes.js';

export interface OutBatch {
  /** Prefixes to announce with `attrs`. */
  attrs: AttrSet;
  prefixes: string[];
}

export interface OutFlush {
  announce: OutBatch[];
  withdraw: string[];
}

export class AdjRibOut {
  private readonly sent = new Map<string, AttrSet>();
  private readonly pending = new Map<string, AttrSet | null>();

  constructor(private readonly store: AttrStore) {}

  get size(): number {
    return this.sent.size;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Queues `attrs` (or a withdrawal) for `prefix`; a later call for the same prefix replaces it. */
  queue(prefix: string, attrs: AttrSet | null): void {
    this.pending.set(prefix, attrs);
  }

  get(prefix: string): AttrSet | undefined {
    return this.sent.get(prefix);
  }

  entries(): IterableIterator<[string, AttrSet]> {
    return this.sent.entries();
  }

  /** Takes up to `limit` queued changes and returns them grouped by attribute set. */
  flush(limit = Number.POSITIVE_INFINITY): OutFlush {
    const groups = new Map<AttrSet, string[]>();
    const withdraw: string[] = [];
    let n = 0;
    for (const [prefix, attrs] of this.pending) {
      if (n++ >= limit) break;
      this.pending.delete(prefix);
      const before = this.sent.get(prefix);
      if (attrs === null) {
        if (!before) continue;
        this.sent.delete(prefix);
        this.store.release(before);
        withdraw.push(prefix);
        continue;
      }
      if (before === attrs) continue;
      this.store.retain(attrs);
      if (before) this.store.release(before);
      this.sent.set(prefix, attrs);
      let list = groups.get(attrs);
      if (!list) {
        list = [];
        groups.set(attrs, list);
      }
      list.push(prefix);
    }
    return { announce: [...groups].map(([attrs, prefixes]) => ({ attrs, prefixes })), withdraw };
  }

  /** Forgets everything (the session went down: the peer forgot it too). */
  clear(): void {
    for (const attrs of this.sent.values()) this.store.release(attrs);
    this.sent.clear();
    this.pending.clear();
  }
}
