// Learned routes into the kernel: the agent's one path from a best-path change in the speaker to the
// route table. It keeps no copy of the learned table: a best-path event only marks its prefix (with
// the next hops the event carries), and anything else that needs a best path — a full pass, a prefix
// freed from or hidden by one of our own announcements — reads it from the speaker's Loc-RIB.
//
// It owns the three things that decide *when* the kernel hears of a change:
//   batching  — changes gathered for a few milliseconds (longer while a table streams in);
//   the grace — after a restart (or a switch back from Static routing) learned routes missing from
//               BGP stay in the kernel until the peers have had time to resend them (RFC 4724);
//   dirtiness — only the prefixes that changed are looked at: a change of our own announcements
//               (one borrowed /32) re-checks that prefix alone, not the whole table.
import { installableNextHops, type LearnedRoute } from './announcements.js';
import type { RouteProgrammer } from './ports.js';

/** What LearnedRoutes reads from the speaker: best paths in its Loc-RIB (bgp/views.ts). */
export interface BestPaths {
  /** The forwarding next hops of `prefix`, or undefined when it has no learned best path. */
  forwardingNextHops(prefix: string): readonly string[] | undefined;
  /** Every learned best path with its forwarding next hops. */
  forEachForwarding(fn: (prefix: string, nextHops: readonly string[]) => void): void;
}

/**
 * How long best-path changes are gathered before the kernel is updated: a few milliseconds for a
 * single change (convergence), longer while a table is streaming in (throughput: fewer, larger batches).
 */
export const LEARNED_BATCH_MS = { quiet: 3, busy: 50 };
/** Changes in the previous batch above which the stream counts as busy. */
const BUSY_BATCH = 500;

/** A prefix marked by an announcement change: its best path is read from the Loc-RIB at flush time. */
const FROM_RIB = Symbol('from the Loc-RIB');

export interface LearnedRoutesOptions {
  routes: Pick<RouteProgrammer, 'setLearned' | 'updateLearned'>;
  /** Our own BGP addresses: a learned next hop equal to one of them is never installed. */
  selfAddresses: readonly string[];
  /** Called after each batch with how many prefixes it handled (metrics). */
  onBatch?: (size: number) => void;
  now?: () => number;
  /** setTimeout, replaceable so tests can run the batches by hand. */
  schedule?: (fn: () => void, ms: number) => void;
}

export class LearnedRoutes {
  private source?: BestPaths;
  private readonly self: Set<string>;
  private announced = new Set<string>();
  /** Prefix → next hops from its best-path event (undefined: withdrawn), or FROM_RIB. */
  private dirty = new Map<string, readonly string[] | undefined | typeof FROM_RIB>();
  /** Recompute every learned route: a new speaker, or the grace just ended. */
  private allDirty = true;
  private authoritativeAt = 0;
  private authoritativeSent = false;
  private queued = false;
  private lastBatch = 0;
  private readonly now: () => number;
  private readonly schedule: (fn: () => void, ms: number) => void;

  constructor(private readonly options: LearnedRoutesOptions) {
    this.self = new Set(options.selfAddresses);
    this.now = options.now ?? Date.now;
    this.schedule =
      options.schedule ??
      ((fn, ms) => {
        setTimeout(fn, ms).unref();
      });
  }

  /**
   * The speaker whose best paths go to the kernel (undefined: none — Static routing owns the kernel's
   * routes to other hosts, and nothing is written here). A new source is a full pass.
   */
  attach(source: BestPaths | undefined): void {
    if (source === this.source) return;
    this.source = source;
    this.dirty.clear();
    this.allDirty = true;
    if (source) this.queue();
  }

  /**
   * Until `ms` from now, learned routes missing from BGP are kept in the kernel (forwarding state
   * preserved through a restart, RFC 4724); then one full pass makes the kernel exactly the Loc-RIB.
   */
  startGrace(ms: number): void {
    this.authoritativeAt = this.now() + ms;
    this.authoritativeSent = false;
    this.allDirty = true;
    this.schedule(() => this.queue(), ms + 100);
  }

  /** True once the grace has ended. */
  get authoritative(): boolean {
    return this.now() >= this.authoritativeAt;
  }

  /** A best path changed in the speaker (`nextHops` undefined or empty: withdrawn, or our own). */
  bestPathChanged(prefix: string, nextHops: readonly string[] | undefined): void {
    this.dirty.set(prefix, nextHops?.length ? nextHops : undefined);
    this.queue();
  }

  /**
   * The prefixes we announce ourselves: a learned route for one of them must not replace our
   * blackhole or endpoint route. Only the prefixes that came or went are re-checked.
   */
  setAnnounced(prefixes: ReadonlySet<string>): void {
    let changed = false;
    for (const p of prefixes)
      if (!this.announced.has(p)) {
        this.markFromRib(p);
        changed = true;
      }
    for (const p of this.announced)
      if (!prefixes.has(p)) {
        this.markFromRib(p);
        changed = true;
      }
    this.announced = new Set(prefixes);
    if (changed) this.queue();
  }

  /** Queues a pass now (the periodic resync: a missed event only delays convergence). */
  poke(): void {
    if (this.authoritative) this.queue();
  }

  private markFromRib(prefix: string): void {
    // a pending event's next hops are as fresh as the Loc-RIB's: keep them
    if (!this.dirty.has(prefix)) this.dirty.set(prefix, FROM_RIB);
  }

  /**
   * Batches best-path changes into one kernel update every few milliseconds: a full table arrives as
   * thousands of UPDATEs, and each kernel pass costs time proportional to what it is handed.
   */
  private queue(): void {
    if (this.queued) return;
    this.queued = true;
    const delay = this.lastBatch > BUSY_BATCH ? LEARNED_BATCH_MS.busy : LEARNED_BATCH_MS.quiet;
    this.schedule(() => {
      this.queued = false;
      this.flush();
    }, delay);
  }

  /** Hands the kernel side what changed (or, after a full-pass trigger, everything). */
  flush(): void {
    const source = this.source;
    if (!source) return;
    const authoritative = this.authoritative;
    if (authoritative && !this.authoritativeSent) this.allDirty = true;
    if (this.allDirty) {
      this.allDirty = false;
      this.dirty.clear();
      this.authoritativeSent = authoritative;
      const all: LearnedRoute[] = [];
      source.forEachForwarding((prefix, nextHops) => {
        const hops = installableNextHops(prefix, nextHops, this.announced, this.self);
        if (hops) all.push({ prefix, nextHops: hops as string[] });
      });
      this.lastBatch = all.length;
      this.options.routes.setLearned(all, authoritative);
      this.options.onBatch?.(all.length);
      return;
    }
    if (!this.dirty.size) return;
    // the batch becomes the changes in place (a value replaced during iteration is allowed): a
    // table streaming in makes one map per batch, not two
    const changes = this.dirty as Map<string, readonly string[] | undefined | typeof FROM_RIB>;
    this.dirty = new Map();
    for (const [prefix, value] of changes) {
      const nextHops = value === FROM_RIB ? source.forwardingNextHops(prefix) : value;
      changes.set(prefix, nextHops && installableNextHops(prefix, nextHops, this.announced, this.self));
    }
    this.lastBatch = changes.size;
    this.options.routes.updateLearned(changes as Map<string, readonly string[] | undefined>);
    this.options.onBatch?.(changes.size);
  }
}
