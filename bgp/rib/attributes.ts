// Path attributes as the RIBs hold them, and the interning store that keeps one frozen object per
// distinct set (BIRD's rt-attr idea): a million prefixes announced with the same attributes share one
// object, so a path costs a pointer, and "same attributes" is a pointer comparison when packing UPDATEs.

import { hashAttrs, sameAttrs } from './attr-hash.js';
import { AS_SEQUENCE, AS_SET, type AsPathSegment, type AttrSet, type PathAttributes } from './path-attributes.js';

export * from './path-attributes.js';

/** RFC 4271 §9.1.2.2 (a): an AS_SET counts as 1, whatever its size; confederation segments count 0. */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === AS_SEQUENCE) n += s.asns.length;
    else if (s.type === AS_SET) n += 1;
  }
  return n;
}

/** The neighbouring AS a path was learned from (first AS of the first sequence), for MED comparison. */
export function neighbourAs(attrs: PathAttributes): number | undefined {
  const first = attrs.asPath[0];
  return first && first.type === AS_SEQUENCE ? first.asns[0] : undefined;
}

export function asPathContains(attrs: PathAttributes, asn: number): boolean {
  return attrs.asPath.some((s) => s.asns.includes(asn));
}

/** The AS path as flat text ("65001 65002 {65003 65004}") for display and AS-path policy matches. */
export function asPathText(segments: readonly AsPathSegment[]): string {
  return segments.map((s) => (s.type === AS_SET ? `{${s.asns.join(' ')}}` : s.asns.join(' '))).join(' ');
}

export function communityText(c: number): string {
  return `${c >>> 16}:${c & 0xffff}`;
}

export function parseCommunity(text: string): number {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  if (!m || Number(m[1]) > 0xffff || Number(m[2]) > 0xffff) throw new Error(`not a community "a:b": "${text}"`);
  return ((Number(m[1]) << 16) | Number(m[2])) >>> 0;
}

export function parseLargeCommunity(text: string): string {
  const m = /^(\d+):(\d+):(\d+)$/.exec(text.trim());
  if (!m || [m[1], m[2], m[3]].some((x) => Number(x) > 0xffffffff))
    throw new Error(`not a large community "a:b:c": "${text}"`);
  return `${Number(m[1])}:${Number(m[2])}:${Number(m[3])}`;
}

function compareLarge(a: string, b: string): number {
  const x = a.split(':').map(Number);
  const y = b.split(':').map(Number);
  return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
}

/** True when `a` is already in the form `normalize` gives (then it can be looked up as it is). */
function isNormal(a: PathAttributes): boolean {
  for (const s of a.asPath) if (s.asns.length === 0) return false;
  const c = a.communities;
  if (c) for (let i = 1; i < c.length; i++) if (c[i - 1]! >= c[i]!) return false;
  const l = a.largeCommunities;
  if (l) for (let i = 1; i < l.length; i++) if (compareLarge(l[i - 1]!, l[i]!) >= 0) return false;
  const o = a.opaque;
  if (o) for (let i = 1; i < o.length; i++) if (o[i - 1]!.type > o[i]!.type) return false;
  return true;
}

/** True when `x` is sorted ascending with no repeats. */
function strictlySorted<T>(x: readonly T[], compare: (a: T, b: T) => number): boolean {
  for (let i = 1; i < x.length; i++) if (compare(x[i - 1]!, x[i]!) >= 0) return false;
  return true;
}

const byNumber = (x: number, y: number) => x - y;

/**
 * Drops empty optional fields and sorts the set-valued ones, so equal meaning gives equal keys. A
 * field already in normal form is shared, not copied (the store freezes it).
 */
function normalize(a: PathAttributes): PathAttributes {
  const out: PathAttributes = {
    origin: a.origin,
    asPath: a.asPath.every((s) => s.asns.length > 0) ? a.asPath : a.asPath.filter((s) => s.asns.length > 0),
  };
  if (a.nextHop !== undefined) out.nextHop = a.nextHop;
  if (a.nextHopLinkLocal !== undefined) out.nextHopLinkLocal = a.nextHopLinkLocal;
  if (a.med !== undefined) out.med = a.med;
  if (a.localPref !== undefined) out.localPref = a.localPref;
  if (a.atomicAggregate) out.atomicAggregate = true;
  if (a.aggregator) out.aggregator = a.aggregator;
  const c = a.communities;
  if (c?.length) out.communities = strictlySorted(c, byNumber) ? c : [...new Set(c)].sort(byNumber);
  const l = a.largeCommunities;
  if (l?.length) out.largeCommunities = strictlySorted(l, compareLarge) ? l : [...new Set(l)].sort(compareLarge);
  if (a.originatorId !== undefined) out.originatorId = a.originatorId;
  if (a.clusterList?.length) out.clusterList = a.clusterList;
  const o = a.opaque;
  if (o?.length) out.opaque = isNormalOpaque(o) ? o : [...o].sort((x, y) => x.type - y.type);
  return out;
}

function isNormalOpaque(o: readonly { type: number }[]): boolean {
  for (let i = 1; i < o.length; i++) if (o[i - 1]!.type > o[i]!.type) return false;
  return true;
}

/** A set while the store marks it as its own. */
type Unsealed = PathAttributes & { __interned: true; asPathLength: number; __id: number };

function freezeParts(a: PathAttributes): void {
  for (const seg of a.asPath) {
    Object.freeze(seg.asns);
    Object.freeze(seg);
  }
  Object.freeze(a.asPath);
  for (const v of [a.communities, a.largeCommunities, a.clusterList, a.opaque, a.aggregator]) if (v) Object.freeze(v);
}

/**
 * The store of distinct attribute sets, each with a small integer id that the RIB keeps in its typed
 * arrays. Sets live while referenced: `retain` when a path (or a cache) starts pointing at one,
 * `release` when it stops; at zero the set leaves the store and its id is reused. Sets are found
 * through an open-addressing table of ids keyed by a hash of their fields (attr-hash.ts), so a
 * lookup builds nothing and a set costs its object plus a few bytes of table.
 */
export class AttrStore {
  private readonly sets: (AttrSet | undefined)[] = [undefined];
  private refs = new Int32Array(256);
  private hashes = new Int32Array(256);
  /** Ids by hash, linear probing; 0 empty, -1 a deleted entry. Size a power of two. */
  private table = new Int32Array(512);
  /** Live ids plus deleted entries in `table` (probes stop only at 0). */
  private used = 0;
  private live = 0;
  private readonly freeIds: number[] = [];
  /** Told of each set as it leaves the store (its id given separately: the set's own is 0 by then). */
  onFree: ((set: AttrSet, id: number) => void) | undefined;

  /**
   * The one shared set equal to `attrs` (added if new, with no references yet). With `owned` the
   * caller hands over an object made for this call (and its parts, which the store freezes): when
   * new and already in normal form it becomes the set itself. A table with a new set every few
   * prefixes made a copy of every set here.
   */
  intern(attrs: PathAttributes, owned = false): AttrSet {
    const known = attrs as AttrSet;
    // The id is checked against the store: a copy of a set ({...set}) carries its marks but is not it.
    if (known.__interned && known.__id > 0 && this.sets[known.__id] === known) return known;
    const normal = isNormal(attrs);
    const query = normal ? attrs : normalize(attrs);
    const hash = hashAttrs(query);
    const found = this.find(query, hash);
    if (found) return found;
    // Otherwise a fresh object: the caller's may be shared with (or changed by) a policy or the decoder.
    const made = (normal && owned ? attrs : query === attrs ? normalize(attrs) : query) as Unsealed;
    made.__interned = true;
    made.asPathLength = asPathLength(made.asPath);
    made.__id = this.allocId();
    freezeParts(made);
    const set = made as AttrSet;
    this.sets[set.__id] = set;
    this.hashes[set.__id] = hash;
    this.insert(set.__id, hash);
    return set;
  }

  /** Adds a reference to `set` (interning it again if the store had let it go); returns its id. */
  retain(set: AttrSet | PathAttributes): number {
    const id = this.intern(set).__id;
    this.refs[id]!++;
    return id;
  }

  retainId(id: number): void {
    this.refs[id]!++;
  }

  releaseId(id: number): void {
    if (--this.refs[id]! > 0) return;
    const set = this.sets[id];
    if (!set) return;
    this.remove(id);
    this.sets[id] = undefined;
    set.__id = 0;
    this.freeIds.push(id);
    this.shrinkIfSparse();
    this.onFree?.(set, id);
  }

  /** The set with this id (ids come from retain). */
  get(id: number): AttrSet {
    return this.sets[id]!;
  }

  /** Number of distinct sets alive (for statistics and tests). */
  get size(): number {
    return this.live;
  }

  private find(a: PathAttributes, hash: number): AttrSet | undefined {
    const t = this.table;
    const mask = t.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const id = t[i]!;
      if (id === 0) return undefined;
      if (id > 0 && this.hashes[id] === hash && sameAttrs(this.sets[id]!, a)) return this.sets[id];
    }
  }

  private insert(id: number, hash: number): void {
    // Keep the table at most half full (deleted entries count: they lengthen probes too).
    if ((this.used + 1) * 2 > this.table.length)
      this.rehash(Math.max(512, 1 << Math.ceil(Math.log2((this.live + 1) * 4))));
    const t = this.table;
    const mask = t.length - 1;
    let i = hash & mask;
    while (t[i]! > 0) i = (i + 1) & mask;
    if (t[i] === 0) this.used++;
    t[i] = id;
    this.live++;
  }

  private remove(id: number): void {
    const t = this.table;
    const mask = t.length - 1;
    for (let i = this.hashes[id]! & mask; t[i] !== 0; i = (i + 1) & mask)
      if (t[i] === id) {
        t[i] = -1;
        this.live--;
        return;
      }
  }

  private rehash(size: number): void {
    const old = this.table;
    const t = new Int32Array(size);
    const mask = size - 1;
    for (const id of old) {
      if (id <= 0) continue;
      let i = this.hashes[id]! & mask;
      while (t[i] !== 0) i = (i + 1) & mask;
      t[i] = id;
    }
    this.table = t;
    this.used = this.live;
  }

  /**
   * Gives memory back once most sets are gone (a withdrawn table): the id table and the per-id
   * columns shrink to fit what is left. Ids above the highest live one are dropped from the free list.
   */
  private shrinkIfSparse(): void {
    if (this.table.length <= 512 || this.live * 16 > this.table.length) return;
    let top = this.sets.length - 1;
    while (top > 0 && this.sets[top] === undefined) top--;
    this.sets.length = top + 1;
    const keep = this.freeIds.filter((id) => id <= top);
    this.freeIds.length = 0;
    for (const id of keep) this.freeIds.push(id);
    const cols = Math.max(256, 1 << Math.ceil(Math.log2(top + 1)));
    if (cols < this.refs.length) {
      this.refs = grownInt32(this.refs.subarray(0, cols), cols);
      this.hashes = grownInt32(this.hashes.subarray(0, cols), cols);
    }
    this.rehash(Math.max(512, 1 << Math.ceil(Math.log2((this.live + 1) * 4))));
  }

  private allocId(): number {
    const reused = this.freeIds.pop();
    if (reused !== undefined) {
      this.refs[reused] = 0;
      return reused;
    }
    const id = this.sets.length;
    this.sets.push(undefined);
    if (id >= this.refs.length) {
      this.refs = grownInt32(this.refs, this.refs.length * 2);
      this.hashes = grownInt32(this.hashes, this.hashes.length * 2);
    }
    this.refs[id] = 0;
    return id;
  }
}

function grownInt32(a: Int32Array<ArrayBufferLike>, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}
