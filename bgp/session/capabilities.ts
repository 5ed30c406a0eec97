// What our OPEN offers a peer (RFC 5492), what the two sides agree on, and the fall-back when the
// peer refuses some of it: Unsupported Capability (2/7) listing the refused ones leaves those out
// of the next OPEN; Unsupported Optional Parameter (2/4), or 2/7 naming none, leaves out every
// capability (plain BGP-4, IPv4 unicast) — what BIRD falls back to as well. The fall-back lasts as
// long as the peer's configuration does. Capabilities are the wire codec's (bgp/wire/types.ts).
import type { AddPathMode, AddressFamily, NegotiatedCapabilities } from '../config.js';
import { AFI_IPV4, AFI_IPV6, CAP, SAFI_UNICAST } from '../wire/constants.js';
import { familyOf } from '../wire/mp-reach.js';
import { OPEN_SUB } from '../wire/notification.js';
import type { Capability } from '../wire/types.js';

export interface OfferSettings {
  asn: number;
  families: AddressFamily[];
  /** Our graceful-restart capability, if any. */
  gracefulRestart?: { restartTime: number; restarting: boolean };
  /** RFC 8654: offer extended messages. */
  extendedMessages?: boolean;
  /** RFC 8950: offer IPv4 unicast with IPv6 next hops. */
  extendedNextHop?: boolean;
  /** RFC 7911: offer ADD-PATH in this direction for every family. */
  addPaths?: AddPathMode;
}

const afiOf = (f: AddressFamily) => (f === 'ipv4' ? AFI_IPV4 : AFI_IPV6);
/** RFC 7911 §4 Send/Receive values: 1 receive, 2 send, 3 both. */
const ADD_PATH_MODES: readonly (AddPathMode | undefined)[] = [undefined, 'receive', 'send', 'both'];

/** RFC 7911 §4: we receive path IDs when we said receive and they said send (and the mirror image). */
const canSend = (m: AddPathMode | undefined) => m === 'send' || m === 'both';
const canReceive = (m: AddPathMode | undefined) => m === 'receive' || m === 'both';

/** One side's capabilities, read for negotiation. */
interface Said {
  families: AddressFamily[];
  routeRefresh: boolean;
  enhancedRouteRefresh: boolean;
  fourOctetAs: boolean;
  extendedMessage: boolean;
  /** RFC 8950: takes IPv4 unicast routes with IPv6 next hops. */
  extendedNextHop: boolean;
  gracefulRestart?: { restarting: boolean; restartTime: number; forwarding: AddressFamily[] };
  addPath: Map<AddressFamily, AddPathMode>;
}

function read(caps: readonly Capability[]): Said {
  const said: Said = {
    families: [],
    routeRefresh: false,
    enhancedRouteRefresh: false,
    fourOctetAs: false,
    extendedMessage: false,
    extendedNextHop: false,
    addPath: new Map(),
  };
  let sawMp = false;
  for (const c of caps) {
    if (c.kind === 'multiprotocol') {
      sawMp = true;
      const f = familyOf(c.afi, c.safi);
      if (f && !said.families.includes(f)) said.families.push(f);
    } else if (c.kind === 'route-refresh') said.routeRefresh = true;
    else if (c.kind === 'enhanced-route-refresh') said.enhancedRouteRefresh = true;
    else if (c.kind === 'four-octet-as') said.fourOctetAs = true;
    else if (c.kind === 'extended-message') said.extendedMessage = true;
    else if (c.kind === 'extended-next-hop')
      said.extendedNextHop ||= c.entries.some(
        (e) => e.afi === AFI_IPV4 && e.safi === SAFI_UNICAST && e.nextHopAfi === AFI_IPV6,
      );
    else if (c.kind === 'add-path') {
      for (const f of c.families) {
        const family = familyOf(f.afi, f.safi);
        const mode = ADD_PATH_MODES[f.mode];
        if (family && mode) said.addPath.set(family, mode);
      }
    } else if (c.kind === 'graceful-restart')
      said.gracefulRestart = {
        restarting: c.restarting,
        restartTime: c.restartTime,
        forwarding: c.families.flatMap((f) => {
          const family = familyOf(f.afi, f.safi);
          return family && f.forwarding ? [family] : [];
        }),
      };
  }
  // RFC 4760 §8: no multiprotocol capability means IPv4 unicast only.
  if (!sawMp) said.families.push('ipv4');
  return said;
}

export class CapabilityOffer {
  private readonly refusedCodes = new Set<number>();
  private readonly refusedFamilies = new Set<AddressFamily>();
  /** The peer refused capabilities wholesale: OPENs carry none. */
  private bare = false;

  constructor(private readonly settings: OfferSettings) {}

  /** Our capabilities for the next OPEN, less any the peer refused. */
  offer(): Capability[] {
    // RFC 4760 §8: with no capabilities at all, the session is IPv4 unicast.
    if (this.bare) return [];
    const refused = (code: number) => this.refusedCodes.has(code);
    const caps: Capability[] = [];
    const families = refused(CAP.MULTIPROTOCOL)
      ? (['ipv4'] as AddressFamily[])
      : this.settings.families.filter((f) => !this.refusedFamilies.has(f));
    if (!refused(CAP.MULTIPROTOCOL))
      for (const f of families) caps.push({ kind: 'multiprotocol', afi: afiOf(f), safi: SAFI_UNICAST });
    if (!refused(CAP.ROUTE_REFRESH)) caps.push({ kind: 'route-refresh' });
    if (!refused(CAP.ENHANCED_ROUTE_REFRESH)) caps.push({ kind: 'enhanced-route-refresh' });
    if (this.settings.extendedMessages === true && !refused(CAP.EXTENDED_MESSAGE))
      caps.push({ kind: 'extended-message' });
    if (this.settings.extendedNextHop === true && families.includes('ipv4') && !refused(CAP.EXTENDED_NEXT_HOP))
      caps.push({ kind: 'extended-next-hop', entries: [{ afi: AFI_IPV4, safi: SAFI_UNICAST, nextHopAfi: AFI_IPV6 }] });
    if (!refused(CAP.FOUR_OCTET_AS)) caps.push({ kind: 'four-octet-as', asn: this.settings.asn });
    const addPaths = this.settings.addPaths;
    if (addPaths && !refused(CAP.ADD_PATH) && !refused(CAP.MULTIPROTOCOL))
      caps.push({
        kind: 'add-path',
        families: families.map((f) => ({
          afi: afiOf(f),
          safi: SAFI_UNICAST,
          mode: ADD_PATH_MODES.indexOf(addPaths),
        })),
      });
    const gr = this.settings.gracefulRestart;
    if (gr && !refused(CAP.GRACEFUL_RESTART))
      caps.push({
        kind: 'graceful-restart',
        restarting: gr.restarting,
        notification: false,
        restartTime: gr.restartTime,
        // F bit: our forwarding state (the kernel routes the agent programmed) survives our restart.
        families: families.map((f) => ({ afi: afiOf(f), safi: SAFI_UNICAST, forwarding: gr.restarting })),
      });
    return caps;
  }

  /** Takes an OPEN error from the peer; true when it changed what the next OPEN offers. */
  refused(subcode: number, data: Uint8Array): boolean {
    if (
      subcode === OPEN_SUB.UNSUPPORTED_PARAMETER ||
      (subcode === OPEN_SUB.UNSUPPORTED_CAPABILITY && data.length < 2)
    ) {
      this.bare = true;
      return true;
    }
    if (subcode !== OPEN_SUB.UNSUPPORTED_CAPABILITY) return false;
    // The data field holds the refused capabilities as they were sent: code, length, value.
    for (let off = 0; off + 2 <= data.length; off += 2 + data[off + 1]!) {
      const code = data[off]!;
      if (code === CAP.MULTIPROTOCOL && off + 6 <= data.length) {
        const afi = (data[off + 2]! << 8) | data[off + 3]!;
        this.refusedFamilies.add(afi === AFI_IPV6 ? 'ipv6' : 'ipv4');
      } else this.refusedCodes.add(code);
    }
    return true;
  }

  /** What both sides agree on, given the peer's OPEN (hold time and keepalive are set once Established). */
  negotiate(theirCaps: readonly Capability[]): NegotiatedCapabilities {
    const mine = read(this.offer());
    const theirs = read(theirCaps);
    const families = mine.families.filter((f) => theirs.families.includes(f));
    const gr =
      mine.gracefulRestart && theirs.gracefulRestart
        ? {
            restartTime: theirs.gracefulRestart.restartTime,
            restarting: theirs.gracefulRestart.restarting,
            forwarding: theirs.gracefulRestart.forwarding,
          }
        : undefined;
    return {
      // RFC 6793 §4, RFC 2918 §3, RFC 7313 §2: each holds only when both sides announced it.
      fourOctetAs: mine.fourOctetAs && theirs.fourOctetAs,
      families,
      routeRefresh: mine.routeRefresh && theirs.routeRefresh,
      enhancedRouteRefresh: mine.enhancedRouteRefresh && theirs.enhancedRouteRefresh,
      gracefulRestart: gr,
      // RFC 8654 §3: extended messages only when both sides advertised the capability.
      extendedMessage: mine.extendedMessage && theirs.extendedMessage,
      // RFC 8950 §4: IPv6 next hops for IPv4 routes only toward a peer that announced it takes them.
      extendedNextHop: mine.extendedNextHop && theirs.extendedNextHop,
      addPathReceive: families.filter((f) => canReceive(mine.addPath.get(f)) && canSend(theirs.addPath.get(f))),
      addPathSend: families.filter((f) => canSend(mine.addPath.get(f)) && canReceive(theirs.addPath.get(f))),
      holdTime: 0,
      keepalive: 0,
    };
  }
}
