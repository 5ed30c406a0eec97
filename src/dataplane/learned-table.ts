// The learned routes the reconciler owns (proto 186), one row per prefix in typed arrays: the
// next-hop set we want (what BGP chose; 0: none) and the one the kernel has (what we wrote or read
// back; 0: none), both as NextHopSets ids, and a dirty flag. This is the whole of the dataplane's
// learned state — no Map keyed by prefix text, no second desired map — so a million routes cost a
// few dozen bytes each here, and the rows shrink again when a table is withdrawn.
//
// The diff is pure and testable without a kernel: `diff` lists the operations (typed arrays too)
// that make the kernel match, `applied` records what succeeded, `prune` drops rows that are wanted
// nowhere and present nowhere.
import { type PrefixWords, parsePrefixWords } from '../../bgp/prefix.js';
import { addressText, type Prefix } from './ip-bytes.js';
import { NextHopSets } from './next-hop-sets.js';
import { PrefixIndex } from './prefix-index.js';

export const OP_ADD = 1;
export const OP_REPLACE = 2;
export const OP_DELETE = 3;
const DIRTY = 1;

/** One family's rows. */
class LearnedRows {
  readonly index: PrefixIndex;
  want = new Int32Array(0);
  have = new Int32Array(0);
  flags = new Uint8Array(0);
  /** Rows marked dirty since the last diff (a superset: the DIRTY flag is the truth). */
  dirty = new Int32Array(64);
  dirtyCount = 0;

  constructor(family: 0 | 1) {
    this.index = new PrefixIndex(family);
    this.index.onResize = (cap) => this.resize(cap);
    this.index.onMove = (from, to) => {
      this.want[to] = this.want[from]!;
      this.have[to] = this.have[from]!;
      this.flags[to] = this.flags[from]!;
      if (this.flags[to]! & DIRTY) this.pushDirty(to);
    };
    this.resize(this.index.capacity);
  }

  private resize(cap: number): void {
    const n = this.index.size;
    const want = new Int32Array(cap);
    want.set(this.want.subarray(0, n));
    const have = new Int32Array(cap);
    have.set(this.have.subarray(0, n));
    const flags = new Uint8Array(cap);
    flags.set(this.flags.subarray(0, n));
    this.want = want;
    this.have = have;
    this.flags = flags;
  }

  markDirty(row: number): void {
    if (this.flags[row]! & DIRTY) return;
    this.flags[row]! |= DIRTY;
    this.pushDirty(row);
  }

  private pushDirty(row: number): void {
    if (this.dirtyCount === this.dirty.length) {
      const d = new Int32Array(this.dirty.length * 2);
      d.set(this.dirty);
      this.dirty = d;
    }
    this.dirty[this.dirtyCount++] = row;
  }

  /** Forgets the dirty list (every flag cleared); the list's memory shrinks back. */
  clearDirty(): void {
    this.flags.fill(0, 0, this.index.size);
    this.dirtyCount = 0;
    if (this.dirty.length > 4096) this.dirty = new Int32Array(64);
  }
}

/** Operations as columns: family, row, action, and the set written (for a delete, the set removed). */
export class LearnedOps {
  length = 0;
  family = new Uint8Array(256);
  row = new Int32Array(256);
  action = new Uint8Array(256);
  value = new Int32Array(256);

  push(family: 0 | 1, row: number, action: number, value: number): void {
    if (this.length === this.row.length) this.resize(this.length * 2);
    const i = this.length++;
    this.family[i] = family;
    this.row[i] = row;
    this.action[i] = action;
    this.value[i] = value;
  }

  /** Empties the list; its arrays shrink back after a large pass. */
  reset(): void {
    if (this.row.length > 4096 && this.length * 4 < this.row.length) this.resize(256);
    this.length = 0;
  }

  private resize(cap: number): void {
    const keep = Math.min(this.length, cap);
    const grow = <T extends Uint8Array | Int32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a.subarray(0, keep));
      return b;
    };
    this.family = grow(this.family);
    this.row = grow(this.row);
    this.action = grow(this.action);
    this.value = grow(this.value);
  }
}

const DST: [Prefix, Prefix] = [
  { family: 'ipv4', bytes: new Uint8Array(4), length: 0 },
  { family: 'ipv6', bytes: new Uint8Array(16), length: 0 },
];

export class LearnedTable {
  readonly rows: readonly [LearnedRows, LearnedRows] = [new LearnedRows(0), new LearnedRows(1)];
  readonly sets = new NextHopSets();
  /** Rows the kernel has a route of ours for (have ≠ 0). */
  installed = 0;
  /** Rows a diff found wanted nowhere and present nowhere: `prune` removes them. */
  private unused: number[][] = [[], []];

  get size(): number {
    return this.rows[0].index.size + this.rows[1].index.size;
  }

  /** Sets what we want for a prefix (`set` 0: no route) and marks it for the next diff. */
  want(family: 0 | 1, words: Int32Array, len: number, set: number): void {
    const r = this.rows[family];
    if (set === 0) {
      const row = r.index.find(words, len);
      if (row < 0) return;
      r.want[row] = 0;
      r.markDirty(row);
      return;
    }
    const row = r.index.findOrAdd(words, len);
    r.want[row] = set;
    r.markDirty(row);
  }

  /** Wants nothing anywhere (before a whole new set is given; the caller diffs everything next). */
  wantNothing(): void {
    for (const r of this.rows) r.want.fill(0, 0, r.index.size);
  }

  /** Records that the kernel has set `set` for a prefix (a kernel read). */
  setHave(family: 0 | 1, words: Int32Array, len: number, set: number): void {
    const r = this.rows[family];
    const row = r.index.findOrAdd(words, len);
    if (r.have[row] === 0 && set !== 0) this.installed++;
    r.have[row] = set;
  }

  /** Forgets what the kernel has in one family (before a kernel read fills it in again). */
  forgetHave(family: 0 | 1): void {
    const r = this.rows[family];
    for (let row = 0; row < r.index.size; row++)
      if (r.have[row] !== 0) {
        r.have[row] = 0;
        this.installed--;
      }
  }

  /**
   * The operations that make the kernel match, for the dirty rows or (`all`) every row. Rows with
   * no route wanted stay when `keepMissing` (after a restart, until BGP is complete).
   */
  diff(ops: LearnedOps, all: boolean, keepMissing: boolean): void {
    if (this.sets.sweepDue) this.sweep();
    for (const family of [0, 1] as const) {
      const r = this.rows[family];
      const unused = this.unused[family]!;
      const visit = (row: number) => {
        const w = r.want[row]!;
        const h = r.have[row]!;
        if (w === h) {
          if (w === 0) unused.push(row);
        } else if (w === 0) {
          if (!keepMissing) ops.push(family, row, OP_DELETE, h);
        } else ops.push(family, row, h === 0 ? OP_ADD : OP_REPLACE, w);
      };
      if (all) {
        r.clearDirty();
        for (let row = 0; row < r.index.size; row++) visit(row);
        continue;
      }
      // synchronous: nothing marks rows while the list is walked
      const list = r.dirty;
      const n = r.dirtyCount;
      for (let k = 0; k < n; k++) {
        const row = list[k]!;
        if (row >= r.index.size || (r.flags[row]! & DIRTY) === 0) continue;
        r.flags[row]! &= ~DIRTY;
        visit(row);
      }
      r.dirtyCount = 0;
      if (list.length > 1 << 16) r.dirty = new Int32Array(64);
    }
  }

  /** Operation `i` of `ops` succeeded: the kernel has what it wrote. */
  applied(ops: LearnedOps, i: number): void {
    const family = ops.family[i] as 0 | 1;
    const r = this.rows[family];
    const row = ops.row[i]!;
    const before = r.have[row]!;
    const after = ops.action[i] === OP_DELETE ? 0 : ops.value[i]!;
    r.have[row] = after;
    if (before === 0 && after !== 0) this.installed++;
    else if (before !== 0 && after === 0) {
      this.installed--;
      this.unused[family]!.push(row);
    }
  }

  /** Removes the rows found unused (still unwanted, absent and clean), then shrinks. */
  prune(): void {
    for (const family of [0, 1] as const) {
      const r = this.rows[family];
      const list = this.unused[family]!;
      if (list.length === 0) continue;
      this.unused[family] = [];
      // descending: a removal moves only the last row, which is above every row still to go
      list.sort((a, b) => b - a);
      let prev = -1;
      for (const row of list) {
        if (row === prev) continue;
        prev = row;
        if (row >= r.index.size || r.want[row] !== 0 || r.have[row] !== 0 || r.flags[row]! & DIRTY) continue;
        r.index.remove(row);
        // the old last row's place is free now: a row added there later must start empty
        const end = r.index.size;
        r.want[end] = 0;
        r.have[end] = 0;
        r.flags[end] = 0;
      }
      r.index.maybeShrink();
    }
  }

  /** The destination of a row as netlink bytes (one object per family, valid until the next call). */
  dst(family: 0 | 1, row: number): Prefix {
    const idx = this.rows[family].index;
    const d = DST[family];
    const bytes = d.bytes;
    const n = idx.nWords;
    for (let w = 0; w < n; w++) {
      const word = idx.keys[row * n + w]!;
      bytes[w * 4] = word >>> 24;
      bytes[w * 4 + 1] = (word >>> 16) & 255;
      bytes[w * 4 + 2] = (word >>> 8) & 255;
      bytes[w * 4 + 3] = word & 255;
    }
    d.length = idx.lens[row]!;
    return d;
  }

  /** A row's prefix as text (logs and errors only). */
  text(family: 0 | 1, row: number): string {
    const d = this.dst(family, row);
    return `${addressText(d.bytes)}/${d.length}`;
  }

  /** Every row with a route wanted, as text (tests and debugging). */
  *wanted(): IterableIterator<[string, string]> {
    for (const family of [0, 1] as const) {
      const r = this.rows[family];
      for (let row = 0; row < r.index.size; row++)
        if (r.want[row] !== 0) yield [this.text(family, row), this.sets.text(r.want[row]!)];
    }
  }

  /** Frees next-hop set ids that no row uses (no operation may be in flight). */
  private sweep(): void {
    const used = new Uint8Array(this.sets.limit);
    for (const r of this.rows)
      for (let row = 0; row < r.index.size; row++) {
        used[r.want[row]!] = 1;
        used[r.have[row]!] = 1;
      }
    this.sets.sweep(used);
  }
}

/** A parsed prefix (reused: `parseKey` writes into it). */
export type PrefixKey = PrefixWords;

export const newPrefixKey = (): PrefixKey => ({ family: 0, len: 0, words: new Int32Array(4) });

/** Reads prefix text into `key`; false when it is not a prefix. A bare address is a host route. */
export const parseKey = (text: string, key: PrefixKey): boolean => parsePrefixWords(text, key, true);
