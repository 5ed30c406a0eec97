// Moves routes through the speaker: UPDATEs in → import checks and policy → Loc-RIB → decision →
// export rules and policy → each peer's Adj-RIB-Out → packed UPDATEs out. All bulk work runs in
// chunks with a yield to the event loop between them, so keepalives and hold timers keep their time
// even while a million prefixes move.
import { EventEmitter } from 'node:events';
import type { AddressFamily, BestPathEvent, Logger } from './config.js';
import type { CompiledPolicy } from './policy/evaluate.js';
import type { AdjRibOut } from './rib/adj-rib-out.js';
import { type AttrSet, AttrStore, type PathAttributes } from './rib/attributes.js';
import { type BestChange, LocRib } from './rib/loc-rib.js';
import type { Path, PathSource } from './rib/path.js';
import { familyOfPrefix } from './rib/prefix.js';
import {
  type ExportTarget,
  exportAttributes,
  type LocalIdentity,
  loopReason,
  mayExport,
  normalizeImport,
} from './rib/propagation.js';
import type { UpdateBatch } from './session/codec.js';
import type { UpdateMessage } from './session/messages.js';
import { pathView } from './views.js';

/** Prefixes handled per slice of work before yielding to the event loop. */
export const CHUNK = 2000;
/** Dirty prefixes above which peers' sockets are paused (TCP flow control) until the RIB catches up. */
const INPUT_HIGH_WATER = 50_000;

/** What the engine needs from one established session. */
export interface SessionPort {
  readonly source: PathSource;
  readonly target: ExportTarget;
  readonly families: ReadonlySet<AddressFamily>;
  importPolicy: CompiledPolicy;
  exportPolicy: CompiledPolicy;
  readonly out: AdjRibOut;
  /** Encodes and sends; false when the socket is full. */
  sendBatch(batch: UpdateBatch): boolean;
  sendEndOfRib(family: AddressFamily): void;
  drained(): Promise<void>;
  pauseInput(paused: boolean): void;
  /** Set once the initial table has been sent (End-of-RIB after it). */
  initialSent: boolean;
  /** Counters the status view shows. */
  received: number;
  closed: boolean;
  exportCache: Map<number, WeakMap<AttrSet, AttrSet | null>>;
}

export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class RouteEngine extends EventEmitter {
  readonly store = new AttrStore();
  readonly rib: LocRib;
  private readonly sessions = new Set<SessionPort>();
  private settling = false;
  private readonly flushing = new Set<SessionPort>();
  private inputPaused = false;

  constructor(
    readonly local: LocalIdentity,
    maxPaths: number,
    private readonly log: Logger,
  ) {
    super();
    this.rib = new LocRib(this.store, maxPaths);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Paths from one UPDATE enter the Loc-RIB (after loop checks and the peer's import policy). */
  importUpdate(port: SessionPort, update: UpdateMessage): void {
    const address = port.source.address;
    for (const prefix of update.withdrawn) this.rib.remove(prefix, address);
    if (update.announced.length && update.attrs) {
      if (update.treatAsWithdraw) {
        for (const prefix of update.announced) this.rib.remove(prefix, address);
      } else {
        port.received += update.announced.length;
        const loop = loopReason(update.attrs, port.source, this.local);
        if (loop) {
          this.log.debug({ peer: address, reason: loop }, 'dropping looped path');
          for (const prefix of update.announced) this.rib.remove(prefix, address);
        } else this.importPaths(port, update.announced, normalizeImport(update.attrs, port.source));
      }
    }
    this.schedule();
  }

  private importPaths(port: SessionPort, prefixes: string[], attrs: PathAttributes): void {
    const policy = port.importPolicy;
    const address = port.source.address;
    const ctxBase = { peerType: port.source.kind, rrClient: port.source.rrClient, localAs: this.local.asn };
    let shared: AttrSet | null | undefined;
    if (!policy.prefixDependent) {
      const r = policy.run(attrs, { ...ctxBase, prefix: prefixes[0] ?? '' });
      shared = r.accept ? this.store.intern(r.attrs) : null;
    }
    for (const prefix of prefixes) {
      if (!port.families.has(familyOfPrefix(prefix))) continue;
      let set = shared;
      if (set === undefined) {
        const r = policy.run(attrs, { ...ctxBase, prefix });
        set = r.accept ? this.store.intern(r.attrs) : null;
      }
      if (set === null) this.rib.remove(prefix, address);
      else this.rib.upsert(prefix, port.source, set);
    }
  }

  /** A locally originated route (or its removal with `attrs` undefined). */
  setLocal(source: PathSource, prefix: string, attrs: PathAttributes | undefined): void {
    if (attrs) this.rib.upsert(prefix, source, this.store.intern(attrs));
    else this.rib.remove(prefix, source.address);
    this.schedule();
  }

  addSession(port: SessionPort): void {
    this.sessions.add(port);
    void this.sendTable(port);
  }

  removeSession(port: SessionPort): void {
    port.closed = true;
    this.sessions.delete(port);
    port.out.clear();
  }

  /** Sends the whole table to one peer again (initial dump, ROUTE-REFRESH, export policy change). */
  async sendTable(port: SessionPort, { resend = false } = {}): Promise<void> {
    if (resend) port.out.clear();
    port.exportCache.clear();
    let n = 0;
    for (const [prefix, dest] of this.rib.entries()) {
      if (port.closed) return;
      this.exportTo(port, prefix, dest.best);
      if (++n % CHUNK === 0) {
        await this.flush(port);
        await yieldToLoop();
      }
    }
    await this.flush(port);
    if (port.closed) return;
    if (!port.initialSent) {
      port.initialSent = true;
      // RFC 4724 §2: End-of-RIB after the initial table, per family.
      for (const family of port.families) port.sendEndOfRib(family);
    }
  }

  /** Re-runs the decision for dirty prefixes, chunk by chunk, soon. */
  schedule(): void {
    if (this.settling) return;
    this.settling = true;
    setImmediate(() => void this.settle());
  }

  private async settle(): Promise<void> {
    try {
      while (this.rib.pendingCount > 0) {
        this.setInputPaused(this.rib.pendingCount > INPUT_HIGH_WATER);
        const changes = this.rib.settle(CHUNK);
        for (const c of changes) this.onBestChange(c);
        for (const port of this.sessions) void this.flush(port);
        await yieldToLoop();
      }
    } finally {
      this.settling = false;
      this.setInputPaused(false);
    }
  }

  private setInputPaused(paused: boolean): void {
    if (paused === this.inputPaused) return;
    this.inputPaused = paused;
    for (const port of this.sessions) port.pauseInput(paused);
  }

  private onBestChange(c: BestChange): void {
    for (const port of this.sessions) this.exportTo(port, c.prefix, c.best);
    if (this.listenerCount('best-path-changed') === 0) return;
    const best = c.best;
    const event: BestPathEvent = {
      prefix: c.prefix,
      family: familyOfPrefix(c.prefix),
      withdrawn: !best,
      nextHops: best ? c.multipath.map((p) => p.attrs.nextHop).filter((h): h is string => h !== undefined) : [],
      best: best ? pathView(c.prefix, best, true) : undefined,
      local: best?.source.kind === 'local',
    };
    this.emit('best-path-changed', event);
  }

  /** Queues what `port` should now have for `prefix`, given the best path. */
  private exportTo(port: SessionPort, prefix: string, best: Path | undefined): void {
    const family = familyOfPrefix(prefix);
    if (!port.families.has(family)) return;
    if (!best || !mayExport(best, port.target)) {
      if (port.out.get(prefix)) port.out.queue(prefix, null);
      return;
    }
    port.out.queue(prefix, this.exportAttrs(port, prefix, best, family));
  }

  private exportAttrs(port: SessionPort, prefix: string, best: Path, family: AddressFamily): AttrSet | null {
    const policy = port.exportPolicy;
    const cacheable = !policy.prefixDependent;
    let cache: WeakMap<AttrSet, AttrSet | null> | undefined;
    if (cacheable) {
      // Keyed by source too: split horizon, ORIGINATOR_ID and MED rules depend on where the path came from.
      cache = port.exportCache.get(best.source.id);
      if (!cache) {
        cache = new WeakMap();
        port.exportCache.set(best.source.id, cache);
      }
      const hit = cache.get(best.attrs);
      if (hit !== undefined) return hit;
    }
    const attrs = exportAttributes(best, port.target, this.local, family);
    const r = policy.run(attrs, {
      prefix,
      peerType: port.target.kind,
      rrClient: port.target.rrClient,
      localAs: this.local.asn,
      selfAddress: family === 'ipv4' ? port.target.selfIpv4 : port.target.selfIpv6,
    });
    const set = r.accept ? this.store.intern(r.attrs) : null;
    cache?.set(best.attrs, set);
    return set;
  }

  /** Sends a peer's queued changes, respecting socket back-pressure. */
  async flush(port: SessionPort): Promise<void> {
    if (this.flushing.has(port)) return;
    this.flushing.add(port);
    try {
      while (port.out.pendingCount > 0 && !port.closed) {
        const { announce, withdraw } = port.out.flush(CHUNK);
        let ok = true;
        for (const family of port.families) {
          const batch: UpdateBatch = {
            family,
            withdraw: withdraw.filter((p) => familyOfPrefix(p) === family),
            announce: announce
              .map((b) => ({ attrs: b.attrs, prefixes: b.prefixes.filter((p) => familyOfPrefix(p) === family) }))
              .filter((b) => b.prefixes.length > 0),
          };
          if (batch.withdraw.length || batch.announce.length) ok = port.sendBatch(batch) && ok;
        }
        if (!ok) await port.drained();
        else if (port.out.pendingCount > 0) await yieldToLoop();
      }
    } finally {
      this.flushing.delete(port);
    }
  }

  /** Removes (or marks stale) every path from `address`, in chunks. */
  async dropPathsFrom(address: string, mode: 'remove' | 'stale' | 'purge-stale'): Promise<number> {
    let n = 0;
    let i = 0;
    for (const [prefix, dest] of this.rib.entries()) {
      const p = dest.paths.find((x) => x.source.address === address);
      if (p) {
        if (mode === 'remove') {
          if (this.rib.remove(prefix, address)) n++;
        } else if (mode === 'stale') {
          if (!p.stale) {
            p.stale = true;
            n++;
          }
        } else if (p.stale && this.rib.remove(prefix, address)) n++;
      }
      if (++i % (CHUNK * 5) === 0) {
        this.schedule();
        await yieldToLoop();
      }
    }
    this.schedule();
    return n;
  }
}
