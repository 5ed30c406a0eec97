// What this node tells its peers, and which learned routes it takes: pure functions over the
// cluster's pools and this node's blocks, re-run whenever either changes.
import type { LearnedRoute } from '../dataplane/index.js';
import { type Cidr, formatCidr } from '../model/index.js';
import { aggregate, cidrContains, cidrOf, hostPrefix } from './prefixes.js';

export interface AnnouncePool {
  name: string;
  cidr: string;
  disabled?: boolean;
  disableBGPExport?: boolean;
}

export interface Advertisement {
  /** Routes inside this prefix get the communities below. */
  cidr: string;
  communities: string[];
}

export interface Announcement {
  prefix: string;
  communities: string[];
  med?: number;
  /** Why we announce it: "block", "borrowed", "api" — shown by `rib` and in logs. */
  origin: 'block' | 'borrowed' | 'api';
}

export interface AnnouncementInput {
  pools: AnnouncePool[];
  /** Blocks whose affinity to this node is confirmed. */
  ownBlocks: string[];
  /** Addresses this node's endpoints hold inside other nodes' blocks: announced as /32 or /128. */
  borrowed: string[];
  /** Extra prefixes added through the API (AddPath), such as a service address. */
  extraPaths: { prefix: string; communities?: string[]; med?: number }[];
  /** BGPConfiguration prefix advertisements (communities per prefix range). */
  advertisements: Advertisement[];
}

/**
 * Pools whose blocks we announce. A disabled pool hands out no new addresses, but the containers
 * that already hold one keep their routes: only disableBGPExport keeps a pool's blocks to ourselves.
 */
function exportable(pools: AnnouncePool[]): Cidr[] {
  return pools
    .filter((p) => !p.disableBGPExport)
    .map((p) => cidrOf(p.cidr))
    .filter((c): c is Cidr => c !== undefined);
}

function communitiesFor(prefix: Cidr, advertisements: Advertisement[]): string[] {
  const out = new Set<string>();
  for (const a of advertisements) {
    const c = cidrOf(a.cidr);
    if (c && cidrContains(c, prefix)) for (const x of a.communities) out.add(x);
  }
  return [...out].sort();
}

/** The prefixes to announce, keyed by prefix text. Blocks are aggregated within their pool. */
export function desiredAnnouncements(input: AnnouncementInput): Map<string, Announcement> {
  const pools = exportable(input.pools);
  const result = new Map<string, Announcement>();
  const blocks = input.ownBlocks
    .map((b) => cidrOf(b))
    .filter((c): c is Cidr => c !== undefined && pools.some((p) => cidrContains(p, c)));
  for (const c of aggregate(blocks, pools)) {
    result.set(formatCidr(c), {
      prefix: formatCidr(c),
      communities: communitiesFor(c, input.advertisements),
      origin: 'block',
    });
  }
  for (const addr of input.borrowed) {
    const c = cidrOf(hostPrefix(addr));
    if (!c || !pools.some((p) => cidrContains(p, c))) continue;
    if (blocks.some((b) => cidrContains(b, c))) continue; // inside our own block after all
    const prefix = formatCidr(c);
    result.set(prefix, { prefix, communities: communitiesFor(c, input.advertisements), origin: 'borrowed' });
  }
  for (const x of input.extraPaths) {
    const c = cidrOf(x.prefix);
    if (!c) continue;
    const prefix = formatCidr(c);
    const communities = [...new Set([...(x.communities ?? []), ...communitiesFor(c, input.advertisements)])].sort();
    result.set(prefix, { prefix, communities, med: x.med, origin: 'api' });
  }
  return result;
}

/** The dataplane's own shape: what is installed is what the dataplane is told. */
export type { LearnedRoute };

// Best paths to put in the kernel: everything learned except what we announce ourselves (our blocks
// have a blackhole and our endpoints their /32s; a peer's copy must not replace them) and next hops
// that are our own addresses.

/**
 * The next hops to install for one learned route (sorted), or undefined when it must not be in the
 * kernel: we announce the prefix ourselves, or every next hop is one of our own addresses. The
 * common case — one next hop, not ours — returns `nextHops` itself, allocating nothing: this runs
 * for every route of a full table.
 */
export function installableNextHops(
  prefix: string,
  nextHops: readonly string[],
  announced: Set<string>,
  selfAddresses: Set<string>,
): readonly string[] | undefined {
  if (announced.has(prefix)) return undefined;
  if (nextHops.length === 1) return selfAddresses.has(nextHops[0]!) ? undefined : nextHops;
  const kept = nextHops.filter((nh) => !selfAddresses.has(nh));
  return kept.length ? kept.sort() : undefined;
}
