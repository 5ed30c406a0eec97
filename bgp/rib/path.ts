// One path to a prefix: who it came from and its (interned) attributes. Paths are small on purpose —
// a full table holds one per prefix per peer.
import type { AttrSet } from './attributes.js';

export type SourceKind = 'local' | 'ebgp' | 'ibgp';

/** Where paths come from: one per established session, plus one for locally originated routes. */
export interface PathSource {
  /** Unique per session incarnation (a re-established session gets a new one). */
  readonly id: number;
  readonly kind: SourceKind;
  /** Peer address, or "local". */
  readonly address: string;
  /** The peer's BGP Identifier (our own for local routes). */
  readonly routerId: string;
  readonly asn: number;
  readonly rrClient: boolean;
}

export interface Path {
  readonly source: PathSource;
  attrs: AttrSet;
  /** RFC 4724: kept from a restarting peer, to be purged unless re-sent before End-of-RIB. */
  stale?: boolean;
  /** RFC 7911: the path identifier the peer gave it (ADD-PATH sessions only). */
  pathId?: number;
}
