// Per-peer Prometheus series, read from the speaker at scrape time (no copy to keep in step): the
// session state as one series per state (1 for the current one, 0 for the others, so
// `tsroute_bgp_peer_state{state="Established"} == 0` alerts on a session that is down), prefix
// counts, flaps and the last error as an info-style series.
import type { BgpController } from './bgp-controller.js';
import { Collected, Counter, Gauge, type MetricSet } from './prometheus-text.js';

/** The BGP FSM states (RFC 4271 §8.2.2). */
export const PEER_STATES = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'] as const;

export interface PeerSample {
  address: string;
  asNumber: number;
  type: string;
  state: string;
  prefixesReceived: number;
  prefixesAccepted: number;
  prefixesAdvertised: number;
  /** Times the session left Established. */
  flaps: number;
  /** Why the session is not up (empty when it is, or when nothing went wrong). */
  lastError: string;
  /** BFD state ("Up", "Down (...)"), empty when the session runs no BFD. */
  bfd?: string;
}

/** Adds the per-peer series to `set`; `source` is asked for the peers on every scrape. */
export function registerPeerMetrics(set: MetricSet, source: () => PeerSample[]): void {
  const peerLabels = ['peer', 'peer_as', 'type'] as const;
  const labelsOf = (p: PeerSample) => ({ peer: p.address, peer_as: String(p.asNumber), type: p.type });
  const gauge = (name: string, help: string, value: (p: PeerSample) => number) =>
    set.add(
      new Collected(new Gauge(name, help, peerLabels), (g) => {
        for (const p of source()) g.set(labelsOf(p), value(p));
      }),
    );
  set.add(
    new Collected(
      new Gauge('tsroute_bgp_peer_state', 'BGP session state per peer: 1 for the current state, 0 for the others', [
        ...peerLabels,
        'state',
      ]),
      (g) => {
        for (const p of source())
          for (const state of PEER_STATES) g.set({ ...labelsOf(p), state }, p.state === state ? 1 : 0);
      },
    ),
  );
  gauge('tsroute_bgp_peer_up', 'whether the BGP session is Established (1) or not (0)', (p) =>
    p.state === 'Established' ? 1 : 0,
  );
  set.add(
    new Collected(
      new Gauge(
        'tsroute_bfd_session_up',
        'whether the BFD session (RFC 5880) of a BGP session is Up (1) or not (0); only sessions with BFD',
        peerLabels,
      ),
      (g) => {
        for (const p of source()) if (p.bfd) g.set(labelsOf(p), p.bfd === 'Up' ? 1 : 0);
      },
    ),
  );
  gauge('tsroute_bgp_peer_prefixes_received', 'prefixes the peer sent us (Adj-RIB-In)', (p) => p.prefixesReceived);
  gauge(
    'tsroute_bgp_peer_prefixes_accepted',
    'prefixes from the peer that passed import policy',
    (p) => p.prefixesAccepted,
  );
  gauge('tsroute_bgp_peer_prefixes_advertised', 'prefixes we advertise to the peer', (p) => p.prefixesAdvertised);
  set.add(
    new Collected(
      new Counter(
        'tsroute_bgp_peer_flaps_total',
        'times the session left Established (since the speaker started)',
        peerLabels,
      ),
      (c) => {
        for (const p of source()) c.inc(labelsOf(p), p.flaps);
      },
    ),
  );
  set.add(
    new Collected(
      new Gauge(
        'tsroute_bgp_peer_last_error_info',
        'the last error of a session that is not Established, as a label (value always 1)',
        [...peerLabels, 'error'],
      ),
      (g) => {
        for (const p of source())
          if (p.lastError && p.state !== 'Established') g.set({ ...labelsOf(p), error: p.lastError }, 1);
      },
    ),
  );
}

/** The samples of a running controller: its sessions (held ones too, as Idle) with their flap counts. */
export function peerSamples(bgp: Pick<BgpController, 'peers' | 'speaker'>): PeerSample[] {
  const flaps = new Map(bgp.speaker.peers().map((s) => [s.address, s.counters.flaps]));
  return bgp.peers().map((p) => ({
    address: p.address,
    asNumber: p.asNumber,
    type: String(p.type),
    state: p.state,
    prefixesReceived: p.routesReceived,
    prefixesAccepted: p.routesAccepted,
    prefixesAdvertised: p.routesAdvertised,
    flaps: flaps.get(p.address) ?? 0,
    lastError: p.state === 'Established' ? '' : p.info,
    bfd: p.bfd,
  }));
}
