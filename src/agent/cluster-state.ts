// The cluster's configuration as this agent last saw it: pools, nodes, peers, filters and BGP
// configuration. Kept current by an etcd watch for speed, and by a full re-read on a timer for
// certainty (a watch can miss events across an etcd outage). When etcd is away the last good
// snapshot stays in force: sessions and routes do not depend on etcd being up.
import { EventEmitter } from 'node:events';
import type { Datastore } from '../datastore/index.js';
import type { Kind } from '../model/index.js';
import { Admission, type RejectedResource } from './admission.js';
import type { ClusterSnapshot } from './cluster-snapshot.js';
import type { Logger } from './logger.js';
import { Coalesced, jitteredBackoffMs } from './timers.js';

export type { ClusterSnapshot } from './cluster-snapshot.js';

/** The kinds the snapshot holds: only their keys are watched (not IPAM's or the endpoints', which
 * change with every container on every host and would reach every agent for nothing). */
const WATCHED: Kind[] = ['IPPool', 'Node', 'BGPPeer', 'BGPFilter', 'BGPConfiguration'];

export interface ClusterStateEvents {
  change: [ClusterSnapshot];
  connection: [boolean];
}

export class ClusterState extends EventEmitter<ClusterStateEvents> {
  /** What the agent applies: the resources in etcd that passed validation (see admission.ts). */
  snapshot: ClusterSnapshot = { pools: [], nodes: [], peers: [], filters: [], configs: [] };
  /** The resources in etcd the agent does not apply, and why. */
  rejected: RejectedResource[] = [];
  connected = false;
  private readonly admission = new Admission();
  private fingerprint = '';
  /** Reads started and the newest one applied (see `reload`). */
  private readsStarted = 0;
  private readApplied = 0;
  private timer?: NodeJS.Timeout;
  private stopWatch?: () => Promise<void>;
  /** A watch being set up: the timer does not start a second one meanwhile. */
  private watching = false;
  private reloadQueued?: NodeJS.Timeout;
  private stopped = false;
  /**
   * Reloads asked for by watch events and the timer, one at a time: those asked while one runs
   * become one more after it. When etcd is slow (100 agents starting at once, each registering its
   * Node, which every other agent sees), reloads never pile up behind each other: an agent has at
   * most one read of the cluster in flight, however many events arrive meanwhile.
   */
  private readonly reloads = new Coalesced(
    async () => {
      if (!this.stopped) await this.reload();
    },
    () => {},
  );

  constructor(
    private readonly datastore: Datastore,
    private readonly log: Logger,
    private readonly reloadIntervalMs: number,
  ) {
    super();
  }

  /** Reads everything once (waiting for etcd if it is away, with a jittered back-off), then follows changes. */
  async start(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (await this.reload()) break;
      if (this.stopped) return;
      if (attempt === 0) this.log.warn('waiting for etcd before the first read of the cluster state');
      await new Promise((r) => setTimeout(r, jitteredBackoffMs(attempt)));
    }
    await this.ensureWatch();
    this.timer = setInterval(() => void this.tick(), this.reloadIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.reloadQueued);
    await this.stopWatch?.().catch(() => {});
  }

  private async tick(): Promise<void> {
    this.reloads.run();
    await this.ensureWatch();
  }

  private async ensureWatch(): Promise<void> {
    if (this.stopWatch || this.watching || this.stopped) return;
    this.watching = true;
    try {
      // every event under the watched kinds' keys (a value written by hand with no kind too) re-reads
      this.stopWatch = await this.datastore.watch(WATCHED, () => this.queueReload());
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'etcd watch not (yet) possible; the timer re-reads');
    } finally {
      this.watching = false;
    }
  }

  /** A burst of watch events (an `apply -f` of ten resources) becomes one reload. */
  private queueReload(): void {
    if (this.reloadQueued) return;
    this.reloadQueued = setTimeout(() => {
      this.reloadQueued = undefined;
      this.reloads.run();
    }, 10);
  }

  /**
   * Re-reads every watched kind; emits `change` when anything differs. False when etcd failed.
   * Reads can overlap (the timer's and a watch event's): one that started before a newer read
   * already applied is dropped, so an old picture never replaces a new one.
   */
  async reload(): Promise<boolean> {
    const seq = ++this.readsStarted;
    try {
      const [pools, nodes, peers, filters, configs] = await Promise.all([
        this.datastore.list('IPPool'),
        this.datastore.list('Node'),
        this.datastore.list('BGPPeer'),
        this.datastore.list('BGPFilter'),
        this.datastore.list('BGPConfiguration'),
      ]);
      this.setConnected(true);
      if (seq < this.readApplied) return true;
      this.readApplied = seq;
      const next = { pools, nodes, peers, filters, configs };
      // resourceVersion changes on every write, even a no-op one: compare the content
      const fingerprint = JSON.stringify(next, (k, v) => (k === 'resourceVersion' ? undefined : v));
      if (fingerprint !== this.fingerprint) {
        this.fingerprint = fingerprint;
        const { snapshot, rejected } = this.admission.admit(next);
        for (const r of rejected) {
          const was = this.rejected.find((x) => x.kind === r.kind && x.name === r.name);
          if (was?.reason !== r.reason)
            this.log.error({ kind: r.kind, name: r.name, lastGoodKept: r.lastGoodKept }, `not applied: ${r.reason}`);
        }
        this.rejected = rejected;
        this.snapshot = snapshot;
        this.emit('change', snapshot);
      }
      return true;
    } catch (err) {
      this.setConnected(false, (err as Error).message);
      return false;
    }
  }

  private setConnected(connected: boolean, reason?: string): void {
    if (connected === this.connected) return;
    this.connected = connected;
    if (connected) this.log.info('etcd reachable');
    else this.log.warn({ reason }, 'etcd unreachable: keeping the last known cluster state');
    this.emit('connection', connected);
  }
}
