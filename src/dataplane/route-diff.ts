// The reconciler's decision, as a pure function: desired routes against the routes we applied (or,
// after a kernel read, the routes of ours the kernel really has) → the operations that make the
// kernel match. No kernel, no clock: everything here is testable with plain maps.
import { type KernelRoute, type OwnedKind, RTPROT_BGP, RTPROT_TSROUTE_BLOCK } from './types.js';

/** What an owned route is, as one comparable string: BLACKHOLE, or sorted next hops joined by ','. */
export type RouteValue = string;

export const BLACKHOLE: RouteValue = 'blackhole';

/** Next hops as a RouteValue: order does not matter to the kernel, so it must not matter here. */
export const nextHopsValue = (nextHops: readonly string[]): RouteValue =>
  nextHops.length === 1 ? nextHops[0]! : [...nextHops].sort().join(',');

export interface DesiredRoutes {
  /** Prefixes of the blocks this host owns. */
  blackholes: ReadonlySet<string>;
  /** Learned prefix → RouteValue. */
  learned: ReadonlyMap<string, RouteValue>;
  /**
   * False after a restart until the peers have re-sent their tables: learned routes missing from
   * `learned` are then kept (forwarding state preserved, RFC 4724), not deleted.
   */
  learnedAuthoritative: boolean;
}

/** Routes of ours, per kind: prefix (canonical, with its length) → RouteValue. */
export interface RouteState {
  blackholes: Map<string, RouteValue>;
  learned: Map<string, RouteValue>;
}

export const emptyState = (): RouteState => ({ blackholes: new Map(), learned: new Map() });
export const stateSize = (s: RouteState): number => s.blackholes.size + s.learned.size;

export interface RouteOp {
  /** add: nothing of ours is there; replace: ours is there with another value; delete: ours goes. */
  action: 'add' | 'replace' | 'delete';
  kind: OwnedKind;
  prefix: string;
  /** The value to write; for a delete, the value being removed. */
  value: RouteValue;
}

/** Prefixes to compare, per kind; absent: compare everything either side knows. */
export interface ChangedPrefixes {
  blackholes: Iterable<string>;
  learned: Iterable<string>;
}

function diffOne(
  ops: RouteOp[],
  kind: OwnedKind,
  prefix: string,
  want: RouteValue | undefined,
  have: RouteValue | undefined,
  keepMissing: boolean,
): void {
  if (want === have) return;
  if (want === undefined) {
    if (!keepMissing) ops.push({ action: 'delete', kind, prefix, value: have! });
  } else ops.push({ action: have === undefined ? 'add' : 'replace', kind, prefix, value: want });
}

/** The operations for the changed prefixes, or for everything when `changed` is absent. */
export function diffRoutes(desired: DesiredRoutes, applied: RouteState, changed?: ChangedPrefixes): RouteOp[] {
  const ops: RouteOp[] = [];
  const keepLearned = !desired.learnedAuthoritative;
  const blackhole = (p: string) => (desired.blackholes.has(p) ? BLACKHOLE : undefined);
  if (changed) {
    for (const p of changed.blackholes) diffOne(ops, 'blackhole', p, blackhole(p), applied.blackholes.get(p), false);
    for (const p of changed.learned)
      diffOne(ops, 'learned', p, desired.learned.get(p), applied.learned.get(p), keepLearned);
    return ops;
  }
  for (const p of desired.blackholes) diffOne(ops, 'blackhole', p, BLACKHOLE, applied.blackholes.get(p), false);
  for (const [p, have] of applied.blackholes)
    if (!desired.blackholes.has(p)) diffOne(ops, 'blackhole', p, undefined, have, false);
  for (const [p, want] of desired.learned) diffOne(ops, 'learned', p, want, applied.learned.get(p), keepLearned);
  for (const [p, have] of applied.learned)
    if (!desired.learned.has(p)) diffOne(ops, 'learned', p, undefined, have, keepLearned);
  return ops;
}

/** What `applied` becomes once `ops` succeeded. */
export function applyOps(applied: RouteState, ops: readonly RouteOp[]): void {
  for (const op of ops) {
    const map = op.kind === 'blackhole' ? applied.blackholes : applied.learned;
    if (op.action === 'delete') map.delete(op.prefix);
    else map.set(op.prefix, op.value);
  }
}

/**
 * The kernel's routes as applied state: only the protocols the reconciler owns. A route of ours
 * whose type is not what we write (someone changed it) gets a value nothing desired equals, so
 * the next diff replaces it.
 */
export function kernelState(routes: Iterable<KernelRoute>): RouteState {
  const state = emptyState();
  for (const r of routes) {
    if (r.protocol === RTPROT_TSROUTE_BLOCK)
      state.blackholes.set(r.prefix, r.type === 'blackhole' ? BLACKHOLE : `(${r.type})`);
    else if (r.protocol === RTPROT_BGP)
      state.learned.set(
        r.prefix,
        r.type === 'unicast' && r.nextHops.length ? nextHopsValue(r.nextHops) : `(${r.type})`,
      );
  }
  return state;
}
