// What our OPEN offers a peer (RFC 5492), what the two sides agree on, and the fall-back when the
// peer refuses some of it: Unsupported Capability (2/7) listing the refused ones leaves those out
// of the next OPEN; Unsupported Optional Parameter (2/4), or 2/7 naming none, leaves out every
// capability (plain BGP-4, IPv4 unicast) — what BIRD falls back to as well. The fall-back lasts as
// long as the peer's configuration does.
import type { AddPathMode, AddressFamily, NegotiatedCapabilities } from '../config.js';
import { familyAfi, type OpenCapabilities } from './messages.js';

/** RFC 4271 §6.2 and RFC 5492 §5 OPEN error subcodes about capabilities. */
const OPEN_UNSUPPORTED_PARAMETER = 4;
const OPEN_UNSUPPORTED_CAPABILITY = 7;

/** Capability codes (IANA registry) of the capabilities this speaker announces. */
const CAP_MULTIPROTOCOL = 1;
const CAP_ROUTE_REFRESH = 2;
const CAP_EXTENDED_MESSAGE = 6; // RFC 8654
const CAP_GRACEFUL_RESTART = 64;
const CAP_FOUR_OCTET_AS = 65;
const CAP_ADD_PATH = 69; // RFC 7911
const CAP_ENHANCED_ROUTE_REFRESH = 70;

export interface OfferSettings {
  asn: number;
  families: AddressFamily[];
  /** Our graceful-restart capability, if any. */
  gracefulRestart?: { restartTime: number; restarting: boolean };
  /** RFC 8654: offer extended messages. */
  extendedMessages?: boolean;
  /** RFC 7911: offer ADD-PATH in this direction for every family. */
  addPaths?: AddPathMode;
}

/** RFC 7911 §4: we receive path IDs when we said receive and they said send (and the mirror image). */
const canSend = (m: AddPathMode | undefined) => m === 'send' || m === 'both';
const canReceive = (m: AddPathMode | undefined) => m === 'receive' || m === 'both';

export class CapabilityOffer {
  private readonly refusedCodes = new Set<number>();
  private readonly refusedFamilies = new Set<AddressFamily>();
  /** The peer refused capabilities wholesale: OPENs carry none. */
  private bare = false;

  constructor(private readonly settings: OfferSettings) {}

  /** Our capabilities for the next OPEN, less any the peer refused. */
  offer(): OpenCapabilities {
    // RFC 4760 §8: with no capabilities at all, the session is IPv4 unicast.
    if (this.bare) return { families: ['ipv4'], routeRefresh: false, enhancedRouteRefresh: false, bare: true };
    const refused = (code: number) => this.refusedCodes.has(code);
    const families = refused(CAP_MULTIPROTOCOL)
      ? (['ipv4'] as AddressFamily[])
      : this.settings.families.filter((f) => !this.refusedFamilies.has(f));
    const gr = this.settings.gracefulRestart;
    const addPaths = this.settings.addPaths;
    return {
      families,
      routeRefresh: !refused(CAP_ROUTE_REFRESH),
      enhancedRouteRefresh: !refused(CAP_ENHANCED_ROUTE_REFRESH),
      fourOctetAs: refused(CAP_FOUR_OCTET_AS) ? undefined : this.settings.asn,
      gracefulRestart:
        gr && !refused(CAP_GRACEFUL_RESTART)
          ? {
              restarting: gr.restarting,
              restartTime: gr.restartTime,
              // F bit: our forwarding state (the kernel routes the agent programmed) survives our restart.
              families: families.map((family) => ({ family, forwarding: gr.restarting })),
            }
          : undefined,
      extendedMessage: this.settings.extendedMessages === true && !refused(CAP_EXTENDED_MESSAGE),
      addPath:
        addPaths && !refused(CAP_ADD_PATH) && !refused(CAP_MULTIPROTOCOL)
          ? families.map((family) => ({ family, mode: addPaths }))
          : undefined,
    };
  }

  /** Takes an OPEN error from the peer; true when it changed what the next OPEN offers. */
  refused(subcode: number, data: Uint8Array): boolean {
    if (subcode === OPEN_UNSUPPORTED_PARAMETER || (subcode === OPEN_UNSUPPORTED_CAPABILITY && data.length < 2)) {
      this.bare = true;
      return true;
    }
    if (subcode !== OPEN_UNSUPPORTED_CAPABILITY) return false;
    // The data field holds the refused capabilities as they were sent: code, length, value.
    for (let off = 0; off + 2 <= data.length; off += 2 + data[off + 1]!) {
      const code = data[off]!;
      if (code === CAP_MULTIPROTOCOL && off + 6 <= data.length) {
        const afi = (data[off + 2]! << 8) | data[off + 3]!;
        this.refusedFamilies.add(afi === familyAfi('ipv6') ? 'ipv6' : 'ipv4');
      } else this.refusedCodes.add(code);
    }
    return true;
  }

  /** What both sides agree on, given the peer's OPEN (hold time and keepalive are set once Established). */
  negotiate(theirs: OpenCapabilities): NegotiatedCapabilities {
    const mine = this.offer();
    // RFC 4760 §8: without any multiprotocol capability the peer speaks IPv4 unicast only.
    const families = mine.families.filter((f) => theirs.families.includes(f));
    const gr =
      mine.gracefulRestart && theirs.gracefulRestart
        ? {
            restartTime: theirs.gracefulRestart.restartTime,
            restarting: theirs.gracefulRestart.restarting,
            forwarding: theirs.gracefulRestart.families.filter((f) => f.forwarding).map((f) => f.family),
          }
        : undefined;
    return {
      // RFC 6793 §4, RFC 2918 §3, RFC 7313 §2: each holds only when both sides announced it.
      fourOctetAs: mine.fourOctetAs !== undefined && theirs.fourOctetAs !== undefined,
      families,
      routeRefresh: mine.routeRefresh && theirs.routeRefresh,
      enhancedRouteRefresh: mine.enhancedRouteRefresh && theirs.enhancedRouteRefresh,
      gracefulRestart: gr,
      // RFC 8654 §3: extended messages only when both sides advertised the capability.
      extendedMessage: mine.extendedMessage === true && theirs.extendedMessage === true,
      addPathReceive: families.filter((f) => canReceive(modeOf(mine, f)) && canSend(modeOf(theirs, f))),
      addPathSend: families.filter((f) => canSend(modeOf(mine, f)) && canReceive(modeOf(theirs, f))),
      holdTime: 0,
      keepalive: 0,
    };
  }
}

const modeOf = (caps: OpenCapabilities, family: AddressFamily): AddPathMode | undefined =>
  caps.addPath?.find((a) => a.family === family)?.mode;
