// Prefixes of one address family as dense row numbers 0..size-1, for tables that keep per-prefix
// state in typed arrays (learned-table.ts) instead of a Map keyed by prefix text. A prefix is its
// address as 32-bit words (1 for IPv4, 4 for IPv6) and a length. Lookup is open addressing with
// linear probing, at most half full, deletion by backward shift. Rows stay dense: removing a row
// moves the last one into its place (the owner is told, `onMove`), so the arrays can shrink when a
// table is withdrawn and its memory goes back.

const INITIAL_ROWS = 256;
/** Bits of a bucket's second word that hold the prefix length (0..128). */
const LEN_BITS = 8;
const LEN_MASK = (1 << LEN_BITS) - 1;
/** A bucket keeps row + 1 in the 24 bits above the length. */
const MAX_ROWS = 1 << (32 - LEN_BITS - 1);

export class PrefixIndex {
  readonly nWords: number;
  /** Rows in use: 0..size-1. */
  size = 0;
  capacity = INITIAL_ROWS;
  keys: Int32Array;
  lens: Uint8Array;
  /** Pairs [tag, (row + 1) << LEN_BITS | len]; a zero second word is an empty bucket. */
  private buckets: Int32Array;
  private mask: number;
  /** Called after the row arrays were reallocated to `capacity` (grown or shrunk). */
  onResize: (capacity: number) => void = () => {};
  /** Called when row `from` (the last) moved to `to` (a removed row's place). */
  onMove: (from: number, to: number) => void = () => {};

  constructor(readonly family: 0 | 1) {
    this.nWords = family === 0 ? 1 : 4;
    this.keys = new Int32Array(INITIAL_ROWS * this.nWords);
    this.lens = new Uint8Array(INITIAL_ROWS);
    this.buckets = new Int32Array(INITIAL_ROWS * 2 * 2);
    this.mask = INITIAL_ROWS * 2 - 1;
  }

  /** The row of the prefix `words`/`len`, or -1. */
  find(words: Int32Array, len: number): number {
    const meta = this.buckets[this.probe(words, len) * 2 + 1]!;
    return meta === 0 ? -1 : (meta >>> LEN_BITS) - 1;
  }

  /** The row of the prefix, made (at the end) if new. */
  findOrAdd(words: Int32Array, len: number): number {
    const b = this.probe(words, len);
    const meta = this.buckets[b * 2 + 1]!;
    if (meta !== 0) return (meta >>> LEN_BITS) - 1;
    if (this.size === this.capacity) {
      this.resize(this.capacity * 2);
      return this.findOrAdd(words, len);
    }
    const row = this.size++;
    const n = this.nWords;
    for (let w = 0; w < n; w++) this.keys[row * n + w] = words[w]!;
    this.lens[row] = len;
    this.buckets[b * 2] = this.tagOf(words, 0, len);
    this.buckets[b * 2 + 1] = ((row + 1) << LEN_BITS) | len;
    return row;
  }

  /**
   * Removes a row; the last row moves into its place (`onMove`). Removing rows in descending order
   * keeps the numbers of the rows still to be removed valid.
   */
  remove(row: number): void {
    const b = this.bucketOfRow(row);
    this.deleteBucket(b);
    const last = this.size - 1;
    if (row !== last) {
      const n = this.nWords;
      for (let w = 0; w < n; w++) this.keys[row * n + w] = this.keys[last * n + w]!;
      this.lens[row] = this.lens[last]!;
      const lb = this.bucketOfRow(last);
      this.buckets[lb * 2 + 1] = ((row + 1) << LEN_BITS) | this.lens[row]!;
      this.onMove(last, row);
    }
    this.size--;
  }

  /** Gives memory back once the table is a quarter full (after a withdrawal). */
  maybeShrink(): void {
    if (this.capacity <= INITIAL_ROWS || this.size * 4 >= this.capacity) return;
    let capacity = this.capacity;
    while (capacity > INITIAL_ROWS && this.size * 4 < capacity) capacity >>>= 1;
    this.resize(capacity);
  }

  /** The bucket holding `row` (which must be in use). */
  private bucketOfRow(row: number): number {
    const n = this.nWords;
    const len = this.lens[row]!;
    const want = ((row + 1) << LEN_BITS) | len;
    let i = this.homeOf(this.tagOf(this.keys, row * n, len), len);
    while (this.buckets[i * 2 + 1] !== want) i = (i + 1) & this.mask;
    return i;
  }

  private probe(words: Int32Array, len: number): number {
    const b = this.buckets;
    const tag = this.tagOf(words, 0, len);
    let i = this.homeOf(tag, len);
    for (;;) {
      const meta = b[i * 2 + 1]!;
      if (meta === 0) return i;
      if (b[i * 2] === tag && (meta & LEN_MASK) === len && this.sameKey((meta >>> LEN_BITS) - 1, words)) return i;
      i = (i + 1) & this.mask;
    }
  }

  private sameKey(row: number, words: Int32Array): boolean {
    const n = this.nWords;
    for (let w = 0; w < n; w++) if (this.keys[row * n + w] !== words[w]) return false;
    return true;
  }

  /** The address itself for IPv4, a hash of the words for IPv6. */
  private tagOf(words: Int32Array, off: number, len: number): number {
    if (this.nWords === 1) return words[off]!;
    let h = Math.imul(len + 1, 0x9e3779b1);
    for (let w = 0; w < 4; w++) {
      h ^= Math.imul(words[off + w]!, 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35);
    }
    return h ^ (h >>> 16);
  }

  private homeOf(tag: number, len: number): number {
    let h = tag ^ Math.imul(len + 1, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & this.mask;
  }

  /** Empties bucket `i`, moving later members of its probe run back so lookups need no tombstones. */
  private deleteBucket(i: number): void {
    const b = this.buckets;
    b[i * 2] = 0;
    b[i * 2 + 1] = 0;
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      if (b[j * 2 + 1] === 0) return;
      const home = this.homeOf(b[j * 2]!, b[j * 2 + 1]! & LEN_MASK);
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      b[i * 2] = b[j * 2]!;
      b[i * 2 + 1] = b[j * 2 + 1]!;
      b[j * 2] = 0;
      b[j * 2 + 1] = 0;
      i = j;
    }
  }

  private resize(capacity: number): void {
    if (capacity > MAX_ROWS) throw new Error(`more than ${MAX_ROWS} prefixes in one address family`);
    const n = this.nWords;
    const keys = new Int32Array(capacity * n);
    keys.set(this.keys.subarray(0, this.size * n));
    const lens = new Uint8Array(capacity);
    lens.set(this.lens.subarray(0, this.size));
    this.keys = keys;
    this.lens = lens;
    this.capacity = capacity;
    this.buckets = new Int32Array(capacity * 2 * 2);
    this.mask = capacity * 2 - 1;
    for (let row = 0; row < this.size; row++) {
      const len = this.lens[row]!;
      const tag = this.tagOf(this.keys, row * n, len);
      let i = this.homeOf(tag, len);
      while (this.buckets[i * 2 + 1] !== 0) i = (i + 1) & this.mask;
      this.buckets[i * 2] = tag;
      this.buckets[i * 2 + 1] = ((row + 1) << LEN_BITS) | len;
    }
    this.onResize(capacity);
  }
}
