// The prefixes of one address family, each given a small integer "slot" for as long as it is in use.
// Everything the RIB keeps per prefix lives in typed arrays indexed by slot (see loc-rib.ts), so a
// prefix costs bytes, not objects. Lookup is an open-addressing hash (linear probing, at most half
// full, deletion by backward shift so no tombstones pile up).
import { type FamilyIndex, formatKey4, formatKey6, hashKey, type KeyScratch, WORDS } from './prefix-key.js';

const INITIAL_SLOTS = 1024;

export class PrefixTable {
  readonly nWords: number;
  /** Slot capacity; the per-slot arrays of the RIB grow with it (see `onGrow`). */
  capacity = INITIAL_SLOTS;
  keys: Int32Array;
  lens: Uint8Array;
  /** 1 while a slot holds a prefix. */
  live: Uint8Array;
  private buckets: Int32Array;
  private mask: number;
  private freeSlots: Int32Array;
  private freeCount = 0;
  /** Slots handed out so far: every slot in use is below it (walk 0..highWater checking `live`). */
  highWater = 0;
  /** Slots in use. */
  size = 0;
  /** Called with the new capacity after the slot arrays grew, so owners can grow theirs. */
  onGrow: (capacity: number) => void = () => {};

  constructor(readonly family: FamilyIndex) {
    this.nWords = WORDS[family];
    this.keys = new Int32Array(INITIAL_SLOTS * this.nWords);
    this.lens = new Uint8Array(INITIAL_SLOTS);
    this.live = new Uint8Array(INITIAL_SLOTS);
    this.buckets = new Int32Array(INITIAL_SLOTS * 2);
    this.mask = this.buckets.length - 1;
    this.freeSlots = new Int32Array(64);
  }

  /** The slot of the prefix in `k`, or -1. */
  find(k: KeyScratch): number {
    const n = this.nWords;
    let i = hashKey(k.words, 0, n, k.len) & this.mask;
    for (;;) {
      const b = this.buckets[i]!;
      if (b === 0) return -1;
      const s = b - 1;
      if (this.lens[s] === k.len && this.sameKey(s, k.words)) return s;
      i = (i + 1) & this.mask;
    }
  }

  /** The slot of the prefix in `k`, made if new. */
  findOrAdd(k: KeyScratch): number {
    const found = this.find(k);
    if (found >= 0) return found;
    if ((this.size + 1) * 2 > this.buckets.length) this.rehash(this.buckets.length * 2);
    const s = this.allocSlot();
    const n = this.nWords;
    for (let w = 0; w < n; w++) this.keys[s * n + w] = k.words[w]!;
    this.lens[s] = k.len;
    this.live[s] = 1;
    let i = hashKey(k.words, 0, n, k.len) & this.mask;
    while (this.buckets[i] !== 0) i = (i + 1) & this.mask;
    this.buckets[i] = s + 1;
    this.size++;
    return s;
  }

  /** Gives the slot back; its number may be handed to another prefix afterwards. */
  remove(slot: number): void {
    let i = this.bucketOf(slot);
    if (i < 0) return;
    this.buckets[i] = 0;
    this.live[slot] = 0;
    // Backward-shift deletion: move later entries of the probe run into the hole when their home
    // bucket allows it, so lookups never need tombstones.
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      const b = this.buckets[j]!;
      if (b === 0) break;
      const home = this.hashOf(b - 1) & this.mask;
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      this.buckets[i] = b;
      this.buckets[j] = 0;
      i = j;
    }
    if (this.freeCount === this.freeSlots.length) {
      const bigger = new Int32Array(this.freeSlots.length * 2);
      bigger.set(this.freeSlots);
      this.freeSlots = bigger;
    }
    this.freeSlots[this.freeCount++] = slot;
    this.size--;
  }

  /** The prefix of a slot as canonical text. */
  text(slot: number): string {
    return this.nWords === 1
      ? formatKey4(this.keys[slot]!, this.lens[slot]!)
      : formatKey6(this.keys, slot * 4, this.lens[slot]!);
  }

  /** Copies the slot's key into `out`. */
  keyOf(slot: number, out: KeyScratch): KeyScratch {
    const n = this.nWords;
    for (let w = 0; w < n; w++) out.words[w] = this.keys[slot * n + w]!;
    out.len = this.lens[slot]!;
    out.family = this.family;
    return out;
  }

  private sameKey(slot: number, words: Int32Array): boolean {
    const n = this.nWords;
    const base = slot * n;
    for (let w = 0; w < n; w++) if (this.keys[base + w] !== words[w]) return false;
    return true;
  }

  private hashOf(slot: number): number {
    return hashKey(this.keys, slot * this.nWords, this.nWords, this.lens[slot]!);
  }

  private bucketOf(slot: number): number {
    let i = this.hashOf(slot) & this.mask;
    for (;;) {
      const b = this.buckets[i]!;
      if (b === 0) return -1;
      if (b === slot + 1) return i;
      i = (i + 1) & this.mask;
    }
  }

  private allocSlot(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount]!;
    if (this.highWater === this.capacity) this.grow();
    return this.highWater++;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const keys = new Int32Array(cap * this.nWords);
    keys.set(this.keys);
    const lens = new Uint8Array(cap);
    lens.set(this.lens);
    this.keys = keys;
    this.lens = lens;
    this.live = grown(this.live, cap);
    this.capacity = cap;
    this.onGrow(cap);
  }

  private rehash(size: number): void {
    const old = this.buckets;
    this.buckets = new Int32Array(size);
    this.mask = size - 1;
    for (let i = 0; i < old.length; i++) {
      const b = old[i]!;
      if (b === 0) continue;
      let j = this.hashOf(b - 1) & this.mask;
      while (this.buckets[j] !== 0) j = (j + 1) & this.mask;
      this.buckets[j] = b;
    }
  }
}

/** Grows a typed array to `capacity` elements, keeping its contents. */
export function grown<T extends Int32Array | Uint8Array | Uint16Array | Uint32Array>(a: T, capacity: number): T {
  if (a.length >= capacity) return a;
  const b = new (a.constructor as new (n: number) => T)(capacity);
  b.set(a);
  return b;
}
