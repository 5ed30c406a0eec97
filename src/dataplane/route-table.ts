// The reconciler for the routes the dataplane owns in the main table (Calico Felix's routetable in
// spirit): desired blackholes (proto 81) and learned routes (proto 186) are diffed against what we
// applied — or, on a full sync, against what the kernel really has — and the difference is written
// over netlink in batched datagrams. Full syncs run at start, on a timer, and after errors, so a
// route someone deleted by hand comes back within one interval. Routes of other protocols are
// never read into the diff, so never changed.
import { canonicalAddress, canonicalPrefix, parsePrefix } from './ip-bytes.js';
import { linkNames, readRoutes } from './kernel-routes.js';
import { MessageWriter } from './message-writer.js';
import { errnoName, NetlinkChannel } from './netlink-channel.js';
import { writeNewRoute } from './route-codec.js';
import {
  applyOps,
  type ChangedPrefixes,
  type DesiredRoutes,
  diffRoutes,
  emptyState,
  kernelState,
  nextHopsValue,
  type RouteOp,
  type RouteState,
  type RouteValue,
  stateSize,
} from './route-diff.js';
import { type OpFailure, writeRoutes } from './route-writer.js';
import {
  type DataplaneLog,
  GATEWAY_IPV4,
  type KernelRoute,
  type LearnedRoute,
  RTPROT_BGP,
  RTPROT_KERNEL,
  RTPROT_TSROUTE_BLOCK,
  RTPROT_TSROUTE_LOCAL,
  silentLog,
} from './types.js';

/** lo's index in every network namespace (LOOPBACK_IFINDEX). */
const LOOPBACK_IFINDEX = 1;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 5000;
const EEXIST = 17;
const ESRCH = 3;

export interface RouteTableOptions {
  resyncIntervalMs: number;
  log?: DataplaneLog;
  /** The namespace whose main table this reconciler owns; default: our own. */
  netnsPath?: string;
}

const canonicalHops = (hops: readonly string[]) =>
  nextHopsValue(hops.some((h) => h.includes(':')) ? hops.map(canonicalAddress) : hops);

export class RouteTable {
  private readonly log: DataplaneLog;
  private channel?: NetlinkChannel;
  private readonly desired: {
    blackholes: Set<string>;
    learned: Map<string, RouteValue>;
    learnedAuthoritative: boolean;
  } = { blackholes: new Set(), learned: new Map(), learnedAuthoritative: true };
  /** What we last put in the kernel; replaced by a kernel read on every full sync. */
  private applied: RouteState = emptyState();
  private fullSync = true;
  /** Compare every prefix (after a wholesale change or a kernel read), not only `dirty` ones. */
  private compareAll = true;
  private dirty = { blackholes: new Set<string>(), learned: new Set<string>() };
  /** "kind prefix" of destinations held by someone else's route, reported once each. */
  private readonly blocked = new Set<string>();
  private queued = false;
  private running?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private retryMs = RETRY_FIRST_MS;
  private idle: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly opts: RouteTableOptions) {
    this.log = opts.log ?? silentLog;
  }

  /**
   * Opens the netlink socket, reads what of ours the kernel has, and starts the resync timer.
   * Learned routes already there mean forwarding state survived a restart.
   */
  async start(): Promise<{ preserved: boolean }> {
    const channel = NetlinkChannel.open(this.opts.netnsPath);
    this.channel = channel;
    // Containers that a runtime configured itself (Docker) ARP for their gateway 169.254.1.1, and
    // proxy ARP only answers for an address the host routes out of another interface. A host route
    // on lo is such a route (lab hosts, and some real ones, have no default route).
    const w = new MessageWriter(128);
    writeNewRoute(w, channel.nextSeq(), 'replace', {
      dst: parsePrefix(`${GATEWAY_IPV4}/32`),
      protocol: RTPROT_TSROUTE_LOCAL,
      type: 'unicast',
      oif: LOOPBACK_IFINDEX,
    });
    const { errors } = await channel.transact(w);
    for (const errno of errors.values()) throw new Error(`route ${GATEWAY_IPV4}/32 dev lo: ${errnoName(errno)}`);
    const current = await readRoutes(channel, new Set([RTPROT_TSROUTE_BLOCK, RTPROT_BGP]));
    this.applied = kernelState(current);
    this.fullSync = false;
    this.compareAll = true;
    this.timer = setInterval(() => {
      this.fullSync = true;
      this.blocked.clear();
      this.queue();
    }, this.opts.resyncIntervalMs);
    this.timer.unref();
    const preserved = current.some((r) => r.protocol === RTPROT_BGP);
    // Routes that survived a restart stay until we are told the learned set is complete.
    this.desired.learnedAuthoritative = !preserved;
    return { preserved };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    await this.running;
    this.channel?.close();
    for (const resolve of this.idle.splice(0)) resolve();
  }

  setBlackholes(prefixes: readonly string[]): void {
    const next = new Set(prefixes.map(canonicalPrefix));
    // Only the blocks that changed: this is called on every endpoint change.
    let changed = false;
    for (const p of next)
      if (!this.desired.blackholes.has(p)) {
        this.dirty.blackholes.add(p);
        changed = true;
      }
    for (const p of this.desired.blackholes)
      if (!next.has(p)) {
        this.dirty.blackholes.add(p);
        changed = true;
      }
    this.desired.blackholes = next;
    if (changed) this.queue();
  }

  /**
   * The whole set of learned routes. Until `authoritative` (after a restart, before the peers
   * have re-sent their tables), routes missing from it are kept in the kernel.
   */
  setLearned(routes: readonly LearnedRoute[], authoritative: boolean): void {
    this.desired.learned = new Map(routes.map((r) => [canonicalPrefix(r.prefix), canonicalHops(r.nextHops)]));
    this.desired.learnedAuthoritative = authoritative;
    this.compareAll = true;
    this.queue();
  }

  /** Changes since the last call: next hops, or undefined for a route that is gone. */
  updateLearned(changes: ReadonlyMap<string, readonly string[] | undefined>): void {
    for (const [raw, nextHops] of changes) {
      const prefix = canonicalPrefix(raw);
      if (nextHops?.length) this.desired.learned.set(prefix, canonicalHops(nextHops));
      else this.desired.learned.delete(prefix);
      this.dirty.learned.add(prefix);
    }
    if (changes.size) this.queue();
  }

  /** How many routes of ours (blackholes and learned) the kernel has, as far as we know. */
  ownedRouteCount(): number {
    return stateSize(this.applied);
  }

  /** Resolves once everything asked for so far has been written (or has failed and is scheduled for a retry). */
  flush(): Promise<void> {
    if (!this.queued && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /**
   * The subnets this host is attached to: the kernel's own routes (proto kernel, made for each
   * interface address) without a gateway. A next hop inside one is reachable without a router.
   */
  async connectedPrefixes(): Promise<string[]> {
    const routes = await readRoutes(this.requireChannel(), new Set([RTPROT_KERNEL]));
    return routes.filter((r) => r.type === 'unicast' && r.nextHops.length === 0).map((r) => r.prefix);
  }

  /** Our routes as the kernel has them, endpoint routes (proto 80) included, with device names. */
  async kernelRoutes(): Promise<KernelRoute[]> {
    const channel = this.requireChannel();
    const routes = await readRoutes(channel, new Set([RTPROT_TSROUTE_LOCAL, RTPROT_TSROUTE_BLOCK, RTPROT_BGP]));
    const names = await linkNames(channel);
    for (const r of routes) if (r.oif) r.dev = names.get(r.oif);
    return routes;
  }

  private requireChannel(): NetlinkChannel {
    if (!this.channel) throw new Error('RouteTable.start() has not been called');
    return this.channel;
  }

  private queue(): void {
    if (this.queued || this.stopped || !this.channel) return;
    this.queued = true;
    setImmediate(() => {
      if (this.running) return; // the running pass queues the next one when it ends
      this.queued = false;
      this.running = this.reconcile()
        .catch((err) => {
          // answers were lost or the socket failed: what the kernel has is unknown
          this.log.warn({ err: (err as Error).message }, 'route reconciliation failed; a full sync follows');
          this.fullSync = true;
          this.scheduleRetry();
        })
        .finally(() => {
          this.running = undefined;
          if (this.queued) {
            this.queued = false;
            this.queue();
          } else for (const resolve of this.idle.splice(0)) resolve();
        });
    });
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.fullSync = true;
      this.queue();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  /** One pass: (kernel read,) diff, write, account for what failed. */
  private async reconcile(): Promise<void> {
    const channel = this.requireChannel();
    if (this.fullSync) {
      this.fullSync = false;
      this.applied = kernelState(await readRoutes(channel, new Set([RTPROT_TSROUTE_BLOCK, RTPROT_BGP])));
      this.compareAll = true;
    }
    const desired: DesiredRoutes = this.desired;
    let changed: ChangedPrefixes | undefined = this.dirty;
    this.dirty = { blackholes: new Set(), learned: new Set() };
    if (this.compareAll) {
      this.compareAll = false;
      changed = undefined;
    }
    const ops = diffRoutes(desired, this.applied, changed);
    if (ops.length === 0) return;
    const t0 = performance.now();
    const failures = await writeRoutes(channel, ops);
    this.account(ops, failures);
    this.log.debug(
      { changes: ops.length, failed: failures.length, ms: +(performance.now() - t0).toFixed(1) },
      'kernel routes reconciled',
    );
  }

  /** Records what succeeded in `applied`; a failure leaves its old value and schedules a retry. */
  private account(ops: readonly RouteOp[], failures: readonly OpFailure[]): void {
    if (failures.length === 0) {
      applyOps(this.applied, ops);
      if (this.blocked.size) for (const op of ops) this.blocked.delete(`${op.kind} ${op.prefix}`);
      if (!this.retryTimer) this.retryMs = RETRY_FIRST_MS;
      return;
    }
    const failed = new Map(failures.map((f) => [f.op, f]));
    const succeeded: RouteOp[] = [];
    let retry = false;
    const newlyBlocked: string[] = [];
    const errors: string[] = [];
    for (const op of ops) {
      const f = failed.get(op);
      const id = `${op.kind} ${op.prefix}`;
      if (!f || (op.action === 'delete' && f.errno === ESRCH)) {
        succeeded.push(op);
        this.blocked.delete(id);
        continue;
      }
      if (op.action === 'add' && f.errno === EEXIST) {
        // another owner's route holds this destination: it stays, ours is tried again on the next sync
        if (!this.blocked.has(id)) newlyBlocked.push(op.prefix);
        this.blocked.add(id);
        continue;
      }
      retry = true;
      if (errors.length < 5) errors.push(`${op.action} ${op.prefix} ${op.value}: ${f.reason ?? errnoName(f.errno)}`);
    }
    applyOps(this.applied, succeeded);
    if (newlyBlocked.length)
      this.log.warn(
        { count: newlyBlocked.length, prefixes: newlyBlocked.slice(0, 5) },
        'routes not installed: a route of another owner holds the destination',
      );
    if (retry) {
      this.log.debug({ failed: failures.length, examples: errors }, 'some route changes failed; a full sync follows');
      this.scheduleRetry();
    } else if (!this.retryTimer) this.retryMs = RETRY_FIRST_MS;
  }
}
