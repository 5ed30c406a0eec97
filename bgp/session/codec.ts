// What the RIB hands the session to send, and its encoding into UPDATEs by bgp/wire: the RIB's
// interned attribute sets are read by the wire encoders as they are (less what must not leave the
// AS), and its numeric prefixes go straight into the packer.
import type { AddressFamily } from '../config.js';
import type { PathAttributes } from '../rib/attributes.js';
import { MAX_EXTENDED_MESSAGE, MAX_MESSAGE } from '../wire/constants.js';
import type { AttributesToEncode, WireContext } from '../wire/types.js';
import { type PackedUpdates, packBatch, splitMessages } from '../wire/update-encode.js';

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
  /** Interned sets, or an export's own attributes (made for one batch). */
  announce: { attrs: Readonly<PathAttributes>; prefixes: PrefixSet }[];
}

/**
 * The wire encoders' view of an interned set, without a copy (its parts are frozen and read only):
 * LOCAL_PREF and the reflection attributes stay inside the AS (RFC 4271 §5.1.5, RFC 4456 §8).
 */
function wireView(a: Readonly<PathAttributes>, ebgp: boolean): AttributesToEncode {
  return {
    origin: a.origin,
    asPath: a.asPath,
    med: a.med,
    localPref: ebgp ? undefined : a.localPref,
    atomicAggregate: a.atomicAggregate,
    aggregator: a.aggregator,
    communities: a.communities,
    originatorId: ebgp ? undefined : a.originatorId,
    clusterList: ebgp ? undefined : a.clusterList,
    largeCommunities: a.largeCommunities,
    unknown: a.opaque,
  };
}

/** A batch as few UPDATEs as fit (4096-byte messages, 65535 with RFC 8654 extended messages), in one buffer. */
export function encodeBatch(batch: UpdateBatch, ctx: WireContext): PackedUpdates {
  // RFC 8654 §4: UPDATEs up to 65535 bytes only once both sides have the capability. (With ADD-PATH
  // the batch's prefix writers put each path ID in front of its prefix themselves.)
  return packBatch(
    batch.family,
    batch.withdraw,
    batch.announce.map((g) => ({
      attributes: wireView(g.attrs, ctx.ebgp),
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

/** `encodeBatch` as one Buffer per message. */
export function encodeUpdates(batch: UpdateBatch, ctx: WireContext): Buffer[] {
  return splitMessages(encodeBatch(batch, ctx).bytes);
}
