// Paths as plain data for the public face: text communities, flat AS paths, origin by name.
import type { BestPathEvent, LocalRouteAttributes, RouteView } from './config.js';
import {
  AS_SEQUENCE,
  type AttrSet,
  communityText,
  type Origin,
  type PathAttributes,
  parseCommunity,
  parseLargeCommunity,
} from './rib/attributes.js';
import type { LocRib } from './rib/loc-rib.js';
import type { Path } from './rib/path.js';
import type { FamilyIndex } from './rib/prefix-key.js';

const ORIGIN_NAMES = ['igp', 'egp', 'incomplete'] as const;

export function attrsView(prefix: string, from: string, a: AttrSet | PathAttributes): RouteView {
  const view: RouteView = {
    prefix,
    from,
    asPath: a.asPath.flatMap((s) => [...s.asns]),
    origin: ORIGIN_NAMES[a.origin] ?? 'incomplete',
    communities: (a.communities ?? []).map(communityText),
    largeCommunities: [...(a.largeCommunities ?? [])],
  };
  if (a.nextHop !== undefined) view.nextHop = a.nextHop;
  if (a.med !== undefined) view.med = a.med;
  if (a.localPref !== undefined) view.localPref = a.localPref;
  if (a.originatorId !== undefined) view.originatorId = a.originatorId;
  if (a.clusterList) view.clusterList = [...a.clusterList];
  return view;
}

export function pathView(prefix: string, p: Path, best: boolean): RouteView {
  const view = attrsView(prefix, p.source.address, p.attrs);
  view.best = best;
  if (p.stale) view.stale = true;
  if (p.pathId !== undefined) view.pathId = p.pathId;
  return view;
}

/** The attributes of a route `announce()` originates. */
export function localAttributes(a: LocalRouteAttributes = {}): PathAttributes {
  return {
    origin: (a.origin ? ORIGIN_NAMES.indexOf(a.origin) : 0) as Origin,
    asPath: a.asPath?.length ? [{ type: AS_SEQUENCE, asns: a.asPath }] : [],
    nextHop: a.nextHop,
    med: a.med,
    localPref: a.localPref,
    communities: a.communities?.map(parseCommunity),
    largeCommunities: a.largeCommunities?.map(parseLargeCommunity),
  };
}

/**
 * A best-path change. The view of the best path is made only if the listener reads it (most want
 * the next hops): a getter on the class, not a property defined per event, so a table streaming
 * in costs one small object per prefix.
 */
class BestPathChange implements BestPathEvent {
  readonly family: BestPathEvent['family'];
  readonly withdrawn: boolean;
  readonly local: boolean;
  #path: Path | undefined;
  #view: RouteView | undefined;

  constructor(
    readonly prefix: string,
    family: FamilyIndex,
    path: Path | undefined,
    readonly nextHops: string[],
  ) {
    this.family = family === 0 ? 'ipv4' : 'ipv6';
    this.withdrawn = !path;
    this.local = path?.source.kind === 'local';
    this.#path = path;
  }

  get best(): RouteView | undefined {
    if (this.#path) this.#view ??= pathView(this.prefix, this.#path, true);
    return this.#view;
  }

  toJSON(): BestPathEvent {
    const { prefix, family, withdrawn, nextHops, local, best } = this;
    return { prefix, family, withdrawn, nextHops, best, local };
  }
}

/** The event for a prefix whose best path or ECMP set changed (`multipath`: the path rows used). */
export function bestPathEvent(
  rib: LocRib,
  family: FamilyIndex,
  slot: number,
  multipath: readonly number[],
): BestPathEvent {
  const bestRow = rib.bestOf(family, slot);
  const best = bestRow ? rib.path(bestRow) : undefined;
  const nextHops: string[] = [];
  if (best)
    for (const row of multipath) {
      const hop = rib.store.get(rib.pool.attrs[row]!).nextHop;
      if (hop !== undefined) nextHops.push(hop);
    }
  return new BestPathChange(rib.families[family].table.text(slot), family, best, nextHops);
}

/**
 * The next hops a kernel forwards `prefix` to: the best path's, or with ECMP each multipath
 * member's (best first). Undefined when the prefix has no path or its best is our own (local).
 * Read from the Loc-RIB itself, so a consumer keeps no copy of the table.
 */
export function forwardingNextHops(rib: LocRib, prefix: string): string[] | undefined {
  const dest = rib.get(prefix);
  return dest ? nextHopsOf(dest) : undefined;
}

/** `fn` for every prefix whose best path was learned from a peer, with its forwarding next hops. */
export function forEachForwarding(rib: LocRib, fn: (prefix: string, nextHops: string[]) => void): void {
  for (const [prefix, dest] of rib.entries()) {
    const hops = nextHopsOf(dest);
    if (hops) fn(prefix, hops);
  }
}

function nextHopsOf(dest: { best: Path | undefined; multipath?: Path[] }): string[] | undefined {
  if (!dest.best || dest.best.source.kind === 'local') return undefined;
  const hops: string[] = [];
  for (const p of dest.multipath ?? [dest.best]) if (p.attrs.nextHop !== undefined) hops.push(p.attrs.nextHop);
  return hops.length ? hops : undefined;
}
