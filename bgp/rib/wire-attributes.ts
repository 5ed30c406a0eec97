// A received UPDATE's attributes (the wire codec's model) in the RIB's shape: the next hop of the
// field that announces (MP_REACH_NLRI's for IPv6 and RFC 8950), and attributes the RIB does not
// interpret kept as opaque values to pass on.
import { ATTR, FLAG_OPTIONAL, FLAG_TRANSITIVE } from '../wire/constants.js';
import type { Attributes } from '../wire/types.js';
import type { Origin, PathAttributes } from './attributes.js';

export function pathAttributesOf(a: Attributes): PathAttributes {
  const out: PathAttributes = { origin: (a.origin ?? 0) as Origin, asPath: a.asPath ?? [] };
  const mp = a.mpReach;
  const mpNh = mp && (mp.nlri.wire ? mp.nlri.wire.count : mp.nlri.prefixes.length) > 0 ? mp : undefined;
  if (mpNh) {
    // A speaker with only a link-local address on the link (BIRD on an unnumbered session) sends ::
    // as the global next hop (RFC 2545 §3, RFC 8950 §3): the link-local one is then the next hop.
    out.nextHop = mpNh.nextHop === '::' && mpNh.linkLocal ? mpNh.linkLocal : mpNh.nextHop;
    if (mpNh.linkLocal) out.nextHopLinkLocal = mpNh.linkLocal;
  } else if (a.nextHop) out.nextHop = a.nextHop;
  if (a.med !== undefined) out.med = a.med;
  if (a.localPref !== undefined) out.localPref = a.localPref;
  if (a.atomicAggregate) out.atomicAggregate = true;
  if (a.aggregator) out.aggregator = a.aggregator;
  if (a.communities) out.communities = a.communities;
  if (a.largeCommunities) out.largeCommunities = a.largeCommunities;
  if (a.originatorId) out.originatorId = a.originatorId;
  if (a.clusterList) out.clusterList = a.clusterList;
  // Most UPDATEs carry neither: no arrays are made for them.
  if (!a.unknown && !a.extendedCommunities) return out;
  const opaque = (a.unknown ?? []).map((u) => ({ ...u }));
  // The RIB has no field for extended communities: they ride as an opaque transitive attribute.
  if (a.extendedCommunities)
    opaque.push({
      flags: FLAG_OPTIONAL | FLAG_TRANSITIVE,
      type: ATTR.EXTENDED_COMMUNITIES,
      value: a.extendedCommunities.join(''),
    });
  if (opaque.length) out.opaque = opaque;
  return out;
}
