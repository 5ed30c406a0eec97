// The route table: for each prefix, every path the import policies accepted (so Adj-RIB-In after
// policy is a view of it, as in BIRD), the best path and, with ECMP, the multipath set. It is kept in
// typed arrays — per prefix slot (prefix-table.ts) a path list head, the best path, flags and a count
// of sessions holding the prefix; per path a row in the PathPool — so a full table is a few dozen
// bytes a prefix and almost nothing for the garbage collector to trace.
//
// Changes only mark prefixes dirty; `settle` re-runs the decision for dirty prefixes, a bounded
// number at a time, so the caller can yield to the event loop between chunks.
import type { AttrSet, AttrStore } from './attributes.js';
import { type DecisionOptions, selectBest } from './decision.js';
import type { Path, PathSource } from './path.js';
import { PATH_HAS_ID, PATH_STALE, PathPool } from './path-pool.js';
import { type FamilyIndex, newScratch, parseKey, V4, V6 } from './prefix-key.js';
import { grown, PrefixTable } from './prefix-table.js';
import { SlotQueue } from './slot-queue.js';
import { SourceTable } from './sources.js';

/** Slot flags. */
const DIRTY = 1;
/** The best path was removed since the last decision: whatever comes next is a change. */
const BEST_GONE = 2;

/** One family's prefixes and their per-slot route state. */
export class FamilyRib {
  readonly table: PrefixTable;
  /** First path of the slot's list (0 = none). */
  head = new Int32Array(0);
  /** The best path (0 = none). */
  best = new Int32Array(0);
  state = new Uint8Array(0);
  /** Sessions that have sent, or queued for sending, this prefix: a slot is reused only at zero. */
  holders = new Uint16Array(0);
  /** ECMP next-hop set per slot, only for slots whose multipath set has more than one path. */
  readonly multipathKeys = new Map<number, string>();
  /** Slots whose decision must run again (each once: the DIRTY flag says it is queued). */
  readonly dirty = new SlotQueue();

  constructor(readonly family: FamilyIndex) {
    this.table = new PrefixTable(family);
    this.table.onGrow = (cap) => this.grow(cap);
    this.grow(this.table.capacity);
  }

  private grow(cap: number): void {
    this.head = grown(this.head, cap);
    this.best = grown(this.best, cap);
    this.state = grown(this.state, cap);
    this.holders = grown(this.holders, cap);
  }

  markDirty(slot: number): void {
    if (this.state[slot]! & DIRTY) return;
    this.state[slot]! |= DIRTY;
    this.dirty.push(slot);
  }
}

export interface Destination {
  paths: Path[];
  best: Path | undefined;
  /** With ECMP, the paths used for forwarding (the best first); absent when only the best is used. */
  multipath?: Path[];
}

/** Called by `settle` for each prefix whose best path or ECMP set changed. */
export type BestChangeHandler = (family: FamilyIndex, slot: number, multipath: readonly number[]) => void;

/** Called by `settle` for each prefix whose set of paths changed (whatever became of the best). */
export type PathsChangeHandler = (family: FamilyIndex, slot: number) => void;

type PathRow = Path & { row: number };

const nextHopsKey = (paths: readonly Path[]) => paths.map((p) => p.attrs.nextHop ?? '').join(',');

export class LocRib {
  readonly families: readonly [FamilyRib, FamilyRib] = [new FamilyRib(V4), new FamilyRib(V6)];
  readonly pool = new PathPool();
  readonly sources = new SourceTable();
  private readonly scratch = newScratch();
  private readonly single: number[] = [0];

  constructor(
    readonly store: AttrStore,
    private maxPaths = 1,
    private readonly decision: DecisionOptions = {},
  ) {}

  setMaxPaths(n: number): void {
    this.maxPaths = Math.max(1, n);
    for (const f of this.families) for (let s = 0; s < f.table.highWater; s++) if (f.table.live[s]) f.markDirty(s);
  }

  /** Prefixes with at least one path. */
  prefixCount = 0;

  get pendingCount(): number {
    return this.families[0].dirty.length + this.families[1].dirty.length;
  }

  countFrom(address: string): number {
    return this.sources.countFrom(address);
  }

  /**
   * Adds or replaces the path from source `src` (an index from `sources`) for the prefix in `key`'s
   * scratch. A path from an earlier incarnation of the same peer (kept stale through a restart) is
   * replaced; re-sent with the same attributes it is only freshened, so a graceful restart causes no
   * churn toward other peers.
   *
   * With `pathId` (RFC 7911 ADD-PATH, ≥ 0) a path is known by its peer and path identifier, so one
   * peer may hold several paths for the prefix; without, by its peer alone (the usual case, and the
   * fast one: the identifier column is not even read).
   */
  upsertSlot(family: FamilyIndex, slot: number, src: number, attrs: AttrSet, pathId = -1): void {
    const f = this.families[family];
    const pool = this.pool;
    const peer = this.sources.peerOf[src];
    const withId = pathId >= 0;
    const ids = withId ? pool.withPathIds() : pool.pathIds;
    let prev = 0;
    let p = f.head[slot]!;
    while (p !== 0 && (this.sources.peerOf[pool.source[p]!] !== peer || (withId && ids[p] !== pathId))) {
      prev = p;
      p = pool.next[p]!;
    }
    if (p !== 0 && pool.attrs[p] === attrs.__id) {
      if (pool.source[p] === src && (pool.flags[p]! & PATH_STALE) === 0) return;
      this.sources.dropPath(pool.source[p]!);
      this.sources.addPath(src);
      pool.source[p] = src;
      pool.flags[p]! &= ~PATH_STALE;
      return;
    }
    const np = pool.alloc(src, this.store.retain(attrs), slot * 2 + family);
    if (withId) {
      pool.pathIds[np] = pathId;
      pool.flags[np] = PATH_HAS_ID;
    }
    this.sources.addPath(src);
    if (f.head[slot] === 0) this.prefixCount++;
    if (p !== 0) {
      pool.next[np] = pool.next[p]!;
      if (prev !== 0) pool.next[prev] = np;
      else f.head[slot] = np;
      this.freePath(f, slot, p);
    } else {
      pool.next[np] = f.head[slot]!;
      f.head[slot] = np;
    }
    f.markDirty(slot);
  }

  /** Removes the path of peer `peerKey` (with `pathId`, that one of its paths) for `slot`; true if there was one. */
  removeSlot(family: FamilyIndex, slot: number, peerKey: number, pathId = -1): boolean {
    const f = this.families[family];
    const pool = this.pool;
    const withId = pathId >= 0;
    const ids = pool.pathIds;
    if (withId && ids.length === 0) return false;
    let prev = 0;
    let p = f.head[slot]!;
    while (p !== 0 && (this.sources.peerOf[pool.source[p]!] !== peerKey || (withId && ids[p] !== pathId))) {
      prev = p;
      p = pool.next[p]!;
    }
    if (p === 0) return false;
    this.unlink(f, slot, prev, p);
    return true;
  }

  /** Removes path row `row` of `slot` (a peer may hold several with ADD-PATH: the one meant goes). */
  private removeRow(family: FamilyIndex, slot: number, row: number): boolean {
    const f = this.families[family];
    let prev = 0;
    let p = f.head[slot]!;
    while (p !== 0 && p !== row) {
      prev = p;
      p = this.pool.next[p]!;
    }
    if (p === 0) return false;
    this.unlink(f, slot, prev, p);
    return true;
  }

  private unlink(f: FamilyRib, slot: number, prev: number, p: number): void {
    const pool = this.pool;
    if (prev !== 0) pool.next[prev] = pool.next[p]!;
    else f.head[slot] = pool.next[p]!;
    if (f.head[slot] === 0) this.prefixCount--;
    this.freePath(f, slot, p);
    f.markDirty(slot);
  }

  /** Text-keyed upsert (local routes, tests). */
  upsert(prefix: string, source: PathSource, attrs: AttrSet): void {
    if (!parseKey(prefix, this.scratch)) throw new Error(`not a prefix: "${prefix}"`);
    const fam = this.scratch.family;
    this.upsertSlot(fam, this.families[fam].table.findOrAdd(this.scratch), this.sources.indexOf(source), attrs);
  }

  /** Text-keyed removal of the path from the peer at `address`; true if there was one. */
  remove(prefix: string, address: string): boolean {
    if (!parseKey(prefix, this.scratch)) return false;
    const f = this.families[this.scratch.family];
    const slot = f.table.find(this.scratch);
    return slot >= 0 && this.removeSlot(this.scratch.family, slot, this.sources.peerKey(address));
  }

  /** The slot of a prefix given as text, or -1. */
  slotOf(prefix: string): { family: FamilyIndex; slot: number } | undefined {
    if (!parseKey(prefix, this.scratch)) return undefined;
    const slot = this.families[this.scratch.family].table.find(this.scratch);
    return slot >= 0 ? { family: this.scratch.family, slot } : undefined;
  }

  /**
   * Marks, removes or purges the paths of one peer among path rows [from, to) — callers walk the
   * whole pool in chunks. `src` ≥ 0 limits it to one session incarnation, `family` to one family.
   * Returns how many paths it touched.
   */
  dropPaths(
    peerKey: number,
    src: number,
    mode: 'remove' | 'stale' | 'purge-stale',
    from: number,
    to: number,
    family?: FamilyIndex,
  ): number {
    const pool = this.pool;
    const end = Math.min(to, pool.end);
    let n = 0;
    for (let p = Math.max(from, 1); p < end; p++) {
      const ps = pool.source[p]!;
      if (ps < 0 || this.sources.peerOf[ps] !== peerKey || (src >= 0 && ps !== src)) continue;
      if (family !== undefined && (pool.owner[p]! & 1) !== family) continue;
      const stale = (pool.flags[p]! & PATH_STALE) !== 0;
      if (mode === 'stale') {
        if (!stale) {
          pool.flags[p]! |= PATH_STALE;
          n++;
        }
        continue;
      }
      if (mode === 'purge-stale' && !stale) continue;
      const owner = pool.owner[p]!;
      if (this.removeRow((owner & 1) as FamilyIndex, owner >>> 1, p)) n++;
    }
    return n;
  }

  /**
   * Re-runs the decision for up to `limit` dirty prefixes and reports the ones whose best path or
   * ECMP set changed to `onChange`, and, when given, every prefix whose paths changed at all to
   * `onPathsChange` (ADD-PATH senders advertise more than the best). Call again while `pendingCount` > 0.
   */
  settle(limit: number, onChange: BestChangeHandler, onPathsChange?: PathsChangeHandler): number {
    let done = 0;
    for (const f of this.families) {
      while (f.dirty.length > 0 && done < limit) {
        const slot = f.dirty.shift();
        done++;
        const state = f.state[slot]!;
        f.state[slot] = state & ~(DIRTY | BEST_GONE);
        if (!f.table.live[slot]) continue;
        const previous = f.best[slot]!;
        const head = f.head[slot]!;
        let best = head;
        let multipath: readonly number[] = this.single;
        let multipathChanged = false;
        if (head !== 0 && this.pool.next[head] !== 0) {
          const r = this.decide(head);
          best = r.best;
          multipath = r.multipath;
          const key = r.multipathKey;
          if (key !== f.multipathKeys.get(slot)) {
            multipathChanged = true;
            if (key === undefined) f.multipathKeys.delete(slot);
            else f.multipathKeys.set(slot, key);
          }
        } else {
          // One path (or none): no decision to run, nothing to allocate.
          this.single[0] = head;
          if (f.multipathKeys.delete(slot)) multipathChanged = true;
        }
        f.best[slot] = best;
        if (best !== previous || (state & BEST_GONE) !== 0 || multipathChanged)
          onChange(f.family, slot, best === 0 ? [] : multipath);
        if (onPathsChange !== undefined) onPathsChange(f.family, slot);
        if (best === 0) this.maybeFree(f, slot);
      }
    }
    return done;
  }

  /** A session now holds (has sent or queued) this prefix. */
  hold(family: FamilyIndex, slot: number): void {
    this.families[family].holders[slot]!++;
  }

  /** A session no longer holds this prefix; the slot goes when nothing else needs it. */
  unhold(family: FamilyIndex, slot: number): void {
    const f = this.families[family];
    f.holders[slot]!--;
    this.maybeFree(f, slot);
  }

  /** The best path row of a slot (0 = none). */
  bestOf(family: FamilyIndex, slot: number): number {
    return this.families[family].best[slot]!;
  }

  /** A path row as a plain object (for views and the decision over several paths). */
  path(row: number): PathRow {
    const pool = this.pool;
    const path: PathRow = {
      source: this.sources.get(pool.source[row]!),
      attrs: this.store.get(pool.attrs[row]!),
      row,
    };
    if (pool.flags[row]! & PATH_STALE) path.stale = true;
    if (pool.flags[row]! & PATH_HAS_ID) path.pathId = pool.pathIds[row]!;
    return path;
  }

  /** Every prefix with paths, as text with its destination (for views: allocates). */
  *entries(): IterableIterator<[string, Destination]> {
    for (const f of this.families)
      for (let s = 0; s < f.table.highWater; s++) {
        if (!f.table.live[s] || f.head[s] === 0) continue;
        yield [f.table.text(s), this.destination(f.family, s)];
      }
  }

  get(prefix: string): Destination | undefined {
    const at = this.slotOf(prefix);
    if (!at || this.families[at.family].head[at.slot] === 0) return undefined;
    return this.destination(at.family, at.slot);
  }

  destination(family: FamilyIndex, slot: number): Destination {
    const f = this.families[family];
    const paths: Path[] = [];
    let best: Path | undefined;
    for (let p = f.head[slot]!; p !== 0; p = this.pool.next[p]!) {
      const path = this.path(p);
      paths.push(path);
      if (p === f.best[slot]) best = path;
    }
    const dest: Destination = { paths, best };
    if (f.multipathKeys.has(slot) && paths.length > 1) {
      const { multipath } = this.decide(f.head[slot]!);
      dest.multipath = multipath.map((row) => paths.find((x) => (x as PathRow).row === row)!);
    }
    return dest;
  }

  private decide(head: number): { best: number; multipath: number[]; multipathKey?: string } {
    const paths: PathRow[] = [];
    for (let p = head; p !== 0; p = this.pool.next[p]!) paths.push(this.path(p));
    const r = selectBest(paths, this.maxPaths, this.decision);
    const multipath = r.multipath as PathRow[];
    return {
      best: (r.best as PathRow | undefined)?.row ?? 0,
      multipath: multipath.map((p) => p.row),
      multipathKey: multipath.length > 1 ? nextHopsKey(multipath) : undefined,
    };
  }

  private freePath(f: FamilyRib, slot: number, p: number): void {
    if (f.best[slot] === p) {
      f.best[slot] = 0;
      f.state[slot]! |= BEST_GONE;
    }
    this.store.releaseId(this.pool.attrs[p]!);
    this.sources.dropPath(this.pool.source[p]!);
    this.pool.release(p);
  }

  private maybeFree(f: FamilyRib, slot: number): void {
    if (f.head[slot] !== 0 || f.best[slot] !== 0 || f.holders[slot] !== 0 || f.state[slot]! & DIRTY) return;
    if (!f.table.live[slot]) return;
    f.state[slot] = 0;
    f.multipathKeys.delete(slot);
    f.table.remove(slot);
  }
}
