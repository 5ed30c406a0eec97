// The BGP reconciler: makes the speaker what hostState's cluster plan says — running or not (routing
// mode), with which identity (AS, router ID, cluster ID, port: a change restarts it), which import
// policy and which sessions — and forwards what the speaker reports (best paths to LearnedRoutes,
// session states to the log, metrics and the event stream).
//
// Switching routing mode never loses a route. To Static: the static reconciler takes the kernel's
// routes to other hosts, the speaker is detached from LearnedRoutes (its withdrawals no longer reach
// the kernel) and stopped after MODE_HANDOFF_MS. Back to BGP: the static routes stay, as after a
// restart, for RESTART_GRACE_MS until BGP has learned them again.
import { type BestPathEvent, describeDown } from '../../bgp/index.js';
import type { Event } from '../api/types.js';
import type { Announcement } from './announcements.js';
import { BgpController, type BgpControllerOptions } from './bgp-controller.js';
import type { EventHub } from './events.js';
import type { ClusterPlan } from './host-state.js';
import type { LearnedRoutes } from './learned-routes.js';
import type { Logger } from './logger.js';
import type { AgentMetrics } from './metrics.js';
import { peerSamples } from './peer-metrics.js';
import type { StaticRoutes } from './static-routes.js';

/** How long after start learned routes missing from BGP are kept in the kernel (peers resending). */
export const RESTART_GRACE_MS = 10_000;
/**
 * How long the speaker keeps running after the cluster switched to Static routing: long enough for
 * every other agent to see the switch (watch, or at worst its 5 s re-read) and stop taking BGP
 * withdrawals, so no host loses a route when the sessions close.
 */
const MODE_HANDOFF_MS = 10_000;

export interface BgpReconcilerDeps {
  log: Logger;
  metrics: AgentMetrics;
  events: EventHub;
  learned: LearnedRoutes;
  staticRoutes: StaticRoutes;
  /** Kernel routes survived a restart: the first speaker restarts gracefully (RFC 4724). */
  preserved: () => boolean;
  /** Makes a speaker (the agent's port onto bgp/; tests pass one listening on a free port). */
  newController?: (options: BgpControllerOptions) => BgpController;
}

export class BgpReconciler {
  /** The running speaker (undefined in Static mode or before the first plan). */
  current?: BgpController;
  private identity = '';
  /** The speaker of a BGP → Static switch, still running until MODE_HANDOFF_MS has passed. */
  private handoff?: { bgp: BgpController; identity: string; timer: NodeJS.Timeout };

  constructor(private readonly deps: BgpReconcilerDeps) {}

  /**
   * First half of applying a plan: the routing mode, the speaker and its import policy. The caller
   * then hands the announcements over and calls `applyPeers`: our own routes must be in the speaker
   * before any session comes up (a restarting speaker's End-of-RIB tells helpers to drop whatever we
   * did not re-send, RFC 4724 §4.1).
   */
  applyPlan(plan: ClusterPlan): void {
    if (this.applyRoutingMode(plan) === 'Static') return;
    const bgp = this.ensureSpeaker(plan);
    bgp.setPools(plan.importPolicy.pools);
    bgp.setFilters(plan.importPolicy.filters);
  }

  applyAnnouncements(desired: Map<string, Announcement>): void {
    this.current?.applyAnnouncements(desired);
  }

  applyPeers(plan: ClusterPlan): void {
    if (plan.routingMode === 'BGP') this.current?.applyPeers(plan.peers);
  }

  private applyRoutingMode(plan: ClusterPlan): 'BGP' | 'Static' {
    const { log, learned, staticRoutes } = this.deps;
    if (plan.routingMode === 'Static') {
      staticRoutes.apply(plan.nodes);
      const bgp = this.current;
      if (bgp) {
        log.info({ handoffMs: MODE_HANDOFF_MS }, 'routing mode Static: BGP sessions close after the hand-off');
        this.current = undefined;
        learned.attach(undefined);
        this.deps.metrics.peerSource = () => [];
        const timer = setTimeout(() => {
          this.handoff = undefined;
          void bgp.stop('tsroute: routing mode changed to Static');
        }, MODE_HANDOFF_MS);
        timer.unref();
        this.handoff = { bgp, identity: this.identity, timer };
        this.identity = '';
      }
      return 'Static';
    }
    if (staticRoutes.active) {
      log.info('routing mode BGP: static routes stay until BGP has learned them again');
      void staticRoutes.stop();
      if (this.handoff) {
        // switched back before the old speaker stopped: it carries on
        clearTimeout(this.handoff.timer);
        const bgp = this.handoff.bgp;
        this.current = bgp;
        this.identity = this.handoff.identity;
        this.deps.metrics.peerSource = () => peerSamples(bgp);
        learned.attach(bgp.speaker);
        this.handoff = undefined;
      }
      learned.startGrace(RESTART_GRACE_MS);
    }
    return 'BGP';
  }

  /**
   * The speaker for this plan: the running one, or a new one when the AS, router ID, cluster ID or
   * listen port changed (timers are per session and change through the peer plan without touching
   * the others).
   */
  private ensureSpeaker(plan: ClusterPlan): BgpController {
    const { log, metrics } = this.deps;
    const id = plan.speaker;
    if (!id.routerId)
      throw new Error('this node has no IPv4 BGP address to use as router ID: start it with --bgp-address');
    const identity = JSON.stringify([id.asn, id.routerId, id.clusterId, id.listenPort]);
    if (this.current && identity === this.identity) return this.current;
    const old = this.current;
    if (old) {
      log.info('AS, router ID, cluster ID or listen port changed: restarting the BGP speaker');
      void old.stop('tsroute: BGP configuration changed');
    }
    const bgp = (this.deps.newController ?? ((o) => new BgpController(o)))({
      asn: id.asn,
      routerId: id.routerId,
      clusterId: id.clusterId,
      listenPort: id.listenPort,
      address4: id.address4,
      address6: id.address6,
      gracefulRestartTime: id.gracefulRestartTime,
      restarting: this.deps.preserved() && !old,
      shutdowns: old?.shutdowns,
      logger: log,
    });
    bgp.speaker.on('max-prefix-warning', (e) => metrics.maxPrefixWarnings.inc({ peer: e.address }));
    bgp.onBestPath((e) => this.onBestPath(bgp, e));
    bgp.speaker.on('peer-state', (e) => {
      const peer = bgp.peers().find((p) => p.address === e.address);
      // the one line per state change (the speaker only emits the event)
      log.info(
        {
          peer: e.address,
          peerAs: peer?.asNumber,
          type: peer?.type,
          from: e.from,
          to: e.to,
          reason: e.reason && describeDown(e.reason),
        },
        'BGP session state',
      );
      if (peer) this.deps.events.emit({ event: 'peer', peer: { peer, previousState: e.from } });
      const counts: Record<string, number> = {};
      for (const p of bgp.peers()) counts[p.state] = (counts[p.state] ?? 0) + 1;
      metrics.peers.reset();
      for (const [state, n] of Object.entries(counts)) metrics.peers.set({ state }, n);
    });
    metrics.peerSource = () => peerSamples(bgp);
    this.deps.learned.attach(bgp.speaker);
    this.current = bgp;
    this.identity = identity;
    bgp.start().catch((err) => {
      log.error({ err: (err as Error).message, port: id.listenPort }, 'BGP speaker failed to listen');
      metrics.errors.inc({ component: 'bgp' });
    });
    bgp.applyAnnouncements(new Map());
    return bgp;
  }

  private onBestPath(bgp: BgpController, e: BestPathEvent): void {
    // the old speaker of a BGP → Static hand-off still runs: its changes no longer reach the kernel
    if (bgp === this.current)
      this.deps.learned.bestPathChanged(e.prefix, e.withdrawn || e.local ? undefined : e.nextHops);
    const events = this.deps.events;
    if (events.subscriberCount > 0)
      events.emit({
        event: 'route',
        route: {
          kind: e.withdrawn ? 'withdrawn' : 'best',
          route: {
            prefix: e.prefix,
            nextHops: e.nextHops,
            asPath: e.best?.asPath ?? [],
            communities: e.best?.communities ?? [],
            largeCommunities: e.best?.largeCommunities ?? [],
            localPref: e.best?.localPref ?? 0,
            med: e.best?.med ?? 0,
            source: e.best?.from ?? '',
            best: !e.withdrawn,
            origin: e.best?.origin ?? '',
            stale: !!e.best?.stale,
            protocol: 'bgp',
            dev: '',
            type: 'unicast',
          },
        },
      } satisfies Omit<Event, 'timeUnixMs'>);
  }
}
