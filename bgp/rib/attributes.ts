// Path attributes as the RIBs hold them, and the interning store that keeps one frozen object per
// distinct set (BIRD's rt-attr idea): a million prefixes announced with the same attributes share one
// object, so a path costs a pointer, and "same attributes" is a pointer comparison when packing UPDATEs.

/** RFC 4271 §5.1.1 ORIGIN values. */
export const ORIGIN_IGP = 0;
export const ORIGIN_EGP = 1;
export const ORIGIN_INCOMPLETE = 2;
export type Origin = 0 | 1 | 2;

/** RFC 4271 §4.3 AS_PATH segment types (and RFC 5065 confederation types, carried but not acted on). */
export const AS_SET = 1;
export const AS_SEQUENCE = 2;

export interface AsPathSegment {
  type: number;
  asns: readonly number[];
}

/** An attribute this speaker does not interpret, passed on if transitive (RFC 4271 §5). */
export interface OpaqueAttribute {
  flags: number;
  type: number;
  /** Hex of the value, so the set stays comparable and frozen. */
  value: string;
}

export interface PathAttributes {
  origin: Origin;
  asPath: readonly AsPathSegment[];
  /** IPv4 or IPv6 next hop as text; for IPv6 a link-local may follow in nextHopLinkLocal. */
  nextHop?: string;
  nextHopLinkLocal?: string;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: { asn: number; address: string };
  /** RFC 1997 communities as 32-bit numbers (high 16 bits the AS), sorted. */
  communities?: readonly number[];
  /** RFC 8092 large communities as "a:b:c", sorted. */
  largeCommunities?: readonly string[];
  /** RFC 4456 */
  originatorId?: string;
  clusterList?: readonly string[];
  opaque?: readonly OpaqueAttribute[];
}

/**
 * An interned attribute set: one shared object per distinct set, so "same attributes" is ===. Its
 * parts are frozen; `__id` is the store's number for it (0 once the store let it go).
 */
export type AttrSet = Readonly<PathAttributes> & {
  readonly __interned: true;
  readonly asPathLength: number;
  __id: number;
};

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

/** A stable text key for an attribute set: equal sets give equal keys. */
function keyOf(a: PathAttributes): string {
  return [
    a.origin,
    a.asPath.map((s) => `${s.type}:${s.asns.join(',')}`).join(';'),
    a.nextHop ?? '',
    a.nextHopLinkLocal ?? '',
    a.med ?? '',
    a.localPref ?? '',
    a.atomicAggregate ? 1 : '',
    a.aggregator ? `${a.aggregator.asn}@${a.aggregator.address}` : '',
    a.communities?.join(',') ?? '',
    a.largeCommunities?.join(',') ?? '',
    a.originatorId ?? '',
    a.clusterList?.join(',') ?? '',
    a.opaque?.map((o) => `${o.flags}/${o.type}/${o.value}`).join(',') ?? '',
  ].join('|');
}

/** Drops empty optional fields and sorts the set-valued ones, so equal meaning gives equal keys. */
function normalize(a: PathAttributes): PathAttributes {
  const out: PathAttributes = { origin: a.origin, asPath: a.asPath.filter((s) => s.asns.length > 0) };
  if (a.nextHop !== undefined) out.nextHop = a.nextHop;
  if (a.nextHopLinkLocal !== undefined) out.nextHopLinkLocal = a.nextHopLinkLocal;
  if (a.med !== undefined) out.med = a.med;
  if (a.localPref !== undefined) out.localPref = a.localPref;
  if (a.atomicAggregate) out.atomicAggregate = true;
  if (a.aggregator) out.aggregator = a.aggregator;
  if (a.communities?.length) out.communities = [...new Set(a.communities)].sort((x, y) => x - y);
  if (a.largeCommunities?.length) out.largeCommunities = [...new Set(a.largeCommunities)].sort(compareLarge);
  if (a.originatorId !== undefined) out.originatorId = a.originatorId;
  if (a.clusterList?.length) out.clusterList = a.clusterList;
  if (a.opaque?.length) out.opaque = [...a.opaque].sort((x, y) => x.type - y.type);
  return out;
}

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
 * `release` when it stops; at zero the set leaves the store and its id is reused.
 */
export class AttrStore {
  private readonly byKey = new Map<string, AttrSet>();
  private readonly sets: (AttrSet | undefined)[] = [undefined];
  private refs = new Int32Array(256);
  private readonly freeIds: number[] = [];

  /** The one shared set equal to `attrs` (added if new, with no references yet). */
  intern(attrs: PathAttributes): AttrSet {
    const known = attrs as AttrSet;
    if (known.__interned && known.__id > 0) return known;
    const normal = normalize(attrs);
    const key = keyOf(normal);
    const found = this.byKey.get(key);
    if (found) return found;
    const set = Object.assign(normal, {
      __interned: true as const,
      asPathLength: asPathLength(normal.asPath),
      __id: this.allocId(),
    });
    freezeParts(set);
    this.sets[set.__id] = set;
    this.byKey.set(key, set);
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
    this.byKey.delete(keyOf(set));
    this.sets[id] = undefined;
    set.__id = 0;
    this.freeIds.push(id);
  }

  /** The set with this id (ids come from retain). */
  get(id: number): AttrSet {
    return this.sets[id]!;
  }

  /** Number of distinct sets alive (for statistics and tests). */
  get size(): number {
    return this.byKey.size;
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
      const bigger = new Int32Array(this.refs.length * 2);
      bigger.set(this.refs);
      this.refs = bigger;
    }
    this.refs[id] = 0;
    return id;
  }
}
