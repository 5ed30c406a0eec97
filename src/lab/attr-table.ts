// Attribute-diverse route tables for benchmarks and tests: groups of K consecutive prefixes share one
// attribute set, and the sets vary the way those of a real Internet table do — AS paths of 2–8 ASNs
// (a few upstreams first, then a long tail of origins, some of them 4-octet), 0–6 communities from a
// pool, a MED on about a third, large communities on a few. Everything follows from a seed, so a run
// is repeatable and every target sees the same table.
//
// The table is handed to BIRD as static routes with per-route attributes (`bgp_path.prepend`,
// `bgp_community.add`, …), so BIRD, not our code, is the generator. BIRD's eBGP export prepends its
// own AS, so a path of n ASNs here arrives with n + 1.

export interface AttrSet {
  /** The AS path, leftmost first (the neighbour side); the generator's own AS comes on top. */
  asPath: number[];
  /** `asn:value` */
  communities: string[];
  /** `global:local1:local2` */
  largeCommunities: string[];
  med?: number;
}

/** K: how many consecutive prefixes share one attribute set (`all`: one set for the whole table). */
export type Group = number | 'all';

/** A small, fast, seedable generator (mulberry32): enough for spreading attributes, not for secrets. */
export function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
  };
}

// Upstreams (the first ASN after the generator's) come from a short list; the rest from a long tail
// where one in eight is a 4-octet ASN (RFC 6793), as in today's tables.
const UPSTREAMS = [174, 1299, 2914, 3257, 3356, 3491, 6453, 6461, 6762, 6939, 7018, 9002];
const TAIL = 20_000;
const tailAsn = (i: number) => (i % 8 === 7 ? 196_608 + i * 7 : 1000 + ((i * 13) % 60_000));
// Path lengths 2..8, weighted toward 3–5 (the median path of a full table is about 4 ASNs).
const LENGTHS = [2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 7, 8];
const COMMUNITY_ASNS = [174, 1299, 3356, 6939, 65000];
const COMMUNITY_VALUES = [100, 110, 120, 200, 300, 666, 1000, 2000, 3000, 5000];

/** The attribute set of group `g` of the table made from `seed`. */
export function attrSetOf(seed: number, g: number): AttrSet {
  const r = rng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(g + 1, 0xc2b2ae35));
  const length = LENGTHS[r(LENGTHS.length)]!;
  const asPath = [UPSTREAMS[r(UPSTREAMS.length)]!];
  while (asPath.length < length) asPath.push(tailAsn(r(TAIL)));
  const communities: string[] = [];
  const nc = r(7);
  for (let i = 0; i < nc; i++) {
    const c = `${COMMUNITY_ASNS[r(COMMUNITY_ASNS.length)]}:${COMMUNITY_VALUES[r(COMMUNITY_VALUES.length)]! + r(50)}`;
    if (!communities.includes(c)) communities.push(c);
  }
  const set: AttrSet = { asPath, communities, largeCommunities: [] };
  if (r(3) === 0) set.med = r(1000);
  if (r(20) === 0) set.largeCommunities.push(`${asPath.at(-1)}:${r(100)}:${r(100)}`);
  if (r(60) === 0) set.largeCommunities.push(`${asPath[0]}:1:${r(1000)}`);
  return set;
}

/** The group number of prefix `i` for a given K. */
export const groupOf = (i: number, k: Group) => (k === 'all' ? 0 : Math.floor(i / k));

/**
 * BIRD filter statements that give a route `set`: the path is built by prepending from the right,
 * so that the leftmost ASN ends up first.
 */
export function birdStatements(set: AttrSet): string {
  const out: string[] = [];
  for (let i = set.asPath.length - 1; i >= 0; i--) out.push(`bgp_path.prepend(${set.asPath[i]});`);
  for (const c of set.communities) out.push(`bgp_community.add((${c.replace(':', ',')}));`);
  for (const c of set.largeCommunities) out.push(`bgp_large_community.add((${c.split(':').join(',')}));`);
  if (set.med !== undefined) out.push(`bgp_med = ${set.med};`);
  return out.join(' ');
}

/** How many distinct attribute sets a table of `n` prefixes has with groups of K. */
export const attrSetCount = (n: number, k: Group) => (k === 'all' ? 1 : Math.ceil(n / k));

export const groupLabel = (k: Group) => (k === 'all' ? 'K=all' : `K=${k}`);

export function parseGroups(text: string): Group[] {
  return text.split(',').map((s) => {
    const t = s.trim();
    if (t === 'all') return 'all';
    const k = Number(t);
    if (!Number.isInteger(k) || k < 1)
      throw new Error(`TSROUTE_BENCH_K: "${t}" is neither a positive integer nor "all"`);
    return k;
  });
}
