// The OPEN checks that need the session's configuration (RFC 4271 §6.2, RFC 5492 §5, RFC 6793 §4.1,
// RFC 6286 §2.2): the peer's AS, its BGP Identifier against ours, and capabilities we require. The
// checks that need no configuration (version, hold time, identifier 0) are made when decoding.
import { AS_TRANS } from './constants.js';
import type { Refusal } from './notification.js';
import { ERR, OPEN_SUB } from './notification.js';
import type { Capability, OpenMessage } from './types.js';

/** The AS the peer speaks for: its 4-octet AS capability if present, else the 2-octet field. */
export function peerAsOf(open: OpenMessage): number {
  const four = open.capabilities.find(
    (c): c is Extract<Capability, { kind: 'four-octet-as' }> => c.kind === 'four-octet-as',
  );
  return four ? four.asn : open.myAs;
}

export interface OpenExpectation {
  /** The AS configured for the peer. */
  peerAs?: number;
  /** Capability codes the peer must announce. */
  required?: number[];
  /** Our BGP Identifier: an internal peer may not use it (RFC 6286 §2.2). */
  localId?: string;
  ebgp?: boolean;
}

/**
 * The NOTIFICATION to send for a received OPEN, or undefined when it is acceptable: wrong peer AS
 * (Bad Peer AS, data = the 2-octet field), an internal peer with our BGP Identifier (Bad BGP
 * Identifier) or a missing required capability (Unsupported Capability, data = the capability code
 * and zero length, as RFC 5492 §5 lists it).
 */
export function checkOpen(open: OpenMessage, expect: OpenExpectation = {}): Refusal | undefined {
  const asn = peerAsOf(open);
  if (expect.peerAs !== undefined && asn !== expect.peerAs)
    return {
      error: `peer AS ${asn}, expected ${expect.peerAs}`,
      notification: {
        code: ERR.OPEN,
        subcode: OPEN_SUB.BAD_PEER_AS,
        data: Uint8Array.of(open.myAs >> 8, open.myAs & 0xff),
      },
    };
  // RFC 6793 §4.1: AS_TRANS in My AS without the capability cannot be a real AS.
  if (open.myAs === AS_TRANS && asn === AS_TRANS)
    return {
      error: 'AS_TRANS without a 4-octet AS capability',
      notification: { code: ERR.OPEN, subcode: OPEN_SUB.BAD_PEER_AS, data: Uint8Array.of(0x5b, 0xa0) },
    };
  if (expect.localId !== undefined && !expect.ebgp && open.bgpId === expect.localId)
    return {
      error: `BGP identifier ${open.bgpId} is ours`,
      notification: { code: ERR.OPEN, subcode: OPEN_SUB.BAD_BGP_ID },
    };
  const codes = new Set(open.capabilities.map(capabilityCode));
  const missing = (expect.required ?? []).filter((c) => !codes.has(c));
  if (missing.length)
    return {
      error: `missing capabilities ${missing.join(', ')}`,
      notification: {
        code: ERR.OPEN,
        subcode: OPEN_SUB.UNSUPPORTED_CAPABILITY,
        data: Uint8Array.from(missing.flatMap((c) => [c, 0])),
      },
    };
  return undefined;
}

const CODES: Record<string, number> = {
  multiprotocol: 1,
  'route-refresh': 2,
  'extended-next-hop': 5,
  'extended-message': 6,
  'graceful-restart': 64,
  'four-octet-as': 65,
  'add-path': 69,
  'enhanced-route-refresh': 70,
  fqdn: 73,
};

export const capabilityCode = (c: Capability): number => (c.kind === 'unknown' ? c.code : CODES[c.kind]!);
