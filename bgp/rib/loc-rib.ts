// The route table: for each prefix, every path the import policies accepted (so Adj-RIB-In after
// policy is a view of it, as in BIRD), the best path and the ECMP set. Changes only mark prefixes
// dirty; `settle` re-runs the decision for dirty prefixes, a bounded number at a time, so the caller
// can yield to the event loop between chunks.
import type { AttrSet, AttrStore } from './attributes.js';
import { type DecisionOptions, selectBest } from './decision.js';
import type { Path, PathSource } from './path.js';

export interface Destination {
  paths: Path[];
  best: Path | undefined;
  /** With ECMP, the paths used for forwarding (the best first); absent when only the best is used. */
  multipath?: Path[];
}

export interface BestChange {
  prefix: string;
  /** Undefined when the prefix is gone. */
  best: Path | undefined;
  previous: Path | undefined;
  multipath: Path[];
  /** True when the ECMP next-hop set changed even if the best path did not. */
  multipathChanged: boolean;
}

const nextHopsKey = (paths: readonly Path[]) => paths.map((p) => p.attrs.nextHop ?? '').join(',');

export class LocRib {
  private readonly table = new Map<string, Destination>();
  private readonly dirty = new Set<string>();
  /** Paths held per source address (for counters). */
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly store: AttrStore,
    private maxPaths = 1,
    private readonly decision: DecisionOptions = {},
  ) {}

  setMaxPaths(n: number): void {
    this.maxPaths = Math.max(1, n);
    for (const prefix of this.table.keys()) this.dirty.add(prefix);
  }

  get size(): number {
    return this.table.size;
  }

  get pendingCount(): number {
    return this.dirty.size;
  }

  countFrom(address: string): number {
    return this.counts.get(address) ?? 0;
  }

  get(prefix: string): Destination | undefined {
    return this.table.get(prefix);
  }

  entries(): IterableIterator<[string, Destination]> {
    return this.table.entries();
  }

  private bump(address: string, by: number): void {
    this.counts.set(address, (this.counts.get(address) ?? 0) + by);
  }

  /** Adds or replaces the path from `source` (matched by peer address, so a path kept stale through a restart is replaced). */
  upsert(prefix: string, source: PathSource, attrs: AttrSet): void {
    let dest = this.table.get(prefix);
    if (!dest) {
      dest = { paths: [], best: undefined };
      this.table.set(prefix, dest);
    }
    const i = dest.paths.findIndex((p) => p.source.address === source.address);
    this.store.retain(attrs);
    if (i >= 0) {
      const old = dest.paths[i]!;
      if (old.attrs === attrs && old.source === source && !old.stale) {
        this.store.release(attrs);
        return;
      }
      this.store.release(old.attrs);
      dest.paths[i] = { source, attrs };
    } else {
      dest.paths.push({ source, attrs });
      this.bump(source.address, 1);
    }
    this.dirty.add(prefix);
  }

  /** Removes the path from the peer at `address`; true if there was one. */
  remove(prefix: string, address: string): boolean {
    const dest = this.table.get(prefix);
    if (!dest) return false;
    const i = dest.paths.findIndex((p) => p.source.address === address);
    if (i < 0) return false;
    this.store.release(dest.paths[i]!.attrs);
    dest.paths.splice(i, 1);
    this.bump(address, -1);
    this.dirty.add(prefix);
    return true;
  }

  /** The path from `address` for `prefix`, if any. */
  pathFrom(prefix: string, address: string): Path | undefined {
    return this.table.get(prefix)?.paths.find((p) => p.source.address === address);
  }

  /** Marks every path from `address` stale (RFC 4724 §4.2); returns how many. */
  markStale(address: string, prefixes: Iterable<string> = this.table.keys()): number {
    let n = 0;
    for (const prefix of prefixes) {
      const p = this.table.get(prefix)?.paths.find((x) => x.source.address === address);
      if (p && !p.stale) {
        p.stale = true;
        n++;
      }
    }
    return n;
  }

  /** Removes the stale paths from `address` among `prefixes` (all by default); returns how many. */
  purgeStale(address: string, prefixes: Iterable<string> = [...this.table.keys()]): number {
    let n = 0;
    for (const prefix of prefixes) {
      const p = this.table.get(prefix)?.paths.find((x) => x.source.address === address);
      if (p?.stale && this.remove(prefix, address)) n++;
    }
    return n;
  }

  /**
   * Re-runs the decision for up to `limit` dirty prefixes and returns the ones whose best path or ECMP
   * set changed. Call again while `pendingCount` > 0.
   */
  settle(limit = Number.POSITIVE_INFINITY): BestChange[] {
    const changes: BestChange[] = [];
    let n = 0;
    for (const prefix of this.dirty) {
      if (n++ >= limit) break;
      this.dirty.delete(prefix);
      const dest = this.table.get(prefix);
      if (!dest) continue;
      const previous = dest.best;
      const oldHops = dest.multipath ? nextHopsKey(dest.multipath) : undefined;
      let best: Path | undefined;
      let multipath: Path[];
      if (dest.paths.length === 1 && this.maxPaths === 1) {
        // The common case (one path per prefix): no decision to run, nothing to allocate.
        best = dest.paths[0];
        multipath = [];
      } else ({ best, multipath } = selectBest(dest.paths, this.maxPaths, this.decision));
      dest.best = best;
      if (multipath.length > 1) dest.multipath = multipath;
      else if (dest.multipath) dest.multipath = undefined;
      if (!best) this.table.delete(prefix);
      const newHops = multipath.length > 1 ? nextHopsKey(multipath) : undefined;
      const multipathChanged = oldHops !== newHops;
      if (best !== previous || multipathChanged || (best && previous && best.attrs !== previous.attrs))
        changes.push({ prefix, best, previous, multipath: dest.multipath ?? (best ? [best] : []), multipathChanged });
    }
    return changes;
  }
}
