// The reconciler for the routes the dataplane owns in the main table (Calico Felix's routetable in
// spirit): desired blackholes (proto 81) and learned routes (proto 186) are diffed against what we
// applied — or, on a full sync, against what the kernel really has — and the difference is written
// over netlink in batched datagrams. Full syncs run at start, on a timer, and after errors, so a
// route someone deleted by hand comes back within one interval. Routes of other protocols are
// never read into the diff, so never changed.
//
// Blackholes are a few per host and kept as text (route-diff.ts). Learned routes can be a full
// table: they live in one LearnedTable (learned-table.ts), a row per prefix in typed arrays holding
// both what we want and what the kernel has, and batches are encoded straight from its rows.
import { addressText, canonicalPrefix, parsePrefix } from './ip-bytes.js';
import { DUMP_ATTEMPTS, dumpRawRoutes, linkNames, readRoutes } from './kernel-routes.js';
import { LearnedOps, LearnedTable, newPrefixKey, OP_ADD, OP_DELETE, parseKey } from './learned-table.js';
import { MessageWriter } from './message-writer.js';
import { errnoName, NetlinkChannel } from './netlink-channel.js';
import { nextHopsText } from './next-hop-sets.js';
import {
  decodeRoute,
  newRouteScan,
  scanRoute,
  writeDelRoute,
  writeNewRoute,
  writeNewRouteWith,
} from './route-codec.js';
import { applyOps, BLACKHOLE, type DesiredRoutes, diffRoutes, type RouteOp, type RouteValue } from './route-diff.js';
import { type OpFailure, type WriteFailure, writeMessages, writeRoutes } from './route-writer.js';
import { AF_INET, RTM_NEWROUTE, RTN_UNICAST } from './rtnetlink.js';
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
const OWNED = new Set([RTPROT_TSROUTE_BLOCK, RTPROT_BGP]);
/** Learned changes this recent mean a table is streaming in: the periodic full sync waits. */
const STREAM_QUIET_MS = 1000;
const FAMILIES = ['ipv4', 'ipv6'] as const;

export interface RouteTableOptions {
  resyncIntervalMs: number;
  log?: DataplaneLog;
  /** The namespace whose main table this reconciler owns; default: our own. */
  netnsPath?: string;
}

/** A kernel route of ours whose type is not what we write: a value nothing desired equals. */
const otherType = (r: KernelRoute): string => `(${r.type})`;

export class RouteTable {
  private readonly log: DataplaneLog;
  private channel?: NetlinkChannel;
  private blackholes = new Set<string>();
  /** Blackholes we last put in the kernel; replaced by a kernel read on every full sync. */
  private appliedBlackholes = new Map<string, RouteValue>();
  private dirtyBlackholes = new Set<string>();
  /** Learned routes: wanted and applied, per prefix (one compact table). */
  private readonly learned = new LearnedTable();
  private learnedAuthoritative = true;
  private readonly ops = new LearnedOps();
  private readonly key = newPrefixKey();
  private fullSync = true;
  /** When learned routes last changed (performance.now()). */
  private lastLearnedChange = Number.NEGATIVE_INFINITY;
  /** Compare every prefix (after a wholesale change or a kernel read), not only dirty ones. */
  private compareAll = true;
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
    await this.readKernel(channel);
    this.fullSync = false;
    this.compareAll = true;
    this.timer = setInterval(() => {
      // While a table streams in, a full sync would re-read everything we are writing anyway (a
      // million routes every few seconds): it waits for the first tick after the stream.
      if (performance.now() - this.lastLearnedChange < STREAM_QUIET_MS) return;
      this.fullSync = true;
      this.blocked.clear();
      this.queue();
    }, this.opts.resyncIntervalMs);
    this.timer.unref();
    const preserved = this.learned.installed > 0;
    // Routes that survived a restart stay until we are told the learned set is complete.
    this.learnedAuthoritative = !preserved;
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
      if (!this.blackholes.has(p)) {
        this.dirtyBlackholes.add(p);
        changed = true;
      }
    for (const p of this.blackholes)
      if (!next.has(p)) {
        this.dirtyBlackholes.add(p);
        changed = true;
      }
    this.blackholes = next;
    if (changed) this.queue();
  }

  /**
   * The whole set of learned routes. Until `authoritative` (after a restart, before the peers
   * have re-sent their tables), routes missing from it are kept in the kernel.
   */
  setLearned(routes: readonly LearnedRoute[], authoritative: boolean): void {
    this.learned.wantNothing();
    for (const r of routes) this.wantLearned(r.prefix, r.nextHops);
    this.learnedAuthoritative = authoritative;
    this.compareAll = true;
    this.queue();
  }

  /** Changes since the last call: next hops, or undefined for a route that is gone. */
  updateLearned(changes: ReadonlyMap<string, readonly string[] | undefined>): void {
    for (const [prefix, nextHops] of changes) this.wantLearned(prefix, nextHops);
    if (changes.size) {
      this.lastLearnedChange = performance.now();
      this.queue();
    }
  }

  private wantLearned(prefix: string, nextHops: readonly string[] | undefined): void {
    const k = this.key;
    if (!parseKey(prefix, k)) {
      this.log.warn({ prefix }, 'learned route with an invalid prefix ignored');
      return;
    }
    const set = nextHops?.length ? this.learned.sets.intern(nextHopsText(nextHops)) : 0;
    this.learned.want(k.family, k.words, k.len, set);
  }

  /** How many routes of ours (blackholes and learned) the kernel has, as far as we know. */
  ownedRouteCount(): number {
    return this.appliedBlackholes.size + this.learned.installed;
  }

  /** Learned routes wanted in the kernel, as [prefix, next hops joined by ','] (tests). */
  wantedLearned(): [string, string][] {
    return [...this.learned.wanted()];
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

  /**
   * What of ours the kernel has, into `appliedBlackholes` and the learned table's applied column:
   * one dump per family, learned routes decoded straight into the table.
   */
  private async readKernel(channel: NetlinkChannel): Promise<void> {
    const blackholes = new Map<string, RouteValue>();
    const k = this.key;
    const learned = this.learned;
    const scan = newRouteScan();
    for (const family of [0, 1] as const)
      for (let attempt = 1; ; attempt++) {
        const found: [string, RouteValue][] = [];
        learned.forgetHave(family);
        // a table has few gateways: the set id of an IPv4 gateway, by its 32 bits
        const byGateway = new Map<number, number>();
        const slow = (buf: Buffer, start: number, end: number) => {
          const r = decodeRoute({ type: RTM_NEWROUTE, flags: 0, seq: 0, payload: buf.subarray(start, end) });
          if (!r) return;
          if (r.protocol === RTPROT_TSROUTE_BLOCK) {
            found.push([r.prefix, r.type === 'blackhole' ? BLACKHOLE : otherType(r)]);
            return;
          }
          if (!parseKey(r.prefix, k) || k.family !== family) return;
          const value = r.type === 'unicast' && r.nextHops.length ? nextHopsText(r.nextHops) : otherType(r);
          learned.setHave(family, k.words, k.len, learned.sets.intern(value));
        };
        const { interrupted } = await dumpRawRoutes(channel, FAMILIES[family], OWNED, (buf, start, end) => {
          // the common learned route — main table, one IPv4 gateway — read in place
          const r = scanRoute(buf, start, end, scan);
          if (
            !r.plain ||
            r.protocol !== RTPROT_BGP ||
            r.af !== AF_INET ||
            r.type !== RTN_UNICAST ||
            r.gateway < 0 ||
            (r.dst < 0 && r.dstLen !== 0)
          ) {
            slow(buf, start, end);
            return;
          }
          k.words[0] = r.dst < 0 ? 0 : buf.readInt32BE(r.dst);
          const gw = buf.readUInt32BE(r.gateway);
          let set = byGateway.get(gw);
          if (set === undefined) {
            set = learned.sets.intern(addressText(buf.subarray(r.gateway, r.gateway + 4)));
            byGateway.set(gw, set);
          }
          learned.setHave(0, k.words, r.dstLen, set);
        });
        if (!interrupted || attempt === DUMP_ATTEMPTS) {
          for (const [p, v] of found) blackholes.set(p, v);
          break;
        }
      }
    this.appliedBlackholes = blackholes;
  }

  /** One pass: (kernel read,) diff, write, account for what failed. */
  private async reconcile(): Promise<void> {
    const channel = this.requireChannel();
    if (this.fullSync) {
      this.fullSync = false;
      await this.readKernel(channel);
      this.compareAll = true;
    }
    const all = this.compareAll;
    this.compareAll = false;
    const desired: DesiredRoutes = { blackholes: this.blackholes, learned: NO_LEARNED, learnedAuthoritative: true };
    const changed = all ? undefined : { blackholes: this.dirtyBlackholes, learned: [] };
    this.dirtyBlackholes = new Set();
    const blackholeOps = diffRoutes(desired, { blackholes: this.appliedBlackholes, learned: new Map() }, changed);
    const ops = this.ops;
    ops.reset();
    this.learned.diff(ops, all, !this.learnedAuthoritative);
    if (blackholeOps.length === 0 && ops.length === 0) {
      this.learned.prune();
      return;
    }
    const t0 = performance.now();
    const failed = blackholeOps.length ? await writeRoutes(channel, blackholeOps) : [];
    this.accountBlackholes(blackholeOps, failed);
    const learnedFailed = ops.length ? await writeMessages(channel, ops.length, this.encodeLearned) : [];
    this.accountLearned(learnedFailed);
    this.log.debug(
      {
        changes: blackholeOps.length + ops.length,
        failed: failed.length + learnedFailed.length,
        ms: +(performance.now() - t0).toFixed(1),
      },
      'kernel routes reconciled',
    );
  }

  /** Operation `i` of the learned ops as a netlink message, from the table's row. */
  private readonly encodeLearned = (w: MessageWriter, seq: number, i: number): void => {
    const ops = this.ops;
    const dst = this.learned.dst(ops.family[i] as 0 | 1, ops.row[i]!);
    if (ops.action[i] === OP_DELETE) {
      writeDelRoute(w, seq, dst, RTPROT_BGP, 'unicast');
      return;
    }
    const nextHops = this.learned.sets.attributesOf(ops.value[i]!, ops.family[i] as 0 | 1);
    writeNewRouteWith(w, seq, ops.action[i] === OP_ADD ? 'create' : 'replace', dst, RTPROT_BGP, nextHops);
  };

  /** Records the blackholes that were written; a failure leaves its old value and schedules a retry. */
  private accountBlackholes(ops: readonly RouteOp[], failures: readonly OpFailure[]): void {
    const failed = new Map(failures.map((f) => [f.op, f]));
    const succeeded: RouteOp[] = [];
    const results: Result[] = [];
    for (const op of ops) {
      const f = failed.get(op);
      const r = this.judge(
        op.action === 'add' ? OP_ADD : op.action === 'delete' ? OP_DELETE : 0,
        `blackhole ${op.prefix}`,
        f,
      );
      if (r === OK) succeeded.push(op);
      else results.push({ result: r, what: `${op.action} ${op.prefix} ${op.value}`, prefix: op.prefix, failure: f! });
    }
    const state = { blackholes: this.appliedBlackholes, learned: new Map<string, RouteValue>() };
    applyOps(state, succeeded);
    this.report(results, failures.length);
  }

  /** Records the learned routes that were written, then drops rows nobody wants any more. */
  private accountLearned(failures: readonly WriteFailure[]): void {
    const ops = this.ops;
    const table = this.learned;
    const failed = failures.length ? new Map(failures.map((f) => [f.index, f])) : undefined;
    const results: Result[] = [];
    for (let i = 0; i < ops.length; i++) {
      const f = failed?.get(i);
      if (!f && !this.blocked.size) {
        table.applied(ops, i);
        continue;
      }
      const fam = ops.family[i] as 0 | 1;
      const prefix = table.text(fam, ops.row[i]!);
      const r = this.judge(ops.action[i]!, `learned ${prefix}`, f);
      if (r === OK) table.applied(ops, i);
      else
        results.push({
          result: r,
          what: `${ACTION_NAMES[ops.action[i]!]} ${prefix} ${table.sets.text(ops.value[i]!)}`,
          prefix,
          failure: f!,
        });
    }
    table.prune();
    this.report(results, failures.length);
  }

  /** What a write's answer means: done, held by another owner's route, or to retry. */
  private judge(action: number, id: string, f: { errno: number } | undefined): number {
    if (!f || (action === OP_DELETE && f.errno === ESRCH)) {
      this.blocked.delete(id);
      return OK;
    }
    if (action === OP_ADD && f.errno === EEXIST) {
      // another owner's route holds this destination: it stays, ours is tried again on the next sync
      if (this.blocked.has(id)) return KNOWN_BLOCKED;
      this.blocked.add(id);
      return BLOCKED;
    }
    return RETRY;
  }

  private report(results: readonly Result[], failures: number): void {
    const newlyBlocked = results.filter((r) => r.result === BLOCKED).map((r) => r.prefix);
    const retries = results.filter((r) => r.result === RETRY);
    if (newlyBlocked.length)
      this.log.warn(
        { count: newlyBlocked.length, prefixes: newlyBlocked.slice(0, 5) },
        'routes not installed: a route of another owner holds the destination',
      );
    if (retries.length) {
      const examples = retries.slice(0, 5).map((r) => `${r.what}: ${r.failure.reason ?? errnoName(r.failure.errno)}`);
      this.log.debug({ failed: failures, examples }, 'some route changes failed; a full sync follows');
      this.scheduleRetry();
    } else if (!this.retryTimer) this.retryMs = RETRY_FIRST_MS;
  }
}

const NO_LEARNED: ReadonlyMap<string, RouteValue> = new Map();
const ACTION_NAMES = ['', 'add', 'replace', 'delete'];
const OK = 0;
const BLOCKED = 1;
const KNOWN_BLOCKED = 2;
const RETRY = 3;

interface Result {
  result: number;
  what: string;
  prefix: string;
  failure: { errno: number; reason?: string };
}
