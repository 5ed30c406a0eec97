// What a peer's session coming and going does to its routes: the route-engine port while it is
// Established, graceful restart's stale paths (RFC 4724 §4.2), End-of-RIB, ROUTE-REFRESH and its
// RFC 7313 demarcation, and max-prefix (RFC 4486 §4).
import type { AddressFamily, Logger } from './config.js';
import { belowWarning, maxPrefixConfig, maxPrefixVerdict } from './max-prefix.js';
import type { PeerEntry } from './peer-entry.js';
import { compilePolicy } from './policy/evaluate.js';
import type { PathSource } from './rib/path.js';
import type { RouteEngine, SessionPort } from './route-engine.js';
import { encodeBatch } from './session/codec.js';
import type { PeerDown } from './session/peer.js';
import { AFI_IPV4, AFI_IPV6, RR_SUBTYPE, SAFI_UNICAST } from './wire/constants.js';
import { encodeRouteRefresh } from './wire/message.js';
import { CEASE_SUB } from './wire/notification.js';
import type { UpdateMessage } from './wire/types.js';
import { endOfRibFamily } from './wire/update-decode.js';
import { encodeEndOfRib } from './wire/update-encode.js';

/** How long stale paths wait for the EoRR of a refresh the peer began (RFC 7313 §4 leaves it to us). */
const REFRESH_STALE_MS = 300_000;

/** What SessionRoutes needs from the speaker. */
export interface SessionRoutesHost {
  readonly running: boolean;
  /** `entry` is still the configured one for its address (not removed or replaced). */
  isCurrent(entry: PeerEntry): boolean;
  maxPrefixWarning(e: { address: string; count: number; limit: number }): void;
}

const afiOf = (f: AddressFamily) => (f === 'ipv4' ? AFI_IPV4 : AFI_IPV6);
/** RFC 2918 ROUTE-REFRESH (RFC 7313 subtype) for a unicast family. */
export const routeRefresh = (f: AddressFamily, subtype: number = RR_SUBTYPE.REQUEST) =>
  encodeRouteRefresh(afiOf(f), SAFI_UNICAST, subtype);

export class SessionRoutes {
  private nextSourceId = 1;

  constructor(
    private readonly engine: RouteEngine,
    private readonly log: Logger,
    private readonly host: SessionRoutesHost,
  ) {}

  established(entry: PeerEntry): void {
    const { peer, options } = entry;
    const neg = peer.negotiated!;
    const self = peer.selfAddresses(options.localAddress6);
    const rrClient = options.routeReflectorClient ?? false;
    const source: PathSource = {
      id: this.nextSourceId++,
      kind: peer.ebgp ? 'ebgp' : 'ibgp',
      address: options.address,
      routerId: peer.remoteOpen!.bgpId,
      asn: options.asn,
      rrClient,
    };
    const families = new Set(neg.families);
    const port: SessionPort = {
      source,
      target: {
        kind: peer.ebgp ? 'ebgp' : 'ibgp',
        address: options.address,
        routerId: source.routerId,
        rrClient,
        nextHop: options.nextHop,
        selfIpv4: self.ipv4,
        selfIpv6: self.ipv6,
      },
      families,
      addPathSend: new Set(neg.addPathSend),
      importPolicy: compilePolicy(options.importPolicy),
      exportPolicy: compilePolicy(options.exportPolicy),
      sendBatch: (batch) => peer.sendUpdates(encodeBatch(batch, peer.codecCtx)),
      sendEndOfRib: (family) => peer.send(encodeEndOfRib(afiOf(family), SAFI_UNICAST)),
      drained: () => peer.drained(),
      pauseInput: (paused) => peer.pauseInput(paused),
      received: 0,
      closed: false,
    };
    entry.port = port;
    if (entry.staleHeld) {
      clearTimeout(entry.restartTimer);
      entry.restartTimer = undefined;
      const gr = neg.gracefulRestart;
      // RFC 4724 §4.2: keep stale paths of families the peer kept forwarding for, until its End-of-RIB;
      // for the others (or if it no longer does GR) they go now.
      entry.awaitingEor = new Set(gr ? [...families].filter((f) => gr.forwarding.includes(f)) : []);
      if (entry.awaitingEor.size === 0) this.purgeStale(entry);
      else entry.restartTimer = setTimeout(() => this.purgeStale(entry), (gr?.restartTime ?? 120) * 1000).unref();
    }
    this.engine.addSession(port);
  }

  down(entry: PeerEntry, down: PeerDown): void {
    const port = entry.port;
    entry.port = undefined;
    if (port) this.engine.removeSession(port);
    const gr = entry.peer.negotiated?.gracefulRestart;
    if (down.keepStale && gr && this.host.running) {
      entry.staleHeld = true;
      void this.engine.dropPathsFrom(entry.options.address, 'stale', port?.source);
      clearTimeout(entry.restartTimer);
      // RFC 4724 §4.2: the peer has its restart time to come back; then its paths go.
      entry.restartTimer = setTimeout(() => this.purgeStale(entry), gr.restartTime * 1000).unref();
      this.log.info({ peer: entry.options.address, restartTime: gr.restartTime }, 'peer restarting: paths kept stale');
    } else {
      entry.staleHeld = false;
      void this.engine.dropPathsFrom(entry.options.address, 'remove', port?.source);
    }
  }

  update(entry: PeerEntry, update: UpdateMessage, treatAsWithdraw: boolean): void {
    const port = entry.port;
    if (!port) return;
    const endOfRib = endOfRibFamily(update);
    if (endOfRib) {
      entry.awaitingEor?.delete(endOfRib);
      if (entry.staleHeld && entry.awaitingEor?.size === 0) this.purgeStale(entry);
      return;
    }
    this.engine.importUpdate(port, update, treatAsWithdraw);
    this.checkMaxPrefix(entry);
  }

  /**
   * ROUTE-REFRESH from the peer (RFC 2918), and RFC 7313's demarcation of a refreshed table: BoRR
   * marks the peer's paths of the family stale, EoRR drops the stale ones it did not send again.
   */
  refresh(entry: PeerEntry, family: AddressFamily | undefined, subtype: number): void {
    const port = entry.port;
    if (!port || !family || !port.families.has(family)) return;
    const enhanced = entry.peer.negotiated?.enhancedRouteRefresh ?? false;
    const address = entry.options.address;
    if (subtype === RR_SUBTYPE.REQUEST) {
      if (enhanced) entry.peer.send(routeRefresh(family, RR_SUBTYPE.BORR));
      void this.engine.sendTable(port, { resend: true, families: [family] }).then(() => {
        if (enhanced && entry.port === port) entry.peer.send(routeRefresh(family, RR_SUBTYPE.EORR));
      });
      return;
    }
    // RFC 7313 §5: demarcations from a peer that did not negotiate the capability are ignored.
    if (!enhanced) return;
    if (subtype === RR_SUBTYPE.BORR) {
      clearTimeout(entry.refreshTimer);
      void this.engine.dropPathsFrom(address, 'stale', port.source, family);
      // §4: a peer that never sends EoRR does not keep its stale paths for ever.
      entry.refreshTimer = setTimeout(
        () => void this.engine.dropPathsFrom(address, 'purge-stale', port.source, family),
        REFRESH_STALE_MS,
      ).unref();
    } else if (subtype === RR_SUBTYPE.EORR) {
      clearTimeout(entry.refreshTimer);
      void this.engine.dropPathsFrom(address, 'purge-stale', port.source, family);
    }
  }

  purgeStale(entry: PeerEntry): void {
    clearTimeout(entry.restartTimer);
    entry.restartTimer = undefined;
    entry.awaitingEor = undefined;
    if (!entry.staleHeld) return;
    entry.staleHeld = false;
    void this.engine.dropPathsFrom(entry.options.address, 'purge-stale');
  }

  private checkMaxPrefix(entry: PeerEntry): void {
    const conf = maxPrefixConfig(entry.options.maxPrefix);
    if (!conf) return;
    const address = entry.options.address;
    const count = this.engine.rib.countFrom(address);
    const verdict = maxPrefixVerdict(conf, count, entry.maxPrefixWarned ?? false);
    if (verdict === 'ok') {
      if (entry.maxPrefixWarned && belowWarning(conf, count)) entry.maxPrefixWarned = false;
      return;
    }
    if (verdict === 'warn') {
      entry.maxPrefixWarned = true;
      this.log.warn({ peer: address, count, limit: conf.limit }, 'max-prefix warning threshold reached');
      this.host.maxPrefixWarning({ address, count, limit: conf.limit });
      return;
    }
    entry.maxPrefixWarned = false;
    this.log.warn(
      { peer: address, count, limit: conf.limit, restartAfter: conf.restartAfter },
      'max-prefix exceeded: closing session',
    );
    // RFC 4486 §4: Cease/max-prefix; the session comes back by itself only after restartAfter.
    entry.peer.cease(CEASE_SUB.MAX_PREFIXES, false);
    if (conf.restartAfter !== undefined) {
      clearTimeout(entry.maxPrefixTimer);
      entry.maxPrefixTimer = setTimeout(() => {
        if (this.host.running && this.host.isCurrent(entry) && !entry.adminShutdown) entry.peer.start();
      }, conf.restartAfter * 1000).unref();
    }
  }
}
