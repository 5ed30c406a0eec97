// The BGP decision process, RFC 4271 §9.1.2.2 with RFC 4456 §9 (ORIGINATOR_ID as router ID, shorter
// CLUSTER_LIST), as a comparison of two paths, and the ECMP rule for which paths may share traffic.

import { compareAddresses } from '../prefix.js';
import { neighbourAs } from './attributes.js';
import type { Path } from './path.js';

/** RFC 4271 §5.1.5: LOCAL_PREF a path is given when none was received (eBGP or local). */
export const DEFAULT_LOCAL_PREF = 100;

const localPref = (p: Path) => p.attrs.localPref ?? DEFAULT_LOCAL_PREF;
const med = (p: Path) => p.attrs.med ?? 0; // RFC 4271 §9.1.2.2 (c): a missing MED is the lowest
const routerIdOf = (p: Path) => p.attrs.originatorId ?? p.source.routerId;

export interface DecisionOptions {
  /** Compare MED across different neighbour ASes too (Cisco's "always-compare-med"). */
  alwaysCompareMed?: boolean;
}

/**
 * The steps up to and including eBGP-over-iBGP: paths equal here are equally good for forwarding and
 * may be used together (multipath). Negative when `a` is better.
 */
export function compareForMultipath(a: Path, b: Path, opts: DecisionOptions = {}): number {
  // Locally originated routes win over learned ones (as BIRD and FRR do before the RFC steps).
  const al = a.source.kind === 'local' ? 0 : 1;
  const bl = b.source.kind === 'local' ? 0 : 1;
  if (al !== bl) return al - bl;
  // §9.1.2.1: degree of preference = LOCAL_PREF, higher wins.
  if (localPref(a) !== localPref(b)) return localPref(b) - localPref(a);
  // §9.1.2.2 (a): shorter AS_PATH.
  if (a.attrs.asPathLength !== b.attrs.asPathLength) return a.attrs.asPathLength - b.attrs.asPathLength;
  // (b): lower ORIGIN.
  if (a.attrs.origin !== b.attrs.origin) return a.attrs.origin - b.attrs.origin;
  // (c): lower MED, only between paths from the same neighbour AS.
  if (opts.alwaysCompareMed || neighbourAs(a.attrs) === neighbourAs(b.attrs)) {
    if (med(a) !== med(b)) return med(a) - med(b);
  }
  // (d): eBGP over iBGP.
  const ae = a.source.kind === 'ebgp' ? 0 : 1;
  const be = b.source.kind === 'ebgp' ? 0 : 1;
  return ae - be;
}

/** The full order: negative when `a` is the better path. Ties end at the peer address (§9.1.2.2 (g)). */
export function comparePaths(a: Path, b: Path, opts: DecisionOptions = {}): number {
  const m = compareForMultipath(a, b, opts);
  if (m !== 0) return m;
  // (e) interior cost: every next hop here is directly connected or equally unknown, so no step.
  // (f): lowest BGP Identifier, the ORIGINATOR_ID standing in for it (RFC 4456 §9).
  const id = compareAddresses(routerIdOf(a), routerIdOf(b));
  if (id !== 0) return id;
  // RFC 4456 §9: shorter CLUSTER_LIST, between (f) and (g).
  const cl = (a.attrs.clusterList?.length ?? 0) - (b.attrs.clusterList?.length ?? 0);
  if (cl !== 0) return cl;
  // (g): lowest peer address.
  return compareAddresses(a.source.address, b.source.address);
}

/**
 * Orders `paths` best first and returns the best and the multipath set: paths equal to the best in
 * `compareForMultipath`, with distinct next hops, at most `maxPaths` of them (1 = no ECMP).
 */
export function selectBest(
  paths: readonly Path[],
  maxPaths = 1,
  opts: DecisionOptions = {},
): { best: Path | undefined; multipath: Path[] } {
  if (paths.length === 0) return { best: undefined, multipath: [] };
  let best = paths[0]!;
  for (let i = 1; i < paths.length; i++) if (comparePaths(paths[i]!, best, opts) < 0) best = paths[i]!;
  if (maxPaths <= 1 || paths.length === 1) return { best, multipath: [best] };
  const equal = paths
    .filter((p) => p === best || compareForMultipath(p, best, opts) === 0)
    .sort((a, b) => comparePaths(a, b, opts));
  const multipath: Path[] = [];
  const hops = new Set<string | undefined>();
  for (const p of equal) {
    if (multipath.length >= maxPaths) break;
    if (hops.has(p.attrs.nextHop)) continue;
    hops.add(p.attrs.nextHop);
    multipath.push(p);
  }
  return { best, multipath };
}
