// The messages as the session and RIB layers see them: already decoded, addresses as text, prefixes
// behind a reader, attributes in the RIB's shape. `codec.ts` translates between these and the wire
// codec, so the rest of the speaker does not depend on the codec's own types.
import type { AddPathMode, AddressFamily } from '../config.js';
import type { PathAttributes } from '../rib/attributes.js';

/** RFC 4760 AFI/SAFI of the families this speaker handles. */
export const AFI_IPV4 = 1;
export const AFI_IPV6 = 2;
export const SAFI_UNICAST = 1;
/** RFC 6793 §9: the 2-octet stand-in for a 4-octet AS. */
export const AS_TRANS = 23456;

export const familyAfi = (f: AddressFamily) => (f === 'ipv4' ? AFI_IPV4 : AFI_IPV6);

export interface GracefulRestartCap {
  /** R bit (RFC 4724 §3): the sender has restarted. */
  restarting: boolean;
  restartTime: number;
  /** Families with their F bit (forwarding state preserved). */
  families: { family: AddressFamily; forwarding: boolean }[];
}

export interface OpenCapabilities {
  families: AddressFamily[];
  routeRefresh: boolean;
  enhancedRouteRefresh: boolean;
  /** RFC 6793: the sender's 4-octet AS, when it supports them. */
  fourOctetAs?: number;
  gracefulRestart?: GracefulRestartCap;
  /** RFC 8654 extended message capability. */
  extendedMessage?: boolean;
  /** RFC 7911 ADD-PATH capability: per family, whether the sender can send, receive or both. */
  addPath?: { family: AddressFamily; mode: AddPathMode }[];
  /** Send no capabilities at all (the fall-back for a peer that refuses them, RFC 5492 §5). */
  bare?: boolean;
}

export interface OpenMessage {
  version: number;
  /** The real AS (from the 4-octet capability if present, else the 2-octet field). */
  asn: number;
  holdTime: number;
  routerId: string;
  capabilities: OpenCapabilities;
}

/** Where received prefixes are read into: address words (1 for IPv4, 4 for IPv6) and a length. */
export interface PrefixTarget {
  words: Int32Array;
  len: number;
  /** RFC 7911 path identifier of the prefix just read (fields with ADD-PATH only). */
  pathId: number;
}

/**
 * The prefixes of one UPDATE field, checked by the codec but not turned into text: a million
 * received prefixes go into the RIB without a million strings.
 */
export interface ReceivedPrefixes {
  readonly family: AddressFamily;
  readonly count: number;
  /** RFC 7911: the field's prefixes carry path identifiers (`forEach` sets `into.pathId`). */
  readonly addPath: boolean;
  /** Writes each prefix in turn into `into` (host bits cleared) and calls `each`. */
  forEach(into: PrefixTarget, each: () => void): void;
}

export interface UpdateMessage {
  /** Withdrawn prefixes (IPv4 field and MP_UNREACH_NLRI). */
  withdrawn: ReceivedPrefixes[];
  /** Announced prefixes, all with `attrs` (IPv4 NLRI and MP_REACH_NLRI). */
  announced: ReceivedPrefixes[];
  attrs?: PathAttributes;
  /** End-of-RIB marker (RFC 4724 §2) for this family. */
  endOfRib?: AddressFamily;
  /** RFC 7606 §2: the attributes were malformed; treat every announced prefix as withdrawn. */
  treatAsWithdraw?: boolean;
  /** What was wrong, for logs (RFC 7606 asks that errors handled without a reset are logged). */
  problem?: string;
}

export interface NotificationMessage {
  code: number;
  subcode: number;
  data: Uint8Array;
  /** RFC 8203/9003 shutdown communication (Cease 2 or 4), decoded. */
  text?: string;
}

export type BgpMessage =
  | { type: 'open'; open: OpenMessage }
  | { type: 'update'; update: UpdateMessage }
  | { type: 'notification'; notification: NotificationMessage }
  | { type: 'keepalive' }
  /** RFC 2918 / RFC 7313 (subtype 0 = request, 1 = BoRR, 2 = EoRR). */
  | { type: 'route-refresh'; family: AddressFamily | undefined; subtype: number };

/** A received message could not be used: reset with this NOTIFICATION. */
export interface DecodeError {
  type: 'error';
  code: number;
  subcode: number;
  data?: Uint8Array;
  /** For logs. */
  reason: string;
}

/** A received message to drop silently (RFC 7606 "attribute discard" of a whole message is not a thing; this is for unknown types we ignore). */
export interface DecodeIgnore {
  type: 'ignore';
  reason: string;
}

export type DecodeResult = BgpMessage | DecodeError | DecodeIgnore;

/** What the codec needs to know about the session to encode and decode UPDATEs. */
export interface SessionCodecContext {
  /** Both sides announced 4-octet AS (RFC 6793): AS_PATH carries 4-octet numbers. */
  fourOctetAs: boolean;
  /** The peer is eBGP (RFC 7606 handles some attributes differently). */
  ebgp: boolean;
  /** RFC 8654 negotiated: UPDATEs may be up to 65535 bytes. */
  extendedMessage?: boolean;
  /** RFC 7911: families whose received NLRI carry path identifiers. */
  addPathReceive?: readonly AddressFamily[];
}
