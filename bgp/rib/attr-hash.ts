// Hashing and equality of normalized attribute sets, for the AttrStore's id table. A set is found by
// a 32-bit hash of its fields and a field-by-field comparison, so the store keeps no text key per
// set: a text key (about 100 bytes per set, rebuilt on every lookup and again on release) was the
// largest single cost of interning a table whose every few prefixes bring a new attribute set.
import type { PathAttributes } from './path-attributes.js';

// FNV-1a over 32-bit words and string code units, folded with Math.imul so it stays in int32.
const SEED = 0x811c9dc5 | 0;
const mixNum = (h: number, x: number): number => Math.imul(h ^ (x | 0), 0x01000193) ^ ((x / 0x100000000) | 0);
function mixStr(h: number, s: string | undefined): number {
  if (s === undefined) return Math.imul(h ^ 0x55, 0x01000193);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ 0xaa, 0x01000193);
}
const mixOpt = (h: number, x: number | undefined): number =>
  x === undefined ? Math.imul(h ^ 0x77, 0x01000193) : mixNum(mixNum(h, 1), x);

/** The hash of a normalized set (equal sets, equal hashes). */
export function hashAttrs(a: PathAttributes): number {
  let h = mixNum(SEED, a.origin);
  for (const s of a.asPath) {
    h = mixNum(h, s.type | (s.asns.length << 8));
    for (const x of s.asns) h = mixNum(h, x);
  }
  h = mixStr(h, a.nextHop);
  h = mixStr(h, a.nextHopLinkLocal);
  h = mixOpt(h, a.med);
  h = mixOpt(h, a.localPref);
  h = mixNum(h, a.atomicAggregate ? 1 : 2);
  if (a.aggregator) h = mixStr(mixNum(h, a.aggregator.asn), a.aggregator.address);
  if (a.communities) for (const c of a.communities) h = mixNum(h, c);
  h = mixNum(h, 3);
  if (a.largeCommunities) for (const c of a.largeCommunities) h = mixStr(h, c);
  h = mixStr(h, a.originatorId);
  if (a.clusterList) for (const c of a.clusterList) h = mixStr(h, c);
  if (a.opaque) for (const o of a.opaque) h = mixStr(mixNum(h, (o.flags << 8) | o.type), o.value);
  return h;
}

function sameNumbers(x: readonly number[] | undefined, y: readonly number[] | undefined): boolean {
  if (x === y) return true;
  const n = x?.length ?? 0;
  if (n !== (y?.length ?? 0)) return false;
  for (let i = 0; i < n; i++) if (x![i] !== y![i]) return false;
  return true;
}

function sameStrings(x: readonly string[] | undefined, y: readonly string[] | undefined): boolean {
  if (x === y) return true;
  const n = x?.length ?? 0;
  if (n !== (y?.length ?? 0)) return false;
  for (let i = 0; i < n; i++) if (x![i] !== y![i]) return false;
  return true;
}

/** Field-by-field equality of two normalized sets. */
export function sameAttrs(a: PathAttributes, b: PathAttributes): boolean {
  if (
    a.origin !== b.origin ||
    a.nextHop !== b.nextHop ||
    a.nextHopLinkLocal !== b.nextHopLinkLocal ||
    a.med !== b.med ||
    a.localPref !== b.localPref ||
    !a.atomicAggregate !== !b.atomicAggregate ||
    a.originatorId !== b.originatorId ||
    a.asPath.length !== b.asPath.length
  )
    return false;
  for (let i = 0; i < a.asPath.length; i++) {
    const s = a.asPath[i]!;
    const t = b.asPath[i]!;
    if (s.type !== t.type || !sameNumbers(s.asns, t.asns)) return false;
  }
  if (a.aggregator !== b.aggregator) {
    if (!a.aggregator || !b.aggregator) return false;
    if (a.aggregator.asn !== b.aggregator.asn || a.aggregator.address !== b.aggregator.address) return false;
  }
  if (!sameNumbers(a.communities, b.communities)) return false;
  if (!sameStrings(a.largeCommunities, b.largeCommunities) || !sameStrings(a.clusterList, b.clusterList)) return false;
  const x = a.opaque;
  const y = b.opaque;
  if (x !== y) {
    if ((x?.length ?? 0) !== (y?.length ?? 0)) return false;
    for (let i = 0; i < (x?.length ?? 0); i++)
      if (x![i]!.flags !== y![i]!.flags || x![i]!.type !== y![i]!.type || x![i]!.value !== y![i]!.value) return false;
  }
  return true;
}
