// Every path the RIB holds, as rows of typed arrays: where it came from (a source index), its
// attribute set (an AttrStore id), the next path of the same prefix, the prefix it belongs to, and
// flags. Path number 0 means "none", so zero-filled arrays read as empty lists.
import { grown } from './prefix-table.js';

/** RFC 4724: kept from a restarting peer, to be purged unless re-sent before End-of-RIB. */
export const PATH_STALE = 1;
/** RFC 7911: the path came with a path identifier (`pathIds` holds it). */
export const PATH_HAS_ID = 2;

export class PathPool {
  private capacity = 1024;
  source = new Int32Array(this.capacity);
  attrs = new Int32Array(this.capacity);
  next = new Int32Array(this.capacity);
  /** The owning prefix: slot × 2 + family index. */
  owner = new Int32Array(this.capacity);
  flags = new Uint8Array(this.capacity);
  /**
   * RFC 7911 path identifier per path, as the peer sent it. Allocated only once an ADD-PATH session
   * stores one (`withPathIds`): without ADD-PATH a path is known by its peer alone and costs nothing here.
   */
  pathIds = new Uint32Array(0);
  /** Freed paths, chained through `next`. */
  private freeHead = 0;
  private highWater = 1;
  size = 0;

  alloc(source: number, attrs: number, owner: number): number {
    let p = this.freeHead;
    if (p !== 0) this.freeHead = this.next[p]!;
    else {
      if (this.highWater === this.capacity) this.grow();
      p = this.highWater++;
    }
    this.source[p] = source;
    this.attrs[p] = attrs;
    this.owner[p] = owner;
    this.next[p] = 0;
    this.flags[p] = 0;
    if (this.pathIds.length !== 0) this.pathIds[p] = 0;
    this.size++;
    return p;
  }

  /** The path-identifier column, allocated on first use. */
  withPathIds(): Uint32Array {
    if (this.pathIds.length === 0) this.pathIds = new Uint32Array(this.capacity);
    return this.pathIds;
  }

  /** The path identifier of `p` (0 when none was ever stored). */
  pathIdOf(p: number): number {
    return this.pathIds.length === 0 ? 0 : this.pathIds[p]!;
  }

  release(p: number): void {
    this.source[p] = -1;
    this.next[p] = this.freeHead;
    this.freeHead = p;
    this.size--;
  }

  /** Paths ever handed out are below this (free ones have source -1). */
  get end(): number {
    return this.highWater;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    this.source = grown(this.source, cap);
    this.attrs = grown(this.attrs, cap);
    this.next = grown(this.next, cap);
    this.owner = grown(this.owner, cap);
    this.flags = grown(this.flags, cap);
    if (this.pathIds.length !== 0) this.pathIds = grown(this.pathIds, cap);
    this.capacity = cap;
  }
}
