// Import and export policy as data: an ordered list of rules, each a match and what to do, in the
// spirit of Calico's BGPFilter and BIRD filters. The first rule with an accept/reject verdict ends
// the walk; rules without a verdict only modify attributes and the walk goes on.
import type { Family } from '../prefix.js';
import type { PathAttributes } from '../rib/attributes.js';
import type { SourceKind } from '../rib/path.js';

export interface PrefixMatch {
  /** "10.0.0.0/8" */
  prefix: string;
  /** Minimum length of a matching prefix (default: the prefix's own). */
  ge?: number;
  /** Maximum length of a matching prefix (default: `ge` if given, else the prefix's own — an exact match). */
  le?: number;
}

export interface AsPathMatch {
  /** The AS appears anywhere in the path. */
  contains?: number;
  /** The last AS of the path (the originator). */
  origin?: number;
  /** The first AS of the path (the neighbour). */
  neighbor?: number;
  /** A regular expression over the path as text, e.g. "^65001 " (segments joined by spaces). */
  regex?: string;
  /** Path length at most this. */
  maxLength?: number;
}

export interface PolicyMatch {
  /** Matches when the route's prefix is in any of these ranges. */
  prefixes?: (string | PrefixMatch)[];
  prefixLength?: { min?: number; max?: number };
  family?: Family;
  /** Matches when the route carries any of these ("65001:100"). */
  communities?: string[];
  /** Matches when the route carries any of these ("65001:1:2"). */
  largeCommunities?: string[];
  asPath?: AsPathMatch;
  /** What kind of peer the route came from (import) or goes to (export); "local" = originated here. */
  peerType?: SourceKind | SourceKind[];
  /** The route came from (import) or goes to (export) a route-reflector client. */
  rrClient?: boolean;
  /**
   * Where the route itself came from, in either direction: "local" = originated here, "ebgp"/"ibgp"
   * = learned from such a peer. On export this tells our own routes from re-advertised ones.
   */
  learnedFrom?: SourceKind | SourceKind[];
}

export interface PolicyActions {
  addCommunities?: string[];
  removeCommunities?: string[];
  addLargeCommunities?: string[];
  removeLargeCommunities?: string[];
  /**
   * Prepend this AS (default ours) `count` times (default 1), or the ASes of `asns` in order. On
   * export to an eBGP peer they go behind our own AS, which must stay first (RFC 4271 §5.1.2; the
   * neighbour checks that the first AS is ours).
   */
  prepend?: { asn?: number; count?: number; asns?: number[] };
  localPref?: number;
  med?: number;
  /** An address, or "self" for our address on the session. */
  nextHop?: string;
}

export interface PolicyRule {
  /** For people and logs. */
  name?: string;
  match?: PolicyMatch;
  set?: PolicyActions;
  /** The verdict when the rule matches; none = apply `set` and go on. */
  action?: 'accept' | 'reject';
}

export interface Policy {
  rules: PolicyRule[];
  /** The verdict when no rule decided; default accept. */
  default?: 'accept' | 'reject';
}

export interface PolicyContext {
  prefix: string;
  /** Kind of the other side: where the route came from (import) or goes to (export). */
  peerType: SourceKind;
  rrClient: boolean;
  /** Where the route came from (default: `peerType`, which is the same thing on import). */
  sourceKind?: SourceKind;
  /** Export runs after our AS was prepended for an eBGP peer (default import). */
  direction?: 'import' | 'export';
  /** Our AS, for prepend. */
  localAs: number;
  /** Our address on the session, for next hop "self". */
  selfAddress?: string;
}

export type PolicyResult = { accept: false } | { accept: true; attrs: PathAttributes };
