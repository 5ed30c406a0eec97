// Where paths come from, by small integer: the RIB's path rows hold a source index, not an object.
// Each session incarnation is its own source (its paths are told apart from the stale ones of the
// previous incarnation); all incarnations of one peer share a peer key, which is what "the path from
// this peer" means when a new path replaces an old one.
import type { PathSource } from './path.js';

export class SourceTable {
  private readonly list: (PathSource | undefined)[] = [];
  private readonly refs: number[] = [];
  private readonly retired: boolean[] = [];
  private readonly index = new Map<PathSource, number>();
  private readonly freeIndexes: number[] = [];
  private readonly peerKeys = new Map<string, number>();
  /** Peer key of each source index. */
  peerOf = new Int32Array(64);
  /** Paths held per peer key (for counters and max-prefix). */
  private counts = new Int32Array(64);

  /** The index of `source`, registered on first use. */
  indexOf(source: PathSource): number {
    const known = this.index.get(source);
    if (known !== undefined) return known;
    const i = this.freeIndexes.pop() ?? this.list.length;
    this.list[i] = source;
    this.refs[i] = 0;
    this.retired[i] = false;
    this.index.set(source, i);
    if (i >= this.peerOf.length) {
      const bigger = new Int32Array(this.peerOf.length * 2);
      bigger.set(this.peerOf);
      this.peerOf = bigger;
    }
    this.peerOf[i] = this.peerKey(source.address);
    return i;
  }

  /** The index of `source` if it is registered (without registering it). */
  find(source: PathSource): number | undefined {
    return this.index.get(source);
  }

  /** A number for the peer at `address`, the same for every incarnation of its session. */
  peerKey(address: string): number {
    let k = this.peerKeys.get(address);
    if (k === undefined) {
      k = this.peerKeys.size + 1;
      this.peerKeys.set(address, k);
      if (k >= this.counts.length) {
        const bigger = new Int32Array(this.counts.length * 2);
        bigger.set(this.counts);
        this.counts = bigger;
      }
    }
    return k;
  }

  get(i: number): PathSource {
    return this.list[i]!;
  }

  addPath(i: number): void {
    this.refs[i]!++;
    this.counts[this.peerOf[i]!]!++;
  }

  dropPath(i: number): void {
    this.counts[this.peerOf[i]!]!--;
    if (--this.refs[i]! === 0 && this.retired[i]) this.forget(i);
  }

  /** The session behind `source` ended: its index goes once no path uses it. */
  retire(source: PathSource): void {
    const i = this.index.get(source);
    if (i === undefined) return;
    this.retired[i] = true;
    if (this.refs[i] === 0) this.forget(i);
  }

  countFrom(address: string): number {
    const k = this.peerKeys.get(address);
    return k === undefined ? 0 : this.counts[k]!;
  }

  private forget(i: number): void {
    const source = this.list[i]!;
    this.index.delete(source);
    this.list[i] = undefined;
    this.freeIndexes.push(i);
  }
}
