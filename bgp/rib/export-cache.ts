// What a path becomes on export, remembered so the export rules and the peer's policy run once per
// attribute set rather than once per prefix. Two kinds:
// - ExportCache, per session, for ADD-PATH peers and prefix-dependent policies: for each (source,
//   set), the interned set the peer is sent, or null when export refuses the path. Keyed by source
//   too: split horizon, ORIGINATOR_ID and MED rules depend on where a path came from. Results are
//   retained in the store while cached. When a set leaves the store, whatever was cached for it
//   leaves every cache with it: otherwise a withdrawn table's export sets stay alive until a cache
//   fills up. Only sets that are a key in some cache are looked for.
// - BatchExports, for everyone else: the results of one batch, not interned (see below).
import type { AttrSet, AttrStore, PathAttributes } from './attributes.js';
import type { PathSource } from './path.js';

/** Results one session caches before its cache starts over. */
const LIMIT = 20_000;

export class ExportCache {
  private readonly bySource = new Map<PathSource, Map<AttrSet, AttrSet | null>>();
  private size = 0;

  constructor(private readonly keys: ExportKeys) {}

  /** The cached result (undefined: none cached). */
  get(source: PathSource, attrs: AttrSet): AttrSet | null | undefined {
    return this.bySource.get(source)?.get(attrs);
  }

  /** Caches `result`, which the caller has retained in the store (released when it leaves the cache). */
  put(source: PathSource, attrs: AttrSet, result: AttrSet | null): void {
    if (this.size >= LIMIT) this.clear();
    let cache = this.bySource.get(source);
    if (!cache) {
      cache = new Map();
      this.bySource.set(source, cache);
    }
    cache.set(attrs, result);
    this.size++;
    this.keys.add(attrs.__id);
  }

  clear(): void {
    const caches = [...this.bySource.values()];
    this.bySource.clear();
    this.size = 0;
    for (const cache of caches)
      for (const [key, result] of cache) {
        if (key.__id > 0) this.keys.drop(key.__id);
        if (result) this.keys.store.releaseId(result.__id);
      }
  }

  /** `set` left the store: what was cached for it goes (and is released). */
  forget(set: AttrSet): void {
    for (const cache of this.bySource.values()) {
      const result = cache.get(set);
      if (result === undefined) continue;
      cache.delete(set);
      this.size--;
      if (result) this.keys.store.releaseId(result.__id);
    }
  }
}

/** The sessions' caches over one store, and per set id how many of them hold the set as a key. */
export class ExportKeys {
  private counts = new Int32Array(1024);
  private readonly caches = new Set<ExportCache>();

  constructor(readonly store: AttrStore) {
    store.onFree = (set, id) => this.freed(set, id);
  }

  newCache(): ExportCache {
    const cache = new ExportCache(this);
    this.caches.add(cache);
    return cache;
  }

  /** A session ended: its cache is emptied and forgotten. */
  dispose(cache: ExportCache): void {
    cache.clear();
    this.caches.delete(cache);
  }

  add(id: number): void {
    if (id >= this.counts.length) {
      const bigger = new Int32Array(Math.max(id + 1, this.counts.length * 2));
      bigger.set(this.counts);
      this.counts = bigger;
    }
    this.counts[id]!++;
  }

  drop(id: number): void {
    this.counts[id]!--;
  }

  private freed(set: AttrSet, id: number): void {
    if (id >= this.counts.length || this.counts[id] === 0) return;
    this.counts[id] = 0;
    for (const cache of this.caches) cache.forget(set);
  }
}

/**
 * Export results for one batch to a peer sent only best paths, under a policy that does not read
 * the prefix: per (source, set), the attributes or null. They are neither interned nor kept past the
 * batch. With a new set every few prefixes each result serves a few prefixes of one batch, and
 * interning, retaining and later releasing it cost more than making it. The batch's prefixes are
 * grouped by these objects: one object per (source, set) keeps a set's prefixes in one UPDATE.
 */
export class BatchExports {
  private readonly results = new Map<AttrSet, { source: PathSource; result: PathAttributes | null }>();

  get(source: PathSource, attrs: AttrSet): PathAttributes | null | undefined {
    const e = this.results.get(attrs);
    return e && e.source === source ? e.result : undefined;
  }

  put(source: PathSource, attrs: AttrSet, result: PathAttributes | null): void {
    this.results.set(attrs, { source, result });
  }

  clear(): void {
    this.results.clear();
  }
}
