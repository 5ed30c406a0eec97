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

/** The event for a prefix whose best path or ECMP set changed (`multipath`: the path rows used). */
export function bestPathEvent(
  rib: LocRib,
  family: FamilyIndex,
  slot: number,
  multipath: readonly number[],
): BestPathEvent {
  const prefix = rib.families[family].table.text(slot);
  const bestRow = rib.bestOf(family, slot);
  const best = bestRow ? rib.path(bestRow) : undefined;
  const event: BestPathEvent = {
    prefix,
    family: family === 0 ? 'ipv4' : 'ipv6',
    withdrawn: !best,
    nextHops: best
      ? multipath.map((row) => rib.store.get(rib.pool.attrs[row]!).nextHop).filter((h): h is string => h !== undefined)
      : [],
    best: undefined,
    local: best?.source.kind === 'local',
  };
  // The view of the best path is made only if the listener reads it (most want the next hops).
  if (best) {
    let view: BestPathEvent['best'];
    Object.defineProperty(event, 'best', {
      enumerable: true,
      get: () => {
        view ??= pathView(prefix, best, true);
        return view;
      },
    });
  }
  return event;
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
