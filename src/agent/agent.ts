// `tsroute node run`: one process per host that turns etcd state into a routed container network.
// This file is the wiring (docs/DESIGN.md, "The agent's pipeline"); each job is its own part:
//   cluster change (watch) → clusterPlan (host-state.ts) → BgpReconciler (speaker, sessions), NAT
//   IPAM change (an add, a delete: the call's own result) → OwnBlocks → addressPlan → blackholes,
//                             announcements (BgpReconciler), LearnedRoutes.setAnnounced
//   best path change (BGP) → LearnedRoutes (batching, restart grace) → kernel routes (RTPROT_BGP)
// A timer re-does all of it, so a missed event or an etcd outage only delays convergence.
import { type Datastore, type EtcdOptions, IPAM_PREFIX } from '../datastore/index.js';
import { type Node, nodeBgpAddress } from '../model/index.js';
import type { RejectedResource } from './admission.js';
import type { BgpController, BgpControllerOptions } from './bgp-controller.js';
import { BgpReconciler, RESTART_GRACE_MS } from './bgp-reconciler.js';
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
import { LinkPeers } from './link-peers.js';
import type { Logger } from './logger.js';
import type { AgentMetrics } from './metrics.js';
import { OwnBlocks } from './own-blocks.js';
import { readPeerPassword } from './peer-password.js';
import type { Dataplane, IpamView } from './ports.js';
import { registerNode } from './register-node.js';
import { StaticRoutes } from './static-routes.js';
import { Coalesced, Timers } from './timers.js';

export interface AgentParts {
  config: AgentConfig;
  log: Logger;
  metrics: AgentMetrics;
  datastore: Datastore;
  ipam: IpamView;
  dataplane: Dataplane;
  version: string;
  /** The speaker port (default: a BgpController on the configured listen port). */
  newBgpController?: (options: BgpControllerOptions) => BgpController;
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
  /** The speaker: routing mode, identity, import policy, sessions (bgp-reconciler.ts). */
  private readonly speakers: BgpReconciler;
  node?: Node;
  readonly startedAt = Date.now();
  /** Best-path changes into the kernel: batching, the restart grace, what is dirty. */
  readonly learned: LearnedRoutes;
  private readonly ownBlocks = new OwnBlocks();
  /** The last cluster plan, with the inputs it was made from. */
  private plan?: { snapshot: ClusterSnapshot; registered?: Node; logLevel: string; links: number; plan: ClusterPlan };
  /** Unnumbered peers: their link-local addresses, our RAs, link-local next hops' interfaces. */
  private readonly linkPeers: LinkPeers;
  private extraPaths = new Map<string, { prefix: string; communities?: string[]; med?: number }>();
  private readonly timers: Timers;
  /** Re-reads this node's blocks and re-derives announcements and blackholes (one at a time). */
  private readonly refresher: Coalesced;
  private preserved = false;

  constructor(readonly parts: AgentParts) {
    const { config, log, datastore } = parts;
    this.timers = new Timers(log);
    this.refresher = new Coalesced(
      () => this.refresh(),
      (err) => log.warn({ err: err.message }, 'refreshing announcements failed'),
    );
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
        this.applyIpamChange(change, endpoint.addresses);
      },
      (change) => this.applyIpamChange(change),
    );
    this.linkPeers = new LinkPeers(log.child({ component: 'link-peers' }), () =>
      this.onClusterChange(this.cluster.snapshot),
    );
    const routes = parts.dataplane.routes;
    const links = this.linkPeers;
    this.learned = new LearnedRoutes({
      // a link-local next hop goes to the kernel with its link ("fe80::1%3": via inet6 fe80::1 dev X)
      routes: {
        setLearned: (all, authoritative) =>
          routes.setLearned(
            links.active ? all.map((r) => ({ prefix: r.prefix, nextHops: links.scope(r.nextHops) })) : all,
            authoritative,
          ),
        updateLearned: (changes) =>
          routes.updateLearned(
            links.active
              ? new Map([...changes].map(([prefix, hops]) => [prefix, hops && links.scope([...hops])]))
              : changes,
          ),
      },
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
    this.speakers = new BgpReconciler({
      log,
      metrics: parts.metrics,
      events: this.events,
      learned: this.learned,
      staticRoutes: this.staticRoutes,
      preserved: () => this.preserved,
      newController: parts.newBgpController,
    });
  }

  /** The running BGP speaker (undefined in Static mode). */
  get bgp(): BgpController | undefined {
    return this.speakers.current;
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
    this.node = await this.timers.retry('register this node', () => registerNode(this.parts.datastore, config));
    await this.timers.retry('load endpoints', () => this.endpoints.load());
    // Our own routes must be in the speaker before any session comes up: a restarting speaker's
    // End-of-RIB tells helpers to drop whatever we did not re-send (RFC 4724 §4.1).
    await this.timers.retry('read own blocks', () =>
      this.ownBlocks.refresh(() => this.parts.ipam.affineBlocks(config.nodeName)),
    );
    this.cluster.on('change', (s) => this.onClusterChange(s));
    this.onClusterChange(this.cluster.snapshot);
    await this.refresh();

    this.timers.every(config.resyncIntervalMs, () => this.resync());
    this.timers.every(1000, () => {
      this.parts.metrics.kernelRoutes.set(this.parts.dataplane.routes.ownedRouteCount());
      this.parts.metrics.eventLoopLagMax.set(this.parts.metrics.takeMaxLoopLagMs() / 1000);
    });
    log.info('running'); // the node name is in every line already (logger base)
  }

  /** Stops timers and the cluster watch. The kernel keeps its routes; peers keep ours (graceful restart). */
  async stop(): Promise<void> {
    this.timers.stop();
    this.linkPeers.close();
    await this.cluster.stop();
    await this.staticRoutes.stop();
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
    const links = this.linkPeers.version;
    if (
      cached &&
      cached.snapshot === s &&
      cached.registered === this.node &&
      cached.logLevel === logLevel &&
      cached.links === links
    )
      return cached.plan;
    const plan = clusterPlan({
      cluster: s,
      settings: this.parts.config,
      registered: this.node,
      readPassword: (ref) => readPeerPassword(ref),
      linkPeer: (ifname) => this.linkPeers.peerOn(ifname),
    });
    this.plan = { snapshot: s, registered: this.node, logLevel, links, plan };
    return plan;
  }

  routerId(): string {
    const self = this.node;
    const id = this.parts.config.bgpAddress4 ?? (self ? nodeBgpAddress(self, 'ipv4') : undefined);
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

  /**
   * Applies the cluster's plan: routing mode and speaker first, then our announcements (they must be
   * in the speaker before a session comes up), then the sessions, then NAT.
   */
  private applyCluster(s: ClusterSnapshot): void {
    try {
      const self = s.nodes.find((n) => n.metadata.name === this.parts.config.nodeName);
      if (self) this.node = self;
      const plan = this.planFor(s);
      this.linkPeers.setScopedPeers(plan.links.scoped);
      this.linkPeers.watch(plan.links.discover, plan.links.known);
      this.applyLogLevel(s);
      this.speakers.applyPlan(plan);
      this.applyAnnouncements();
      this.speakers.applyPeers(plan);
      this.applyNat(plan);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'applying the cluster configuration failed');
      this.parts.metrics.errors.inc({ component: 'cluster' });
    }
  }

  /** The NAT reconciler: masquerade from the natOutgoing pools (re-applied on every cluster change). */
  private applyNat(plan: ClusterPlan): void {
    const { natPools, allPools } = plan.nat;
    void this.parts.dataplane.routes
      .setNatOutgoing(natPools, allPools)
      .catch((err) => this.log.warn({ err: (err as Error).message }, 'nat-outgoing update failed'));
  }

  /**
   * What an IPAM call changed (an endpoint added or deleted, an API allocation or release): new or
   * given-back blocks, borrowed addresses come and gone. Re-derives announcements and blackholes
   * from it at once; nothing is read back from etcd.
   */
  applyIpamChange(change: IpamChange, touched: readonly string[] = change.addresses): void {
    const blocksChanged = this.ownBlocks.apply(change);
    // An address inside a block we own is already covered by that block's announcement and
    // blackhole: only a block claimed or released, or an address outside our blocks (a borrowed /32
    // come or gone), changes the address plan. Re-deriving it costs time in the number of endpoints.
    if (!blocksChanged && this.ownBlocks.covers(touched)) return;
    this.applyAnnouncements();
  }

  /** Re-reads this node's blocks and re-derives announcements and blackholes (coalesced). */
  scheduleRefresh(): void {
    this.refresher.run();
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
    this.speakers.applyAnnouncements(desired);
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
