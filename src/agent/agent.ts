// `tsroute node run`: one process per host that turns etcd state into a routed container network.
// It wires datastore → IPAM → dataplane → BGP and keeps them in step:
//   cluster change (watch)  → peer plan → speaker peers;   pool change → import policy, NAT
//   endpoint add/delete     → IPAM blocks → blackholes + announcements (blocks, borrowed /32s)
//   best path change (BGP)  → kernel routes (ECMP, RTPROT_BGP)
// A timer re-does all of it, so a missed event or an etcd outage only delays convergence.
import type { BestPathEvent } from '../../bgp/index.js';
import type { Event } from '../api/types.js';
import { type Datastore, type EtcdOptions, IPAM_PREFIX } from '../datastore/index.js';
import { type Node, nodeBgpAddress } from '../model/index.js';
import type { RejectedResource } from './admission.js';
import { BgpController } from './bgp-controller.js';
import { type ClusterSnapshot, ClusterState } from './cluster-state.js';
import type { AgentConfig } from './config.js';
import { EndpointManager, type IpamChange } from './endpoints.js';
import { EventHub } from './events.js';
import {
  addressPlan,
  type ClusterPlan,
  clusterPlan,
  type EffectiveBgpConfig,
  effectiveBgpConfig,
  hostAsNumber,
} from './host-state.js';
import { LearnedRoutes } from './learned-routes.js';
import type { Logger } from './logger.js';
import type { AgentMetrics } from './metrics.js';
import { OwnBlocks } from './own-blocks.js';
import { peerSamples } from './peer-metrics.js';
import { readPeerPassword } from './peer-password.js';
import type { Dataplane, IpamView } from './ports.js';
import { registerNode } from './register-node.js';
import { StaticRoutes } from './static-routes.js';

/** How long after start learned routes missing from BGP are kept in the kernel (peers resending). */
const RESTART_GRACE_MS = 10_000;
/**
 * How long the speaker keeps running after the cluster switched to Static routing: long enough for
 * every other agent to see the switch (watch, or at worst its 5 s re-read) and stop taking BGP
 * withdrawals, so no host loses a route when the sessions close.
 */
const MODE_HANDOFF_MS = 10_000;

export interface AgentParts {
  config: AgentConfig;
  log: Logger;
  metrics: AgentMetrics;
  datastore: Datastore;
  ipam: IpamView;
  dataplane: Dataplane;
  version: string;
}

export function etcdOptionsOf(config: AgentConfig): EtcdOptions {
  return {
    endpoints: config.etcdEndpoints,
    caFile: config.etcdTls?.ca,
    certFile: config.etcdTls?.cert,
    keyFile: config.etcdTls?.key,
  };
}

export class Agent {
  readonly events = new EventHub();
  readonly cluster: ClusterState;
  readonly endpoints: EndpointManager;
  /** Routes to the other hosts while `routingMode: Static` is in force (see static-routes.ts). */
  readonly staticRoutes: StaticRoutes;
  bgp?: BgpController;
  /** The speaker of a BGP → Static switch, still running until MODE_HANDOFF_MS has passed. */
  private handoff?: { bgp: BgpController; identity: string; timer: NodeJS.Timeout };
  node?: Node;
  readonly startedAt = Date.now();
  /** Best-path changes into the kernel: batching, the restart grace, what is dirty. */
  readonly learned: LearnedRoutes;
  private readonly ownBlocks = new OwnBlocks();
  /** The last cluster plan, with the inputs it was made from. */
  private plan?: { snapshot: ClusterSnapshot; registered?: Node; logLevel: string; plan: ClusterPlan };
  private extraPaths = new Map<string, { prefix: string; communities?: string[]; med?: number }>();
  private timers: NodeJS.Timeout[] = [];
  private refreshRunning?: Promise<void>;
  private refreshAgain = false;
  private speakerIdentity = '';
  private preserved = false;

  constructor(readonly parts: AgentParts) {
    const { config, log, datastore } = parts;
    this.cluster = new ClusterState(
      datastore,
      log.child({ component: 'cluster' }),
      Math.min(config.resyncIntervalMs, 5000),
    );
    this.endpoints = new EndpointManager(
      config.nodeName,
      datastore,
      parts.ipam,
      parts.dataplane.wiring,
      log.child({ component: 'endpoints' }),
      (kind, endpoint, change) => {
        this.events.emit({ event: 'endpoint', endpoint: { kind, endpoint } });
        parts.metrics.endpoints.set(this.endpoints.list().length);
        this.applyIpamChange(change);
      },
      (change) => this.applyIpamChange(change),
    );
    this.learned = new LearnedRoutes({
      routes: parts.dataplane.routes,
      selfAddresses: [config.bgpAddress4, config.bgpAddress6].filter((x): x is string => !!x),
      onBatch: () => this.parts.metrics.locRibRoutes.set(this.bgp?.speaker.stats().prefixes ?? 0),
    });
    this.staticRoutes = new StaticRoutes({
      nodeName: config.nodeName,
      log: log.child({ component: 'static-routes' }),
      ipam: parts.ipam,
      routes: parts.dataplane.routes,
      watchIpam: (onChange) => datastore.kv.watch(IPAM_PREFIX, onChange),
      intervalMs: Math.min(config.resyncIntervalMs, 5000),
      onRefusedChange: () => this.countRejected(),
    });
  }

  get log(): Logger {
    return this.parts.log;
  }

  async start(): Promise<void> {
    const { config, log } = this.parts;
    log.info({ etcd: config.etcdEndpoints, bgpAddress: config.bgpAddress4 }, 'starting');
    const { preserved } = await this.parts.dataplane.routes.start();
    this.preserved = preserved;
    if (preserved) this.learned.startGrace(RESTART_GRACE_MS);
    if (preserved) log.info('kernel routes from a previous run found: keeping them while BGP re-learns');

    await this.cluster.start();
    this.node = await this.retryEtcd('register this node', () => registerNode(this.parts.datastore, config));
    await this.retryEtcd('load endpoints', () => this.endpoints.load());
    // Our own routes must be in the speaker before any session comes up: a restarting speaker's
    // End-of-RIB tells helpers to drop whatever we did not re-send (RFC 4724 §4.1).
    await this.retryEtcd('read own blocks', () =>
      this.ownBlocks.refresh(() => this.parts.ipam.affineBlocks(config.nodeName)),
    );
    this.cluster.on('change', (s) => this.onClusterChange(s));
    this.onClusterChange(this.cluster.snapshot);
    await this.refresh();

    this.every(config.resyncIntervalMs, () => this.resync());
    this.every(1000, () => {
      this.parts.metrics.kernelRoutes.set(this.parts.dataplane.routes.ownedRouteCount());
      this.parts.metrics.eventLoopLagMax.set(this.parts.metrics.takeMaxLoopLagMs() / 1000);
    });
    log.info('running'); // the node name is in every line already (logger base)
  }

  /** Stops timers and the cluster watch. The kernel keeps its routes; peers keep ours (graceful restart). */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.cluster.stop();
    await this.staticRoutes.stop();
  }

  private every(ms: number, fn: () => unknown): void {
    const t = setInterval(() => {
      try {
        const r = fn();
        if (r instanceof Promise)
          r.catch((err) => this.log.warn({ err: (err as Error).message }, 'periodic task failed'));
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'periodic task failed');
      }
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  private async retryEtcd<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt === 0) this.log.warn({ err: (err as Error).message }, `cannot ${what} yet; retrying`);
        await new Promise((r) => setTimeout(r, Math.min(2000, 200 * 2 ** attempt)));
      }
    }
  }

  /** The BGP configuration in force for this node: defaults, "default", "node.<name>". */
  effectiveConfig(s: ClusterSnapshot = this.cluster.snapshot): EffectiveBgpConfig {
    return effectiveBgpConfig(s, this.parts.config.nodeName);
  }

  asNumber(s: ClusterSnapshot = this.cluster.snapshot): number {
    return hostAsNumber(s, this.parts.config, this.node);
  }

  /** The cluster half of hostState, re-derived only when the snapshot (or the registered node) changed. */
  private planFor(s: ClusterSnapshot): ClusterPlan {
    const cached = this.plan;
    const { logLevel } = this.parts.config; // a SIGHUP may have changed it
    if (cached && cached.snapshot === s && cached.registered === this.node && cached.logLevel === logLevel)
      return cached.plan;
    const plan = clusterPlan({
      cluster: s,
      settings: this.parts.config,
      registered: this.node,
      readPassword: (ref) => readPeerPassword(ref),
    });
    this.plan = { snapshot: s, registered: this.node, logLevel, plan };
    return plan;
  }

  routerId(): string {
    const self = this.node;
    const id = this.parts.config.bgpAddress4 ?? (self ? nodeBgpAddress(self, 4) : undefined);
    if (!id) throw new Error('this node has no IPv4 BGP address to use as router ID: start it with --bgp-address');
    return id;
  }

  /**
   * The log level in force: BGPConfiguration logSeverity ("node.<name>" over "default") while one is
   * set, else --log-level (as the last SIGHUP left it). Applied to the root logger, which every
   * child follows, so a change shows in the very next line without a restart.
   */
  applyLogLevel(s: ClusterSnapshot = this.cluster.snapshot): void {
    const log = this.parts.log;
    const { level: wanted, source } = this.planFor(s).logLevel;
    if (log.level === wanted) return;
    const change = { from: log.level, to: wanted, source };
    // said where it still shows: before the switch when going quieter, after it when going louder
    const louder = log.levels.values[wanted]! < log.levelVal;
    if (!louder) log.info(change, 'log level changed');
    log.level = wanted;
    if (louder) log.info(change, 'log level changed');
  }

  /**
   * Every resource in etcd this agent does not apply, one line each: refused when read (see
   * admission.ts) or refused by the speaker (a BGPPeer whose session cannot be set up).
   */
  rejectedResources(): RejectedResource[] {
    const out = [...this.cluster.rejected];
    for (const h of this.bgp?.heldPeers() ?? []) {
      if (out.some((r) => r.kind === 'BGPPeer' && r.name === h.source)) continue;
      out.push({ kind: 'BGPPeer', name: h.source, reason: `peer ${h.address}: ${h.problem}`, lastGoodKept: false });
    }
    for (const r of this.staticRoutes.refused)
      out.push({ kind: 'Node', name: r.node, reason: r.reason, lastGoodKept: false });
    return out;
  }

  private countRejected(): void {
    const byKind = new Map<string, number>();
    for (const r of this.rejectedResources()) byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
    this.parts.metrics.rejectedResources.reset();
    for (const [kind, n] of byKind) this.parts.metrics.rejectedResources.set({ kind }, n);
  }

  /** Re-plans everything that depends on the cluster's configuration. */
  private onClusterChange(s: ClusterSnapshot): void {
    try {
      this.applyCluster(s);
    } finally {
      this.countRejected();
    }
  }

  private applyCluster(s: ClusterSnapshot): void {
    try {
      const self = s.nodes.find((n) => n.metadata.name === this.parts.config.nodeName);
      if (self) this.node = self;
      const plan = this.planFor(s);
      this.applyLogLevel(s);
      if (this.applyRoutingMode(s, plan) === 'Static') {
        this.applyNat(plan);
        this.applyAnnouncements();
        return;
      }
      this.ensureSpeaker(s, plan);
      const bgp = this.bgp!;
      bgp.setPools(plan.importPolicy.pools);
      bgp.setFilters(plan.importPolicy.filters);
      this.applyAnnouncements();
      bgp.applyPeers(plan.peers);
      this.applyNat(plan);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'applying the cluster configuration failed');
      this.parts.metrics.errors.inc({ component: 'cluster' });
    }
  }

  private applyNat(plan: ClusterPlan): void {
    const { natPools, allPools } = plan.nat;
    void this.parts.dataplane.routes
      .setNatOutgoing(natPools, allPools)
      .catch((err) => this.log.warn({ err: (err as Error).message }, 'nat-outgoing update failed'));
  }

  /**
   * Static: the static reconciler owns the kernel's routes to other hosts; a running speaker is
   * detached (its withdrawals no longer reach the kernel) and stopped after MODE_HANDOFF_MS.
   * Back to BGP: the static routes stay as if from a restart (RESTART_GRACE_MS) until BGP has
   * learned them again, so neither switch loses a route.
   */
  private applyRoutingMode(_s: ClusterSnapshot, plan: ClusterPlan): 'BGP' | 'Static' {
    const mode = plan.routingMode;
    if (mode === 'Static') {
      this.staticRoutes.apply(plan.nodes);
      const bgp = this.bgp;
      if (bgp) {
        this.log.info({ handoffMs: MODE_HANDOFF_MS }, 'routing mode Static: BGP sessions close after the hand-off');
        this.bgp = undefined;
        this.learned.attach(undefined);
        this.parts.metrics.peerSource = () => [];
        const timer = setTimeout(() => {
          this.handoff = undefined;
          void bgp.stop('tsroute: routing mode changed to Static');
        }, MODE_HANDOFF_MS);
        timer.unref();
        this.handoff = { bgp, identity: this.speakerIdentity, timer };
        this.speakerIdentity = '';
      }
      return mode;
    }
    if (this.staticRoutes.active) {
      this.log.info('routing mode BGP: static routes stay until BGP has learned them again');
      void this.staticRoutes.stop();
      if (this.handoff) {
        // switched back before the old speaker stopped: it carries on
        clearTimeout(this.handoff.timer);
        this.bgp = this.handoff.bgp;
        this.speakerIdentity = this.handoff.identity;
        const bgp = this.bgp;
        this.parts.metrics.peerSource = () => peerSamples(bgp);
        this.learned.attach(bgp.speaker);
        this.handoff = undefined;
      }
      this.learned.startGrace(RESTART_GRACE_MS);
    }
    return mode;
  }

  /**
   * Creates the speaker, or re-creates it when the AS, router ID, cluster ID or listen port changed
   * (timers are per session and change through the peer plan without touching the others).
   */
  private ensureSpeaker(_s: ClusterSnapshot, plan: ClusterPlan): void {
    const id = plan.speaker;
    if (!id.routerId)
      throw new Error('this node has no IPv4 BGP address to use as router ID: start it with --bgp-address');
    const identity = JSON.stringify([id.asn, id.routerId, id.clusterId, id.listenPort]);
    if (this.bgp && identity === this.speakerIdentity) return;
    const old = this.bgp;
    if (old) {
      this.log.info('AS, router ID, cluster ID or listen port changed: restarting the BGP speaker');
      void old.stop('tsroute: BGP configuration changed');
    }
    const bgp = new BgpController({
      asn: id.asn,
      routerId: id.routerId,
      clusterId: id.clusterId,
      listenPort: id.listenPort,
      address4: id.address4,
      address6: id.address6,
      gracefulRestartTime: id.gracefulRestartTime,
      restarting: this.preserved && !old,
      shutdowns: old?.shutdowns,
      logger: this.log,
    });
    bgp.speaker.on('max-prefix-warning', (e) => this.parts.metrics.maxPrefixWarnings.inc({ peer: e.address }));
    bgp.onBestPath((e) => this.onBestPath(bgp, e));
    bgp.speaker.on('peer-state', (e) => {
      const peer = bgp.peers().find((p) => p.address === e.address);
      // the one line per state change (the speaker only emits the event)
      this.log.info(
        { peer: e.address, peerAs: peer?.asNumber, type: peer?.type, from: e.from, to: e.to, reason: e.reason },
        'BGP session state',
      );
      if (peer) this.events.emit({ event: 'peer', peer: { peer, previousState: e.from } });
      const counts: Record<string, number> = {};
      for (const p of bgp.peers()) counts[p.state] = (counts[p.state] ?? 0) + 1;
      this.parts.metrics.peers.reset();
      for (const [state, n] of Object.entries(counts)) this.parts.metrics.peers.set({ state }, n);
    });
    this.parts.metrics.peerSource = () => peerSamples(bgp);
    this.learned.attach(bgp.speaker);
    this.bgp = bgp;
    this.speakerIdentity = identity;
    bgp.start().catch((err) => {
      this.log.error({ err: (err as Error).message, port: id.listenPort }, 'BGP speaker failed to listen');
      this.parts.metrics.errors.inc({ component: 'bgp' });
    });
    bgp.applyAnnouncements(new Map());
  }

  private onBestPath(bgp: BgpController, e: BestPathEvent): void {
    // the old speaker of a BGP → Static hand-off still runs: its changes no longer reach the kernel
    if (bgp === this.bgp) this.learned.bestPathChanged(e.prefix, e.withdrawn || e.local ? undefined : e.nextHops);
    if (this.events.subscriberCount > 0)
      this.events.emit({
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

  /**
   * What an IPAM call changed (an endpoint added or deleted, an API allocation or release): new or
   * given-back blocks, borrowed addresses come and gone. Re-derives announcements and blackholes
   * from it at once; nothing is read back from etcd.
   */
  applyIpamChange(change: IpamChange): void {
    this.ownBlocks.apply(change);
    this.applyAnnouncements();
  }

  /** Re-reads this node's blocks and re-derives announcements and blackholes (coalesced). */
  scheduleRefresh(): void {
    if (this.refreshRunning) {
      this.refreshAgain = true;
      return;
    }
    this.refreshRunning = this.refresh()
      .catch((err) => this.log.warn({ err: (err as Error).message }, 'refreshing announcements failed'))
      .finally(() => {
        this.refreshRunning = undefined;
        if (this.refreshAgain) {
          this.refreshAgain = false;
          this.scheduleRefresh();
        }
      });
  }

  private async refresh(): Promise<void> {
    try {
      await this.ownBlocks.refresh(() => this.parts.ipam.affineBlocks(this.parts.config.nodeName));
    } catch (err) {
      // etcd away: keep announcing what we had
      this.log.debug({ err: (err as Error).message }, 'cannot read own blocks; keeping the last known');
    }
    this.applyAnnouncements();
  }

  private applyAnnouncements(): void {
    const { announcements: desired, blackholes } = addressPlan(this.planFor(this.cluster.snapshot), {
      ownBlocks: this.ownBlocks.list,
      endpointAddresses: this.endpoints.addresses(),
      extraPaths: [...this.extraPaths.values()],
    });
    this.parts.dataplane.routes.setBlackholes(blackholes);
    this.bgp?.applyAnnouncements(desired);
    // a learned route may now be hidden by (or freed from) one of our own prefixes
    this.learned.setAnnounced(new Set(desired.keys()));
  }

  addPath(prefix: string, communities: string[], med?: number): void {
    this.extraPaths.set(prefix, { prefix, communities, med });
    this.applyAnnouncements();
  }

  deletePath(prefix: string): boolean {
    const existed = this.extraPaths.delete(prefix);
    this.applyAnnouncements();
    return existed;
  }

  private async resync(): Promise<void> {
    await this.endpoints.retryPending();
    await this.refresh();
    this.learned.poke();
    try {
      const released = await this.parts.ipam.releaseEmptyBlocks(
        this.parts.config.nodeName,
        this.parts.config.emptyBlockGraceMs,
      );
      if (released.releasedBlocks.length) {
        this.log.info({ blocks: released.releasedBlocks }, 'released empty blocks');
        this.applyIpamChange(released);
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'empty-block release skipped');
    }
  }
}
