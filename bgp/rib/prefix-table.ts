// The prefixes of one address family, each given a small integer "slot" for as long as it is in use.
// Everything the RIB keeps per prefix lives in typed arrays indexed by slot (see loc-rib.ts), so a
// prefix costs bytes, not objects. Lookup is an open-addressing hash (linear probing, at most half
// full, deletion by backward shift so no tombstones pile up). A bucket is two words: a tag (the
// address itself for IPv4, a hash of it for IPv6) and the slot with the prefix length, so a probe
// touches one cache line — at a million prefixes every lookup is a cache miss, and that is the cost.
import { type FamilyIndex, formatKey4, formatKey6, hashKey, type KeyScratch, newScratch, WORDS } from './prefix-key.js';

const INITIAL_SLOTS = 1024;
/** Bits of a bucket's second word that hold the prefix length (0..128). */
const LEN_BITS = 8;
const LEN_MASK = (1 << LEN_BITS) - 1;
const MAX_SLOTS = 1 << (32 - LEN_BITS);

export class PrefixTable {
  readonly nWords: number;
  /** Slot capacity; the per-slot arrays of the RIB grow with it (see `onGrow`). */
  capacity = INITIAL_SLOTS;
  keys: Int32Array;
  lens: Uint8Array;
  /** 1 while a slot holds a prefix. */
  live: Uint8Array;
  /** Pairs [tag, (slot + 1) << LEN_BITS | len]; a zero second word is an empty bucket. */
  private buckets: Int32Array;
  /** Buckets − 1 (a power of two minus one). */
  private mask: number;
  private freeSlots: Int32Array;
  private freeCount = 0;
  /** Slots handed out so far: every slot in use is below it (walk 0..highWater checking `live`). */
  highWater = 0;
  /** Slots in use. */
  size = 0;
  /** Called with the new capacity after the slot arrays grew, so owners can grow theirs. */
  onGrow: (capacity: number) => void = () => {};
  private readonly scratch = newScratch();

  constructor(readonly family: FamilyIndex) {
    this.nWords = WORDS[family];
    this.keys = new Int32Array(INITIAL_SLOTS * this.nWords);
    this.lens = new Uint8Array(INITIAL_SLOTS);
    this.live = new Uint8Array(INITIAL_SLOTS);
    this.buckets = new Int32Array(INITIAL_SLOTS * 2 * 2);
    this.mask = INITIAL_SLOTS * 2 - 1;
    this.freeSlots = new Int32Array(64);
  }

  /** The slot of the prefix in `k`, or -1. */
  find(k: KeyScratch): number {
    const i = this.probe(k);
    const meta = this.buckets[i * 2 + 1]!;
    return meta === 0 ? -1 : (meta >>> LEN_BITS) - 1;
  }

  /** The slot of the prefix in `k`, made if new. */
  findOrAdd(k: KeyScratch): number {
    let i = this.probe(k);
    const meta = this.buckets[i * 2 + 1]!;
    if (meta !== 0) return (meta >>> LEN_BITS) - 1;
    if ((this.size + 1) * 2 > this.mask + 1) {
      this.rehash((this.mask + 1) * 2);
      i = this.probe(k);
    }
    const s = this.allocSlot();
    const n = this.nWords;
    for (let w = 0; w < n; w++) this.keys[s * n + w] = k.words[w]!;
    this.lens[s] = k.len;
    this.live[s] = 1;
    this.buckets[i * 2] = this.tagOf(k.words, 0, k.len);
    this.buckets[i * 2 + 1] = ((s + 1) << LEN_BITS) | k.len;
    this.size++;
    return s;
  }

  /** The bucket holding the prefix in `k`, or the empty bucket where it would go. */
  private probe(k: KeyScratch): number {
    const b = this.buckets;
    const len = k.len;
    const words = k.words;
    if (this.nWords === 1) {
      const addr = words[0]!;
      let i = hash4(addr, len) & this.mask;
      for (;;) {
        const meta = b[i * 2 + 1]!;
        if (meta === 0 || (b[i * 2] === addr && (meta & LEN_MASK) === len)) return i;
        i = (i + 1) & this.mask;
      }
    }
    const h = hashKey(words, 0, 4, len);
    let i = h & this.mask;
    for (;;) {
      const meta = b[i * 2 + 1]!;
      if (meta === 0) return i;
      if (b[i * 2] === h && (meta & LEN_MASK) === len && this.sameKey((meta >>> LEN_BITS) - 1, words)) return i;
      i = (i + 1) & this.mask;
    }
  }

  private tagOf(words: Int32Array, off: number, len: number): number {
    return this.nWords === 1 ? words[off]! : hashKey(words, off, 4, len);
  }

  /** The home bucket of what bucket `i` holds. */
  private homeOf(i: number): number {
    const tag = this.buckets[i * 2]!;
    const len = this.buckets[i * 2 + 1]! & LEN_MASK;
    return (this.nWords === 1 ? hash4(tag, len) : tag) & this.mask;
  }

  /** Gives the slot back; its number may be handed to another prefix afterwards. */
  remove(slot: number): void {
    let i = this.probe(this.keyOf(slot, this.scratch));
    const b = this.buckets;
    if (b[i * 2 + 1] === 0) return;
    b[i * 2] = 0;
    b[i * 2 + 1] = 0;
    this.live[slot] = 0;
    // Backward-shift deletion: move later entries of the probe run into the hole when their home
    // bucket allows it, so lookups never need tombstones.
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      if (b[j * 2 + 1] === 0) break;
      const home = this.homeOf(j);
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      b[i * 2] = b[j * 2]!;
      b[i * 2 + 1] = b[j * 2 + 1]!;
      b[j * 2] = 0;
      b[j * 2 + 1] = 0;
      i = j;
    }
    if (this.freeCount === this.freeSlots.length) this.freeSlots = grown(this.freeSlots, this.freeSlots.length * 2);
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

  private allocSlot(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount]!;
    if (this.highWater === this.capacity) this.grow();
    return this.highWater++;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    // A bucket keeps slot + 1 in the 24 bits above the length.
    if (cap > MAX_SLOTS) throw new Error(`more than ${MAX_SLOTS} prefixes in one address family`);
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
    const oldCount = this.mask + 1;
    this.buckets = new Int32Array(size * 2);
    this.mask = size - 1;
    const b = this.buckets;
    for (let o = 0; o < oldCount; o++) {
      const meta = old[o * 2 + 1]!;
      if (meta === 0) continue;
      const tag = old[o * 2]!;
      let j = (this.nWords === 1 ? hash4(tag, meta & LEN_MASK) : tag) & this.mask;
      while (b[j * 2 + 1] !== 0) j = (j + 1) & this.mask;
      b[j * 2] = tag;
      b[j * 2 + 1] = meta;
    }
  }
}

/**
 * The home bucket of an IPv4 prefix. Eight prefixes of one length with consecutive network numbers
 * (10.0.0.0/24 … 10.0.7.0/24) share one 64-byte cache line of buckets; the groups of eight are
 * scattered by murmur3's finalizer. Tables arrive in runs like that, and at a million prefixes a
 * lookup costs what its cache misses cost.
 */
function hash4(addr: number, len: number): number {
  const net = len === 0 ? 0 : addr >>> (32 - len);
  let h = (net >>> 3) ^ Math.imul(len + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) << 3) | (net & 7);
}

/** Grows a typed array to `capacity` elements, keeping its contents. */
export function grown<T extends Int32Array | Uint8Array | Uint16Array | Uint32Array>(a: T, capacity: number): T {
  if (a.length >= capacity) return a;
  const b = new (a.constructor as new (n: number) => T)(capacity);
  b.set(a);
  return b;
}
