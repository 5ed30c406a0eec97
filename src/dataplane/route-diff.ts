// The reconciler's decision, as a pure function: desired routes against the routes we applied (or,
// after a kernel read, the routes of ours the kernel really has) → the operations that make the
// kernel match. No kernel, no clock: everything here is testable with plain maps.
import { type KernelRoute, RTPROT_BGP, RTPROT_TSROUTE_BLOCK } from './types.js';

/** `${protocol} ${prefix}`: one owned route. The prefix is canonical and carries its length. */
export type RouteKey = string;

/** What an owned route is, as one comparable string: BLACKHOLE, or sorted next hops joined by ','. */
export type RouteValue = string;

export const BLACKHOLE: RouteValue = 'blackhole';

export const routeKey = (protocol: number, prefix: string): RouteKey => `${protocol} ${prefix}`;

export function splitKey(key: RouteKey): { protocol: number; prefix: string } {
  const space = key.indexOf(' ');
  return { protocol: Number(key.slice(0, space)), prefix: key.slice(space + 1) };
}

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

export interface RouteOp {
  /** add: nothing of ours is there; replace: ours is there with another value; delete: ours goes. */
  action: 'add' | 'replace' | 'delete';
  key: RouteKey;
  protocol: number;
  prefix: string;
  /** The value to write; for a delete, the value being removed. */
  value: RouteValue;
}

export function wantedValue(desired: DesiredRoutes, key: RouteKey): RouteValue | undefined {
  const { protocol, prefix } = splitKey(key);
  if (protocol === RTPROT_TSROUTE_BLOCK) return desired.blackholes.has(prefix) ? BLACKHOLE : undefined;
  if (protocol === RTPROT_BGP) return desired.learned.get(prefix);
  return undefined;
}

/** Every key either side knows: what a full comparison walks. */
export function allKeys(desired: DesiredRoutes, applied: ReadonlyMap<RouteKey, RouteValue>): RouteKey[] {
  const keys = new Set(applied.keys());
  for (const p of desired.blackholes) keys.add(routeKey(RTPROT_TSROUTE_BLOCK, p));
  for (const p of desired.learned.keys()) keys.add(routeKey(RTPROT_BGP, p));
  return [...keys];
}

/** The operations for `keys` (all of them, or only the ones that changed since the last pass). */
export function diffRoutes(
  desired: DesiredRoutes,
  applied: ReadonlyMap<RouteKey, RouteValue>,
  keys: Iterable<RouteKey>,
): RouteOp[] {
  const ops: RouteOp[] = [];
  for (const key of keys) {
    const want = wantedValue(desired, key);
    const have = applied.get(key);
    if (want === have) continue;
    const { protocol, prefix } = splitKey(key);
    if (want === undefined) {
      if (protocol === RTPROT_BGP && !desired.learnedAuthoritative) continue;
      ops.push({ action: 'delete', key, protocol, prefix, value: have! });
    } else ops.push({ action: have === undefined ? 'add' : 'replace', key, protocol, prefix, value: want });
  }
  return ops;
}

/** What `applied` becomes once `ops` succeeded. */
export function applyOps(applied: Map<RouteKey, RouteValue>, ops: readonly RouteOp[]): void {
  for (const op of ops) {
    if (op.action === 'delete') applied.delete(op.key);
    else applied.set(op.key, op.value);
  }
}

/**
 * The kernel's routes as applied state: only the protocols the reconciler owns. A route of ours
 * whose type is not what we write (someone changed it) gets a value nothing desired equals, so
 * the next diff replaces it.
 */
export function kernelState(routes: Iterable<KernelRoute>): Map<RouteKey, RouteValue> {
  const state = new Map<RouteKey, RouteValue>();
  for (const r of routes) {
    if (r.protocol === RTPROT_TSROUTE_BLOCK)
      state.set(routeKey(r.protocol, r.prefix), r.type === 'blackhole' ? BLACKHOLE : `(${r.type})`);
    else if (r.protocol === RTPROT_BGP)
      state.set(
        routeKey(r.protocol, r.prefix),
        r.type === 'unicast' && r.nextHops.length ? nextHopsValue(r.nextHops) : `(${r.type})`,
      );
  }
  return state;
}
