// One bit per prefix slot, growing on demand: what a peer has been sent and what it is still to be
// told. A million prefixes cost 125 kB per peer.
export class Bitset {
  private words = new Uint32Array(64);

  has(i: number): boolean {
    const w = i >>> 5;
    return w < this.words.length && (this.words[w]! & (1 << (i & 31))) !== 0;
  }

  add(i: number): void {
    const w = i >>> 5;
    if (w >= this.words.length) {
      let n = this.words.length * 2;
      while (n <= w) n *= 2;
      const bigger = new Uint32Array(n);
      bigger.set(this.words);
      this.words = bigger;
    }
    this.words[w]! |= 1 << (i & 31);
  }

  delete(i: number): void {
    const w = i >>> 5;
    if (w < this.words.length) this.words[w]! &= ~(1 << (i & 31));
  }

  /** Calls `fn` for every set bit, in increasing order. */
  forEach(fn: (i: number) => void): void {
    const words = this.words;
    for (let w = 0; w < words.length; w++) {
      let v = words[w]!;
      while (v !== 0) {
        const bit = 31 - Math.clz32(v & -v);
        v &= v - 1;
        fn(w * 32 + bit);
      }
    }
  }

  clear(): void {
    this.words = new Uint32Array(64);
  }
}
