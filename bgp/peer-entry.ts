// One configured peer as the speaker keeps it — its options, its session (Peer), its route-engine
// port while Established, and the timers of graceful restart, max-prefix and enhanced route refresh —
// how PeerOptions and the speaker's options become the session's settings, and its status.
import type { AddressFamily, Logger, PeerOptions, PeerStatus, SpeakerOptions } from './config.js';
import type { RouteEngine, SessionPort } from './route-engine.js';
import { DEFAULT_FSM_CONFIG } from './session/fsm.js';
import { Peer } from './session/peer.js';
import { sessionSocketOptions } from './session/socket-options.js';

/** RFC 4271 §10 suggested defaults, except connect retry (5 s rather than 120 s, as BIRD does). */
export const DEFAULTS = { holdTime: 90, connectRetry: 5, port: 179 };

export interface PeerEntry {
  options: PeerOptions;
  peer: Peer;
  port?: SessionPort;
  /** RFC 4724 helper: timer that purges stale paths if the peer does not come back. */
  restartTimer?: NodeJS.Timeout;
  /** Families whose End-of-RIB we still wait for before purging stale paths. */
  awaitingEor?: Set<AddressFamily>;
  staleHeld: boolean;
  maxPrefixTimer?: NodeJS.Timeout;
  /** The max-prefix warning was given for the current climb. */
  maxPrefixWarned?: boolean;
  /** Administratively shut down (shutdownPeer) until enablePeer: stays down across changes. */
  adminShutdown?: { message: string };
  /** RFC 7313: purges what the peer did not re-send if its EoRR never comes. */
  refreshTimer?: NodeJS.Timeout;
}

/** The session for `options`: timers, graceful restart, socket options and capabilities to offer. */
export function newPeer(options: PeerOptions, speaker: SpeakerOptions, log: Logger): Peer {
  const grSpeaker = speaker.gracefulRestart;
  const grPeer = options.gracefulRestart;
  const gr =
    grPeer === false
      ? undefined
      : typeof grPeer === 'object'
        ? { restartTime: grPeer.restartTime, restarting: grSpeaker?.restarting ?? false }
        : grSpeaker || grPeer === true
          ? { restartTime: grSpeaker?.restartTime ?? 120, restarting: grSpeaker?.restarting ?? false }
          : undefined;
  const hook = speaker.socketOptions;
  return new Peer(
    {
      address: options.address,
      port: options.port ?? DEFAULTS.port,
      asn: options.asn,
      localAddress: options.localAddress,
      sockets: hook && { hook, options: sessionSocketOptions(options, options.asn !== speaker.asn) },
      families: options.families ?? ['ipv4', 'ipv6'],
      gracefulRestart: gr,
      extendedMessages: options.extendedMessages,
      extendedNextHop: options.extendedNextHop,
      addPaths: options.addPaths,
      fsm: {
        ...DEFAULT_FSM_CONFIG,
        passive: options.passive ?? false,
        ...fsmTimers(options),
        delayOpen: options.delayOpen ?? 0,
      },
    },
    { asn: speaker.asn, routerId: speaker.routerId },
    log,
  );
}

/** The FSM timers of a peer's options, with the speaker's defaults. */
export function fsmTimers(o: PeerOptions): { holdTime: number; keepalive?: number; connectRetry: number } {
  return {
    holdTime: o.holdTime ?? DEFAULTS.holdTime,
    keepalive: o.keepalive,
    connectRetry: o.connectRetry ?? DEFAULTS.connectRetry,
  };
}

/** The status of a peer as the speaker reports it. */
export function peerStatus(e: PeerEntry, engine: RouteEngine): PeerStatus {
  const p = e.peer;
  return {
    address: e.options.address,
    asn: e.options.asn,
    type: p.ebgp ? 'ebgp' : 'ibgp',
    state: p.state,
    uptime: p.establishedAt ? Math.floor((Date.now() - p.establishedAt.getTime()) / 1000) : 0,
    establishedAt: p.establishedAt,
    routerId: p.remoteOpen?.bgpId,
    localAddress: p.localAddressInUse,
    capabilities: p.negotiated ? { ...p.negotiated } : undefined,
    counters: {
      ...p.counters,
      prefixesReceived: e.port?.received ?? 0,
      prefixesAccepted: engine.rib.countFrom(e.options.address),
      prefixesAdvertised: e.port ? engine.advertisedCount(e.port) : 0,
    },
    lastError: p.lastError,
    lastNotificationReceived: p.lastReceived,
    adminShutdown: e.adminShutdown,
    routeReflectorClient: e.options.routeReflectorClient ?? false,
    description: e.options.description,
  };
}
