// What the RIB hands the session to send, and its encoding into UPDATEs by bgp/wire: the RIB's
// interned attribute sets become the wire codec's Attributes (less what must not leave the AS), and
// its numeric prefixes go straight into the packer.
import type { AddressFamily } from '../config.js';
import type { AttrSet } from '../rib/attributes.js';
import { MAX_EXTENDED_MESSAGE, MAX_MESSAGE } from '../wire/constants.js';
import type { Attributes, WireContext } from '../wire/types.js';
import { packPrefixes } from '../wire/update-encode.js';

/**
 * The prefixes of one batch as the RIB hands them over: a count, each prefix as text (for logs and
 * views), and a writer of its NLRI bytes — `write(i, out, off)` puts prefix i at `off` and returns the
 * offset after it; it may write up to 32 bytes past that (bgp/wire's PrefixWriter).
 */
export interface PrefixSet {
  readonly count: number;
  text(i: number): string;
  write(i: number, out: Uint8Array, off: number): number;
}

export interface UpdateBatch {
  family: AddressFamily;
  withdraw: PrefixSet;
  announce: { attrs: AttrSet; prefixes: PrefixSet }[];
}

function wireAttributes(a: AttrSet, ebgp: boolean): Attributes {
  const out: Attributes = { origin: a.origin, asPath: a.asPath.map((s) => ({ type: s.type, asns: [...s.asns] })) };
  if (a.med !== undefined) out.med = a.med;
  // RFC 4271 §5.1.5, RFC 4456 §8: LOCAL_PREF and reflection attributes stay inside the AS.
  if (a.localPref !== undefined && !ebgp) out.localPref = a.localPref;
  if (a.atomicAggregate) out.atomicAggregate = true;
  if (a.aggregator) out.aggregator = { ...a.aggregator };
  if (a.communities?.length) out.communities = [...a.communities];
  if (a.originatorId && !ebgp) out.originatorId = a.originatorId;
  if (a.clusterList?.length && !ebgp) out.clusterList = [...a.clusterList];
  if (a.largeCommunities?.length) out.largeCommunities = [...a.largeCommunities];
  if (a.opaque?.length) out.unknown = a.opaque.map((o) => ({ ...o }));
  return out;
}

/** As few UPDATEs as fit the batch (4096-byte messages, 65535 with RFC 8654 extended messages). */
export function encodeUpdates(batch: UpdateBatch, ctx: WireContext): Buffer[] {
  // RFC 8654 §4: UPDATEs up to 65535 bytes only once both sides have the capability. (With ADD-PATH
  // the batch's prefix writers put each path ID in front of its prefix themselves.)
  return packPrefixes(
    batch.family,
    batch.withdraw,
    batch.announce.map((g) => ({
      attributes: wireAttributes(g.attrs, ctx.ebgp),
      nextHop: g.attrs.nextHop,
      linkLocal: g.attrs.nextHopLinkLocal,
      prefixes: g.prefixes,
    })),
    {
      fourOctetAs: ctx.fourOctetAs,
      ebgp: ctx.ebgp,
      maxMessage: ctx.extendedMessage ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE,
    },
  );
}
