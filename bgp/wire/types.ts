// The wire codec's own message shapes: what is on the wire, typed, nothing interpreted beyond it.
// Addresses and prefixes are text; set-valued attributes keep wire order.

import type { Family } from '../prefix.js';

export type { Family };

export interface AfiSafi {
  afi: number;
  safi: number;
}

export type Capability =
  | { kind: 'multiprotocol'; afi: number; safi: number }
  | { kind: 'route-refresh' }
  | { kind: 'enhanced-route-refresh' }
  | { kind: 'extended-message' }
  /** RFC 8950 §3: NLRI of (afi, safi) may carry a next hop of nextHopAfi. */
  | { kind: 'extended-next-hop'; entries: { afi: number; safi: number; nextHopAfi: number }[] }
  | { kind: 'four-octet-as'; asn: number }
  | {
      kind: 'graceful-restart';
      restarting: boolean;
      /** RFC 8538 N bit. */
      notification: boolean;
      restartTime: number;
      families: { afi: number; safi: number; forwarding: boolean }[];
    }
  /** RFC 7911 §4: mode 1 receive, 2 send, 3 both. */
  | { kind: 'add-path'; families: { afi: number; safi: number; mode: number }[] }
  | { kind: 'fqdn'; hostname: string; domain: string }
  | { kind: 'unknown'; code: number; value: string };

export interface OpenMessage {
  type: 'open';
  version: number;
  /** The 2-octet My AS field (AS_TRANS when the real AS is in the four-octet-as capability). */
  myAs: number;
  holdTime: number;
  bgpId: string;
  capabilities: Capability[];
  /** Optional parameters other than capabilities (RFC 5492), kept raw. */
  otherParams?: { type: number; value: string }[];
}

export interface AsSegment {
  type: number;
  asns: number[];
}

export interface UnknownAttribute {
  flags: number;
  type: number;
  /** Hex. */
  value: string;
}

/** Path attributes as on the wire (AS4_PATH/AS4_AGGREGATOR already merged into asPath/aggregator). */
export interface Attributes {
  origin?: number;
  asPath?: AsSegment[];
  nextHop?: string;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: { asn: number; address: string };
  communities?: number[];
  originatorId?: string;
  clusterList?: string[];
  /** RFC 4360: each 8-byte community as 16 hex digits. */
  extendedCommunities?: string[];
  /** RFC 8092 "global:local1:local2". */
  largeCommunities?: string[];
  mpReach?: { afi: number; safi: number; nextHop: string; linkLocal?: string; nlri: Nlri };
  mpUnreach?: { afi: number; safi: number; withdrawn: Nlri };
  unknown?: UnknownAttribute[];
}

/**
 * What the attribute encoders read: Attributes, read-only and without the MP fields, so the RIB's
 * interned (frozen) sets are encoded as they are, without a copy.
 */
export interface AttributesToEncode {
  readonly origin?: number;
  readonly asPath?: readonly { readonly type: number; readonly asns: readonly number[] }[];
  readonly nextHop?: string;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: { readonly asn: number; readonly address: string };
  readonly communities?: readonly number[];
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
  readonly extendedCommunities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  readonly unknown?: readonly UnknownAttribute[];
}

/** Prefixes of one field; pathIds (RFC 7911) is present, same length, when ADD-PATH applies. */
export interface Nlri {
  prefixes: string[];
  pathIds?: number[];
  /**
   * With `WireContext.wireNlri`: the field's bytes, checked but not turned into text (`prefixes`
   * stays empty); read them with `readPrefixAt`.
   */
  wire?: WireNlri;
}

/**
 * A checked NLRI field left in wire form: `count` prefixes in bytes[start, end). A million received
 * prefixes go into the RIB this way without a million strings.
 */
export interface WireNlri {
  readonly family: Family;
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly end: number;
  readonly count: number;
  /** RFC 7911: each prefix carries a path identifier (`forEach` sets `into.pathId`). */
  readonly addPath: boolean;
  /** Writes each prefix in turn into `into` (host bits cleared) and calls `each`. */
  forEach(into: PrefixTarget, each: () => void): void;
}

/** Where `readPrefixAt` puts a prefix: address words (1 for IPv4, 4 for IPv6) and the length. */
export interface PrefixTarget {
  words: Int32Array;
  len: number;
  /** RFC 7911 path identifier (set only when the field carries them). */
  pathId: number;
}

export interface UpdateMessage {
  type: 'update';
  withdrawn: Nlri;
  attributes: Attributes;
  nlri: Nlri;
  /**
   * With `WireContext.wireNlri`: the path attribute field as received (a view into the message), for
   * a RIB that keys attribute sets by their bytes. MP_REACH/MP_UNREACH_NLRI, which carry prefixes and
   * next hops, are inside it too.
   */
  rawAttributes?: Uint8Array;
}

export interface NotificationMessage {
  type: 'notification';
  code: number;
  subcode: number;
  /** Hex of the data field. */
  data: string;
  /** RFC 8203/9003: Cease 2 or 4 with a shutdown communication. */
  shutdownCommunication?: string;
}

export interface KeepaliveMessage {
  type: 'keepalive';
}

export interface RouteRefreshMessage {
  type: 'route-refresh';
  afi: number;
  /** RFC 7313: 0 request, 1 BoRR, 2 EoRR. */
  subtype: number;
  safi: number;
}

export type Message = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

export type { Notify, Refusal } from './notification.js';

import type { Notify } from './notification.js';

/** RFC 7606 §2 actions, weakest first. */
export type ErrorAction = 'none' | 'attribute-discard' | 'treat-as-withdraw' | 'session-reset';

/**
 * What decoding one message gave: the message (absent only on session-reset), the strongest action
 * the errors call for, and each error found (for logs: RFC 7606 §8 asks that they be logged).
 */
export interface Decoded {
  message?: Message;
  action: ErrorAction;
  notification?: Notify;
  errors: string[];
}

/** What decoding needs to know about the session. */
export interface WireContext {
  /** RFC 6793: both sides announced 4-octet AS. */
  fourOctetAs: boolean;
  /** RFC 7606 §7.5, §7.9, §7.10 discard some attributes from eBGP peers. */
  ebgp: boolean;
  /** RFC 7911: families for which NLRI carry path IDs (received or sent, depending on direction). */
  addPath?: Partial<Record<Family, boolean>>;
  /** RFC 8654 negotiated. */
  extendedMessage?: boolean;
  /** Leave NLRI in wire form (`Nlri.wire`) instead of text: the speaker reads them into its RIB directly. */
  wireNlri?: boolean;
}
