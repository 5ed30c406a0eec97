// The IPAM leak GC: one agent in the cluster, chosen by an etcd election, runs the leak check on a
// schedule and releases addresses allocated with no endpoint for longer than the grace (the check
// itself only frees a leak seen twice, same holder, a grace apart: see src/ipam/check.ts). One
// runner, not every agent, so that N agents do not race on the same observations; if the leader
// dies, its election key expires with its lease and the next candidate takes over.
import type { Event } from '../api/types.js';
import { Candidacy, type EtcdOptions } from '../datastore/index.js';
import type { Ipam } from '../ipam/index.js';
import type { Logger } from './logger.js';
import type { Counter, Gauge, MetricSet } from './prometheus-text.js';

/** The election's name (key prefix /tsroute/live/v1/election/ipam-gc/). */
export const LEAK_GC_ELECTION = 'ipam-gc';

export interface LeakGcOptions {
  etcd: EtcdOptions;
  node: string;
  graceMs: number;
  intervalMs: number;
  /** Lease TTL of the candidacy, in seconds: how long a dead leader holds the election. */
  ttlS: number;
  ipam: Pick<Ipam, 'leakCheck'>;
  /** Where its series go (the agent's metrics). */
  metrics: MetricSet;
  log: Logger;
  emit: (e: Omit<Event, 'timeUnixMs'>) => void;
  /** Called after addresses were released (our own blocks may have changed). */
  onReleased: () => void;
}

export class LeakGc {
  private readonly candidacy: Candidacy;
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly leaderGauge: Gauge;
  private readonly leaksGauge: Gauge;
  private readonly released: Counter;

  constructor(private readonly o: LeakGcOptions) {
    this.leaderGauge = o.metrics.gauge(
      'tsroute_ipam_gc_leader',
      'whether this agent is the one elected to run the IPAM leak GC',
    );
    this.leaksGauge = o.metrics.gauge(
      'tsroute_ipam_leaks',
      'leaked addresses found by the last leak check (on the elected agent)',
    );
    this.released = o.metrics.counter(
      'tsroute_ipam_leaks_released_total',
      'leaked addresses this agent released after the leak grace',
    );
    this.candidacy = new Candidacy(o.etcd, LEAK_GC_ELECTION, o.node, o.ttlS, (leader, err) =>
      this.onLeader(leader, err),
    );
  }

  get isLeader(): boolean {
    return this.candidacy.isLeader;
  }

  private onLeader(leader: boolean, err?: Error): void {
    this.leaderGauge.set(leader ? 1 : 0);
    clearInterval(this.timer);
    this.timer = undefined;
    if (!leader) {
      this.o.log.warn({ err: err?.message }, 'no longer running the IPAM leak GC');
      return;
    }
    this.o.log.info({ graceMs: this.o.graceMs, intervalMs: this.o.intervalMs }, 'elected to run the IPAM leak GC');
    this.timer = setInterval(() => void this.runOnce(), this.o.intervalMs);
    this.timer.unref();
    void this.runOnce();
  }

  /** One leak check with release; skipped when the previous one still runs. */
  async runOnce(): Promise<void> {
    if (this.running || !this.candidacy.isLeader) return;
    this.running = true;
    try {
      const r = await this.o.ipam.leakCheck({ graceMs: this.o.graceMs, release: true });
      this.leaksGauge.set(r.report.leaks.length - r.released.length);
      if (r.firstSeen.length)
        this.o.log.info(
          { addresses: r.firstSeen.map((l) => l.address), graceMs: this.o.graceMs },
          'IPAM leaks seen: released after the grace unless an endpoint claims them',
        );
      if (r.released.length) {
        this.released.inc(r.released.length);
        this.o.log.info({ addresses: r.released }, 'IPAM leaks released');
        this.o.emit({ event: 'ipam', ipam: { kind: 'leaks-released', addresses: r.released } });
      }
      if (r.cleaned.length) {
        this.o.log.info({ claims: r.cleaned }, 'half-done claims and empty blocks of gone nodes removed');
        this.o.emit({ event: 'ipam', ipam: { kind: 'claims-cleaned', addresses: r.cleaned } });
      }
      if (r.released.length || r.cleaned.length) this.o.onReleased();
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'IPAM leak check failed; next try at the next interval');
    } finally {
      this.running = false;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.candidacy.close();
  }
}
