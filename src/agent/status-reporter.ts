// Publishes this node's status in etcd under a lease, for `tsroute status`: re-written on a timer
// (the heartbeat) and soon after something a person would look at changes (a session's state, the
// endpoint count, a refused resource), at most once per second so a flapping session cannot flood
// etcd. The lease makes a crashed agent's record vanish by itself after the TTL.
import type { Status } from '../api/types.js';
import type { EtcdOptions } from '../datastore/index.js';
import { LeasedKey, type NodeStatusRecord, statusKey } from '../datastore/index.js';
import type { Logger } from './logger.js';

/** Fewest milliseconds between two writes caused by changes. */
const MIN_GAP_MS = 1000;
/** How often the cheap change fingerprint is compared. */
const POLL_MS = 250;

export interface StatusSource {
  /** The full status, as `node status` shows it. */
  status: () => Promise<Status>;
  /** Each session's state (cheap: read every 250 ms). */
  peerStates: () => { address: string; state: string }[];
  /** A cheap summary of anything else that, when it changes, should be published soon. */
  fingerprint: () => string;
  /** Whether this agent leads the leak-GC election. */
  ipamGcLeader: () => boolean;
}

/** Peers in address order, so records (and what a person compares between runs) read the same. */
function byAddress(a: { address: string }, b: { address: string }): number {
  return a.address.localeCompare(b.address, 'en', { numeric: true });
}

export function toRecord(
  s: Status,
  intervalMs: number,
  ipamGcLeader: boolean,
  since: Map<string, number>,
): NodeStatusRecord {
  return {
    node: s.node,
    version: s.version,
    heartbeatUnixMs: Date.now(),
    intervalMs,
    startedUnixMs: s.startedUnixMs,
    asNumber: s.asNumber,
    routerId: s.routerId,
    datastoreConnected: s.datastoreConnected,
    peers: [...s.peers].sort(byAddress).map((p) => ({
      address: p.address,
      asNumber: p.asNumber,
      type: String(p.type),
      state: p.state,
      sinceUnixMs: p.sinceUnixMs || since.get(p.address) || 0,
      lastError: p.state === 'Established' ? '' : p.info,
      receivedShutdownMessage: p.receivedShutdownMessage,
      prefixesReceived: p.routesReceived,
      prefixesAccepted: p.routesAccepted,
      prefixesAdvertised: p.routesAdvertised,
      routerId: p.routerId,
      bfd: p.bfd,
    })),
    blocks: s.blocks.map((b) => ({ cidr: b.cidr, inUse: b.inUse, size: b.size, borrowed: b.borrowed })),
    endpoints: s.endpointCount,
    kernelRoutes: s.kernelRouteCount,
    rejectedResources: s.rejectedResources.map((r) => ({ kind: r.kind, name: r.name, reason: r.reason })),
    ipamGcLeader,
  };
}

export class StatusReporter {
  private readonly key: LeasedKey;
  private timers: NodeJS.Timeout[] = [];
  private lastFingerprint = '';
  private lastWrite = 0;
  private writing = false;
  private failing = false;
  /** When each peer entered its current state, for peers not Established (whose since is 0). */
  private readonly since = new Map<string, number>();
  private lastStates = new Map<string, string>();

  constructor(
    etcd: EtcdOptions,
    readonly node: string,
    readonly intervalMs: number,
    ttlS: number,
    private readonly source: StatusSource,
    private readonly log: Logger,
  ) {
    this.key = new LeasedKey(etcd, statusKey(node), ttlS);
  }

  start(): void {
    void this.write();
    const beat = setInterval(() => void this.write(), this.intervalMs);
    const poll = setInterval(() => {
      const states = this.source.peerStates();
      for (const p of states) this.peerState(p.address, p.state);
      const f = this.fingerprintNow(states);
      if (f !== this.lastFingerprint && Date.now() - this.lastWrite >= MIN_GAP_MS) void this.write();
    }, POLL_MS);
    beat.unref();
    poll.unref();
    this.timers.push(beat, poll);
  }

  private fingerprintNow(states: { address: string; state: string }[]): string {
    return `${states.map((p) => `${p.address}=${p.state}`).join(',')} ${this.source.fingerprint()}`;
  }

  /** Notes when a peer's state changed. */
  private peerState(address: string, state: string): void {
    if (this.lastStates.get(address) === state) return;
    this.lastStates.set(address, state);
    this.since.set(address, Date.now());
  }

  private async write(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      this.lastFingerprint = this.fingerprintNow(this.source.peerStates());
      this.lastWrite = Date.now();
      const record = toRecord(await this.source.status(), this.intervalMs, this.source.ipamGcLeader(), this.since);
      await this.key.put(record);
      if (this.failing) this.log.info('node status written to etcd again');
      this.failing = false;
    } catch (err) {
      // etcd away: the record expires with its lease, which is what `tsroute status` should then show
      if (!this.failing) this.log.warn({ err: (err as Error).message }, 'cannot write node status to etcd');
      this.failing = true;
    } finally {
      this.writing = false;
    }
  }

  /** Stops the heartbeat; the record is deleted at once (a clean stop is not a crash). */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.key.close();
  }
}
