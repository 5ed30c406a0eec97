// BGPPeer: a session to a router outside the mesh (ToR, route reflector) or to tsroute nodes chosen
// by label. Scope: every node (no node / nodeSelector), one node, or the nodes a selector picks.
import { type BfdSettings, bfdSchema, timerProblem } from './bgp-configuration.js';
import { asNumberField, interfaceNameProblem, peerAddressProblem } from './bgp-values.js';
import { canonicalAddress } from './cidr.js';
import type { Schema } from './fields.js';
import { type Resource, ValidationError } from './resource.js';
import { selectorProblem } from './selector.js';

export interface BGPPeerSpec {
  /** The router's address; an IPv6 link-local one with its interface (`fe80::1%eth1`). */
  peerIP?: string;
  /**
   * Unnumbered peering (instead of peerIP): the session runs between the IPv6 link-local addresses of
   * this interface, the peer's found in the kernel's neighbour table (its router advertisements or
   * any packet put it there); IPv4 routes travel with IPv6 next hops (RFC 8950).
   */
  interface?: string;
  asNumber?: number;
  port?: number;
  node?: string;
  nodeSelector?: string;
  peerSelector?: string;
  /** "UseNodeIP" (default), "None", or an explicit local address. */
  sourceAddress?: string;
  /**
   * The next hop we send to this peer: "auto" (eBGP: ours, iBGP: as received), "self" (always ours),
   * "keep" (as received, also towards eBGP: a ToR sends straight to the node that owns a block).
   */
  nextHopMode?: 'auto' | 'self' | 'keep';
  /** Calico's older spelling of nextHopMode: keep; true with nextHopMode self is refused. */
  keepOriginalNextHop?: boolean;
  /** Where the agent reads the TCP MD5 password (RFC 2385): never the password itself. */
  password?: { fromFile?: string; fromEnv?: string };
  /** Seconds to keep the peer's routes while it restarts (RFC 4724). */
  maxRestartTime?: number;
  /** BGPFilter names, applied in order. */
  filters?: string[];
  /** Reset the session when the peer sends more prefixes than this (RFC 4486 subcode 1). */
  maxPrefix?: number;
  /**
   * RFC 7911 ADD-PATH with this peer: "receive" keeps every path it sends for a prefix, "send" sends
   * it every path we have, "both". Unset: off.
   */
  addPaths?: 'receive' | 'send' | 'both';
  /** RFC 8654: UPDATEs up to 65535 bytes when the peer offers it too. Default false. */
  extendedMessages?: boolean;
  /** RFC 5082 GTSM: the peer is at most this many hops away; we send TTL 255 and drop below 256 − N. */
  ttlSecurity?: number;
  /** TTL of our packets: how many hops away the peer may be (eBGP default 1). */
  ebgpMultihop?: number;
  /** Seconds after a maxPrefix trip before the session starts again by itself (default: stays down). */
  maxPrefixRestartAfter?: number;
  /** Log a warning (and count it in a metric) once the peer sends this % of maxPrefix. */
  maxPrefixWarningPercent?: number;
  /** Session timers in seconds, over the BGPConfiguration's; hold/keepalive apply at the next OPEN. */
  holdTime?: number;
  keepaliveTime?: number;
  connectRetryTime?: number;
  /** BFD on this peer's sessions; unset intervals come from the BGPConfiguration's bfd, then MetalLB's 300/300/3. */
  bfd?: BfdSettings;
}
export type BGPPeer = Resource<'BGPPeer', BGPPeerSpec>;

export const bgpPeerSchema: Schema = {
  peerIP: { type: 'string', check: peerAddressProblem },
  interface: { type: 'string', check: interfaceNameProblem },
  asNumber: asNumberField,
  port: { type: 'int', min: 1, max: 65535 },
  node: { type: 'string' },
  nodeSelector: { type: 'string', check: selectorProblem },
  peerSelector: { type: 'string', check: selectorProblem },
  sourceAddress: {
    type: 'string',
    check: (v) =>
      v === 'UseNodeIP' || v === 'None' || canonicalAddress(v)
        ? undefined
        : `must be UseNodeIP, None or an IP address (got "${v}")`,
  },
  nextHopMode: { type: 'string', enum: ['auto', 'self', 'keep'] },
  keepOriginalNextHop: { type: 'bool' },
  password: { type: 'object', fields: { fromFile: { type: 'string' }, fromEnv: { type: 'string' } } },
  maxRestartTime: { type: 'int', min: 0, max: 4095 },
  filters: { type: 'stringList' },
  maxPrefix: { type: 'int', min: 1 },
  addPaths: { type: 'string', enum: ['receive', 'send', 'both'] },
  extendedMessages: { type: 'bool' },
  ttlSecurity: { type: 'int', min: 1, max: 254 },
  ebgpMultihop: { type: 'int', min: 1, max: 255 },
  maxPrefixRestartAfter: { type: 'int', min: 1, max: 86400 },
  maxPrefixWarningPercent: { type: 'int', min: 1, max: 100 },
  holdTime: { type: 'int', min: 0, max: 65535 },
  keepaliveTime: { type: 'int', min: 1, max: 21845 },
  connectRetryTime: { type: 'int', min: 1, max: 65535 },
  bfd: { type: 'object', fields: bfdSchema },
};

export function bgpPeerDefaults(p: BGPPeer): void {
  p.spec.nextHopMode ??= 'auto';
  if (p.spec.peerIP) p.spec.peerIP = canonicalPeerAddress(p.spec.peerIP);
}

/** The address in its canonical text, a link-local one's interface kept after "%". */
export function canonicalPeerAddress(peerIP: string): string {
  const zone = peerIP.indexOf('%');
  if (zone < 0) return canonicalAddress(peerIP) ?? peerIP;
  return `${canonicalAddress(peerIP.slice(0, zone)) ?? peerIP.slice(0, zone)}${peerIP.slice(zone)}`;
}

/** The next-hop mode in force: keepOriginalNextHop: true turns "auto" into "keep". */
export function effectiveNextHopMode(
  spec: Pick<BGPPeerSpec, 'nextHopMode' | 'keepOriginalNextHop'>,
): 'auto' | 'self' | 'keep' {
  const mode = spec.nextHopMode ?? 'auto';
  return mode === 'auto' && spec.keepOriginalNextHop ? 'keep' : mode;
}

export function validateBGPPeer(p: BGPPeer): void {
  const who = `bgppeer "${p.metadata.name}"`;
  const s = p.spec;
  const targets = [s.peerIP && 'spec.peerIP', s.peerSelector && 'spec.peerSelector', s.interface && 'spec.interface'];
  const given = targets.filter(Boolean);
  if (given.length !== 1)
    throw new ValidationError(
      given.length === 0
        ? `${who}: set one of spec.peerIP, spec.peerSelector and spec.interface (unnumbered peering)`
        : `${who}: ${given.join(' and ')} exclude each other; set only one (a link-local peer with its interface is spec.peerIP: fe80::1%eth1)`,
    );
  if (s.peerIP && s.asNumber === undefined)
    throw new ValidationError(`${who}: spec.asNumber is required with spec.peerIP`);
  if (s.interface && s.asNumber === undefined)
    throw new ValidationError(`${who}: spec.asNumber is required with spec.interface`);
  // Not yet proven over a link-local session (the session always runs from our link-local address).
  if (s.interface || s.peerIP?.includes('%')) {
    const unproven = [
      s.password && 'spec.password',
      s.bfd?.enabled && 'spec.bfd',
      s.sourceAddress !== undefined && s.sourceAddress !== 'UseNodeIP' && 'spec.sourceAddress',
    ].filter(Boolean);
    if (unproven.length)
      throw new ValidationError(
        `${who}: ${unproven.join(', ')} ${unproven.length > 1 ? 'are' : 'is'} not supported on a link-local (unnumbered) session yet`,
      );
  }
  if (s.node && s.nodeSelector) throw new ValidationError(`${who}: set at most one of spec.node and spec.nodeSelector`);
  if (s.keepOriginalNextHop && s.nextHopMode === 'self')
    throw new ValidationError(
      `${who}: spec.keepOriginalNextHop: true asks to keep the next hop, spec.nextHopMode: self to replace it; set only one (keepOriginalNextHop: true is nextHopMode: keep)`,
    );
  if (s.maxPrefix === undefined && (s.maxPrefixRestartAfter !== undefined || s.maxPrefixWarningPercent !== undefined))
    throw new ValidationError(
      `${who}: spec.maxPrefixRestartAfter and spec.maxPrefixWarningPercent need spec.maxPrefix`,
    );
  timerProblem(who, s);
  if (s.password && !s.password.fromFile === !s.password.fromEnv) {
    throw new ValidationError(`${who}: spec.password needs exactly one of fromFile and fromEnv`);
  }
  if (s.ttlSecurity !== undefined && s.ebgpMultihop !== undefined)
    throw new ValidationError(
      `${who}: spec.ttlSecurity and spec.ebgpMultihop exclude each other (GTSM always sends TTL 255)`,
    );
  const source = s.sourceAddress === undefined ? undefined : canonicalAddress(s.sourceAddress);
  if (source && s.peerIP && source.includes(':') !== s.peerIP.includes(':'))
    throw new ValidationError(
      `${who}: spec.sourceAddress ${s.sourceAddress} is not of spec.peerIP's address family (${s.peerIP})`,
    );
}
