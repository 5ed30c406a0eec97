// The iBGP/eBGP and route-reflection rules: which received paths are loops, which paths go to which
// peer, and what their attributes become on the way out (RFC 4271 §5, §9.1.3, §9.2; RFC 4456 §8).
import type { Family } from '../prefix.js';
import { AS_SEQUENCE, type PathAttributes } from './attributes.js';
import { DEFAULT_LOCAL_PREF } from './decision.js';
import type { Path, PathSource, SourceKind } from './path.js';

/** How the next hop is set on export: ours ('self'), or passed on as received ('keep'/'unchanged' are the same). */
export type NextHopMode = 'self' | 'keep' | 'unchanged';

export interface LocalIdentity {
  asn: number;
  routerId: string;
  /** RFC 4456 §7: defaults to the router ID. */
  clusterId: string;
}

/** The peer a path is exported to, as the rules need it. */
export interface ExportTarget {
  kind: Exclude<SourceKind, 'local'>;
  address: string;
  routerId: string;
  rrClient: boolean;
  nextHop?: NextHopMode;
  /** Our addresses on this session for next hop self. */
  selfIpv4?: string;
  selfIpv6?: string;
}

/** Why a received path must be dropped, or undefined when it may enter the RIB. */
export function loopReason(attrs: PathAttributes, from: PathSource, local: LocalIdentity): string | undefined {
  // RFC 4271 §9.1.2: a path carrying our own AS is a loop (eBGP; iBGP paths never carry it first).
  if (from.kind === 'ebgp' && attrs.asPath.some((s) => s.asns.includes(local.asn))) return 'AS path loop';
  // RFC 4456 §8: our router ID as ORIGINATOR_ID, or our cluster ID in CLUSTER_LIST.
  if (attrs.originatorId === local.routerId) return 'ORIGINATOR_ID is ours';
  if (attrs.clusterList?.includes(local.clusterId)) return 'CLUSTER_LIST loop';
  return undefined;
}

/** Attributes a path gets on entry: an eBGP peer's LOCAL_PREF means nothing here (RFC 4271 §5.1.5). */
export function normalizeImport(attrs: PathAttributes, from: PathSource): PathAttributes {
  if (from.kind !== 'ebgp') return attrs;
  if (attrs.localPref === undefined && attrs.originatorId === undefined && attrs.clusterList === undefined)
    return attrs;
  const { localPref: _lp, originatorId: _o, clusterList: _c, ...rest } = attrs;
  return rest;
}

/**
 * May a path from `from` be advertised to `to`? Split horizon (never back to its sender), iBGP full-mesh rule
 * (§9.2: iBGP paths are not passed to iBGP peers) and its RFC 4456 §6 relaxation for reflectors.
 */
export function mayExport(from: PathSource, to: ExportTarget): boolean {
  if (from.address === to.address) return false;
  if (to.kind === 'ebgp' || from.kind !== 'ibgp') return true;
  // iBGP → iBGP only by reflection: client routes go to everyone, non-client routes to clients.
  if (from.rrClient) return true;
  return to.rrClient;
}

/** The attributes `path` carries to `to`, before the peer's export policy. */
export function exportAttributes(
  path: Pick<Path, 'source' | 'attrs'>,
  to: ExportTarget,
  local: LocalIdentity,
  family: Family,
): PathAttributes {
  const a = path.attrs;
  const from = path.source;
  const out: PathAttributes = {
    origin: a.origin,
    asPath: a.asPath,
    nextHop: a.nextHop,
    nextHopLinkLocal: a.nextHopLinkLocal,
    med: a.med,
    atomicAggregate: a.atomicAggregate,
    aggregator: a.aggregator,
    communities: a.communities,
    largeCommunities: a.largeCommunities,
    // Unknown attributes travel on only when transitive (RFC 4271 §5, flag bit 0x40).
    opaque: a.opaque?.filter((o) => (o.flags & 0x40) !== 0).map((o) => ({ ...o, flags: o.flags | 0x20 })),
  };
  const self = family === 'ipv4' ? to.selfIpv4 : to.selfIpv6;
  if (to.kind === 'ebgp') {
    // §5.1.2: prepend our AS to the leading AS_SEQUENCE (or start one).
    const first = a.asPath[0];
    out.asPath =
      first?.type === AS_SEQUENCE && first.asns.length < 255
        ? [{ type: AS_SEQUENCE, asns: [local.asn, ...first.asns] }, ...a.asPath.slice(1)]
        : [{ type: AS_SEQUENCE, asns: [local.asn] }, ...a.asPath];
    // §5.1.4: a MED learned from one AS is not passed to another; our own MED is.
    if (from.kind !== 'local') out.med = undefined;
    const keep = to.nextHop === 'keep' || to.nextHop === 'unchanged';
    if (!keep || !a.nextHop) {
      out.nextHop = self;
      out.nextHopLinkLocal = undefined;
    }
  } else {
    out.localPref = a.localPref ?? DEFAULT_LOCAL_PREF;
    if (to.nextHop === 'self' || !a.nextHop) {
      out.nextHop = self;
      out.nextHopLinkLocal = undefined;
    }
    if (from.kind === 'ibgp') {
      // RFC 4456 §8: the reflector names the originator once and adds its cluster to the list.
      out.originatorId = a.originatorId ?? from.routerId;
      out.clusterList = [local.clusterId, ...(a.clusterList ?? [])];
    }
  }
  return out;
}
