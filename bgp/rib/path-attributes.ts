// The shape of a path's attributes as the RIBs hold them (RFC 4271 §5.1 and the RFCs each field
// names): types and constants only, so attributes.ts (the interning store) and attr-hash.ts (its
// hash and equality) share them without importing each other.

/** RFC 4271 §5.1.1 ORIGIN values. */
export const ORIGIN_IGP = 0;
export const ORIGIN_EGP = 1;
export const ORIGIN_INCOMPLETE = 2;
export type Origin = 0 | 1 | 2;

/** RFC 4271 §4.3 AS_PATH segment types (and RFC 5065 confederation types, carried but not acted on). */
export const AS_SET = 1;
export const AS_SEQUENCE = 2;

export interface AsPathSegment {
  type: number;
  asns: readonly number[];
}

/** An attribute this speaker does not interpret, passed on if transitive (RFC 4271 §5). */
export interface OpaqueAttribute {
  flags: number;
  type: number;
  /** Hex of the value, so the set stays comparable and frozen. */
  value: string;
}

export interface PathAttributes {
  origin: Origin;
  asPath: readonly AsPathSegment[];
  /** IPv4 or IPv6 next hop as text; for IPv6 a link-local may follow in nextHopLinkLocal. */
  nextHop?: string;
  nextHopLinkLocal?: string;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: { asn: number; address: string };
  /** RFC 1997 communities as 32-bit numbers (high 16 bits the AS), sorted. */
  communities?: readonly number[];
  /** RFC 8092 large communities as "a:b:c", sorted. */
  largeCommunities?: readonly string[];
  /** RFC 4456 */
  originatorId?: string;
  clusterList?: readonly string[];
  opaque?: readonly OpaqueAttribute[];
}

/**
 * An interned attribute set: one shared object per distinct set, so "same attributes" is ===. Its
 * parts are frozen; `__id` is the store's number for it (0 once the store let it go).
 */
export type AttrSet = Readonly<PathAttributes> & {
  readonly __interned: true;
  readonly asPathLength: number;
  __id: number;
};
