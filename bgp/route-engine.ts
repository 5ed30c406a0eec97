// Moves routes through the speaker: UPDATEs in → import checks and policy → Loc-RIB → decision →
// export rules and policy → each peer's Adj-RIB-Out → packed UPDATEs out. All bulk work runs in
// chunks with a yield to the event loop between them, so keepalives and hold timers keep their time
// even while a million prefixes move.
import type { AddressFamily, BestPathEvent, Logger } from './config.js';
import { Exporter } from './exporter.js';
import type { CompiledPolicy } from './policy/evaluate.js';
import { AddPathOut } from './rib/add-path-out.js';
import { AdjRibOut } from './rib/adj-rib-out.js';
import { type AttrSet, AttrStore, type PathAttributes } from './rib/attributes.js';
import { BatchExports, type ExportCache, ExportKeys } from './rib/export-cache.js';
import { LocRib } from './rib/loc-rib.js';
import type { PathSource } from './rib/path.js';
import { type FamilyIndex, keyText, newScratch, V4, V6 } from './rib/prefix-key.js';
import { type ExportTarget, type LocalIdentity, loopReason, normalizeImport } from './rib/propagation.js';
import { SlotPrefixes } from './rib/slot-prefixes.js';
import { pathAttributesOf } from './rib/wire-attributes.js';
import type { UpdateBatch } from './session/codec.js';
import { bestPathEvent } from './views.js';
import type { UpdateMessage, WireNlri } from './wire/types.js';
import { announcedFields, withdrawnFields } from './wire/update-decode.js';

/** Prefixes handled per slice of work before yielding to the event loop. */
export const CHUNK = 4000;
/** Longest stretch the send pump runs before it yields to the event loop. */
const SLICE_MS = 10;
/** Dirty prefixes above which peers' sockets are paused (TCP flow control) until the RIB catches up. */
const INPUT_HIGH_WATER = 20_000;

const FAMILY_NAMES: readonly [AddressFamily, AddressFamily] = ['ipv4', 'ipv6'];
const familyIndex = (f: AddressFamily): FamilyIndex => (f === 'ipv4' ? V4 : V6);

/** What the engine needs from one established session. */
export interface SessionPort {
  readonly source: PathSource;
  readonly target: ExportTarget;
  readonly families: ReadonlySet<AddressFamily>;
  /** RFC 7911: families for which the peer is sent every exported path, with path identifiers. */
  readonly addPathSend?: ReadonlySet<AddressFamily>;
  importPolicy: CompiledPolicy;
  exportPolicy: CompiledPolicy;
  /** Encodes and sends; false when the socket is full. */
  sendBatch(batch: UpdateBatch): boolean;
  sendEndOfRib(family: AddressFamily): void;
  drained(): Promise<void>;
  pauseInput(paused: boolean): void;
  /** Prefixes received (before policy), for the status view. */
  received: number;
  closed: boolean;
}

/** The engine's own state for a session. */
interface Session {
  readonly port: SessionPort;
  readonly src: number;
  readonly peerKey: number;
  readonly out: AdjRibOut;
  readonly enabled: readonly [boolean, boolean];
  /** Per family, the ADD-PATH record of what the peer holds (undefined: the best path only). */
  readonly addPath: readonly [AddPathOut | undefined, AddPathOut | undefined];
  /** Initial table sent (End-of-RIB after it). */
  initialSent: boolean;
  /** Export results per source and attribute set (rib/export-cache.ts), for ADD-PATH and prefix-dependent policies. */
  readonly exportCache: ExportCache;
  /** Export results of the batch being built, for the best paths (rib/export-cache.ts). */
  readonly batchExports: BatchExports;
  /** Its socket is full: the pump skips it until 'drain'. */
  blocked: boolean;
  idleWaiters: (() => void)[];
}

export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class RouteEngine {
  /** Gets every best-path change; unset, none are made (they cost something per prefix). */
  bestPathListener: ((e: BestPathEvent) => void) | undefined;
  readonly store = new AttrStore();
  readonly rib: LocRib;
  private readonly sessions = new Map<SessionPort, Session>();
  private settling = false;
  private inputPaused = false;
  /** Sessions with prefixes queued and a socket that takes more. */
  private readonly ready = new Set<Session>();
  private pumping = false;
  private readonly scratch = newScratch();
  /** Sessions sent every path (ADD-PATH): the decision then reports every change of a prefix's paths. */
  private addPathSessions = 0;
  private readonly exportKeys = new ExportKeys(this.store);
  private readonly exporter: Exporter;

  constructor(
    readonly local: LocalIdentity,
    maxPaths: number,
    private readonly log: Logger,
  ) {
    this.rib = new LocRib(this.store, maxPaths);
    this.exporter = new Exporter(this.rib, local);
  }

  /** True while decisions or sends are still under way. */
  get busy(): boolean {
    return this.settling || this.ready.size > 0;
  }

  /** Paths from one UPDATE enter the Loc-RIB (after loop checks and the peer's import policy). */
  /** A received UPDATE (decoded in wire form); `treatAsWithdraw`: RFC 7606 §2 for malformed attributes. */
  importUpdate(port: SessionPort, update: UpdateMessage, treatAsWithdraw = false): void {
    const s = this.sessions.get(port);
    if (!s) return;
    for (const field of withdrawnFields(update)) this.removeField(s, field);
    const fields = announcedFields(update);
    let announced = 0;
    for (const field of fields) announced += field.count;
    if (announced) {
      if (treatAsWithdraw) {
        for (const field of fields) this.removeField(s, field);
      } else {
        port.received += announced;
        const received = pathAttributesOf(update.attributes);
        const loop = loopReason(received, port.source, this.local);
        if (loop) {
          this.log.debug({ peer: port.source.address, reason: loop }, 'dropping looped path');
          for (const field of fields) this.removeField(s, field);
        } else {
          const attrs = normalizeImport(received, port.source);
          for (const field of fields) this.importField(s, field, attrs);
        }
      }
    }
    // Stop reading at once when the RIB falls behind: libuv may hand us a socket's data many
    // chunks in a row, and decoding them all before yielding would hold the event loop.
    if (!this.inputPaused && this.rib.pendingCount > INPUT_HIGH_WATER) this.setInputPaused(true);
    this.schedule();
  }

  private removeField(s: Session, field: WireNlri): void {
    const k = this.scratch;
    const family = familyIndex(field.family);
    const table = this.rib.families[family].table;
    k.family = family;
    // RFC 7911: with ADD-PATH a withdrawal names one path of the peer by its identifier.
    const addPath = field.addPath;
    field.forEach(k, () => {
      const slot = table.find(k);
      if (slot >= 0) this.rib.removeSlot(family, slot, s.peerKey, addPath ? k.pathId : -1);
    });
  }

  private importField(s: Session, field: WireNlri, attrs: PathAttributes): void {
    const family = familyIndex(field.family);
    if (!s.enabled[family]) return;
    const port = s.port;
    const policy = port.importPolicy;
    const ctx = {
      peerType: port.source.kind,
      sourceKind: port.source.kind,
      direction: 'import' as const,
      rrClient: port.source.rrClient,
      localAs: this.local.asn,
      prefix: '',
    };
    const rib = this.rib;
    const table = rib.families[family].table;
    const k = this.scratch;
    k.family = family;
    // RFC 7911: with ADD-PATH each (prefix, path identifier) is a path of its own.
    const addPath = field.addPath;
    // Most policies do not look at the prefix: one verdict for the whole UPDATE.
    let shared: AttrSet | null | undefined;
    // `attrs` and what a policy makes of it are this UPDATE's own objects: the store may keep them.
    if (!policy.prefixDependent) {
      const r = policy.run(attrs, ctx);
      shared = r.accept ? this.store.intern(r.attrs, true) : null;
    }
    field.forEach(k, () => {
      let set = shared;
      if (set === undefined) {
        ctx.prefix = keyText(k);
        const r = policy.run(attrs, ctx);
        set = r.accept ? this.store.intern(r.attrs, true) : null;
      }
      if (set !== null) rib.upsertSlot(family, table.findOrAdd(k), s.src, set, addPath ? k.pathId : -1);
      else {
        const slot = table.find(k);
        if (slot >= 0) rib.removeSlot(family, slot, s.peerKey, addPath ? k.pathId : -1);
      }
    });
  }

  /** A locally originated route (or its removal with `attrs` undefined). */
  setLocal(source: PathSource, prefix: string, attrs: PathAttributes | undefined): void {
    if (attrs) this.rib.upsert(prefix, source, this.store.intern(attrs));
    else this.rib.remove(prefix, source.address);
    this.schedule();
  }

  addSession(port: SessionPort): void {
    const session: Session = {
      port,
      src: this.rib.sources.indexOf(port.source),
      peerKey: this.rib.sources.peerKey(port.source.address),
      out: new AdjRibOut(this.rib),
      enabled: [port.families.has('ipv4'), port.families.has('ipv6')],
      addPath: [
        port.addPathSend?.has('ipv4') ? new AddPathOut() : undefined,
        port.addPathSend?.has('ipv6') ? new AddPathOut() : undefined,
      ],
      initialSent: false,
      exportCache: this.exportKeys.newCache(),
      batchExports: new BatchExports(),
      blocked: false,
      idleWaiters: [],
    };
    this.sessions.set(port, session);
    if (session.addPath[0] || session.addPath[1]) this.addPathSessions++;
    void this.sendTable(port);
  }

  removeSession(port: SessionPort): void {
    const s = this.sessions.get(port);
    port.closed = true;
    this.sessions.delete(port);
    if (!s) return;
    if (s.addPath[0] || s.addPath[1]) this.addPathSessions--;
    this.ready.delete(s);
    this.settleIdle(s);
    s.out.clear();
    this.exportKeys.dispose(s.exportCache);
    // Its paths may stay (stale, RFC 4724); the source index goes with the last of them.
    this.rib.sources.retire(port.source);
  }

  /** Prefixes the peer holds from us. */
  advertisedCount(port: SessionPort): number {
    return this.sessions.get(port)?.out.size ?? 0;
  }

  /** What the peer holds from us, as prefix text, the attributes it was sent with and the ADD-PATH identifier. */
  *advertised(port: SessionPort): IterableIterator<[string, Readonly<PathAttributes>, number?]> {
    const s = this.sessions.get(port);
    if (!s) return;
    for (const family of [V4, V6] as const) {
      const paths = s.addPath[family];
      if (paths) {
        const table = this.rib.families[family].table;
        for (const [slot, id, attrs] of paths.entries(family)) yield [table.text(slot), attrs, id];
        continue;
      }
      const slots: number[] = [];
      s.out.forEachSent(family, (slot) => slots.push(slot));
      for (const slot of slots) {
        const best = this.rib.bestOf(family, slot);
        const attrs = best ? this.exporter.best(s, family, slot, best) : null;
        if (attrs) yield [this.rib.families[family].table.text(slot), attrs];
      }
    }
    s.batchExports.clear();
    this.exporter.releaseTransient();
  }

  /**
   * Sends the whole table to one peer again: the initial dump, a ROUTE-REFRESH, an export policy
   * change. With `resend`, prefixes the peer already holds are reconsidered too (and withdrawn if
   * they no longer pass).
   */
  async sendTable(
    port: SessionPort,
    { resend = false, families }: { resend?: boolean; families?: AddressFamily[] } = {},
  ): Promise<void> {
    const s = this.sessions.get(port);
    if (!s) return;
    s.exportCache.clear();
    for (const family of [V4, V6] as const) {
      if (!s.enabled[family] || (families && !families.includes(FAMILY_NAMES[family]))) continue;
      if (resend) {
        s.out.forEachSent(family, (slot) => s.out.queue(family, slot));
        s.addPath[family]?.resendAll();
      }
      const f = this.rib.families[family];
      for (let slot = 0; slot < f.table.highWater; slot++)
        if (f.table.live[slot] && f.best[slot] !== 0) s.out.queue(family, slot);
    }
    await this.idle(s);
    if (port.closed || s.initialSent) return;
    s.initialSent = true;
    // RFC 4724 §2: End-of-RIB after the initial table, per family.
    for (const family of port.families) port.sendEndOfRib(family);
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
        this.rib.settle(CHUNK, this.onBestChange, this.addPathSessions > 0 ? this.onPathsChange : undefined);
        for (const s of this.sessions.values()) this.kick(s);
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
    for (const s of this.sessions.values()) s.port.pauseInput(paused);
  }

  private readonly onBestChange = (family: FamilyIndex, slot: number, multipath: readonly number[]): void => {
    for (const s of this.sessions.values()) if (s.enabled[family]) s.out.queue(family, slot);
    const listener = this.bestPathListener;
    if (!listener) return;
    listener(bestPathEvent(this.rib, family, slot, multipath));
  };

  /** A prefix's paths changed: ADD-PATH peers are told, whether or not the best path moved. */
  private readonly onPathsChange = (family: FamilyIndex, slot: number): void => {
    for (const s of this.sessions.values()) if (s.addPath[family]) s.out.queue(family, slot);
  };

  /** Has `s` sent soon (its queue is drained by the pump, a chunk at a time). */
  private kick(s: Session): void {
    if (s.out.pendingCount === 0 || s.blocked || s.port.closed) return;
    this.ready.add(s);
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(this.pump);
  }

  /**
   * Sends the peers' queued changes round robin, a chunk per peer per round, for at most SLICE_MS
   * before yielding — fifty peers each wanting a full table must not hold the event loop between
   * them. A peer whose socket is full waits for 'drain' outside the round.
   */
  private readonly pump = (): void => {
    const started = performance.now();
    while (this.ready.size > 0) {
      for (const s of this.ready) {
        if (s.port.closed || s.out.pendingCount === 0) {
          this.ready.delete(s);
          this.settleIdle(s);
          continue;
        }
        if (!this.sendChunk(s)) {
          this.ready.delete(s);
          s.blocked = true;
          void s.port.drained().then(() => {
            s.blocked = false;
            this.kick(s);
          });
        } else if (s.out.pendingCount === 0) {
          this.ready.delete(s);
          this.settleIdle(s);
        }
        if (performance.now() - started > SLICE_MS) {
          setImmediate(this.pump);
          return;
        }
      }
    }
    this.pumping = false;
  };

  /** Resolves once everything queued for `s` has been handed to its socket (or it closed). */
  private idle(s: Session): Promise<void> {
    if (s.out.pendingCount === 0 || s.port.closed) return Promise.resolve();
    return new Promise((resolve) => {
      s.idleWaiters.push(resolve);
      this.kick(s);
    });
  }

  private settleIdle(s: Session): void {
    const waiters = s.idleWaiters;
    s.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Encodes and sends up to CHUNK of a peer's queued prefixes; false when its socket is full. */
  private sendChunk(s: Session): boolean {
    const port = s.port;
    let ok = true;
    let budget = CHUNK;
    for (const family of [V4, V6] as const) {
      const queue = s.out.queues[family];
      if (queue.length === 0 || budget === 0) continue;
      if (s.addPath[family]) {
        const [sent, left] = this.sendPathsChunk(s, family, budget);
        ok = sent && ok;
        budget = left;
        continue;
      }
      const table = this.rib.families[family].table;
      const groups = new Map<Readonly<PathAttributes>, number[]>();
      const withdraw: number[] = [];
      for (; budget > 0 && queue.length > 0; budget--) {
        const slot = s.out.take(family);
        const best = this.rib.bestOf(family, slot);
        const attrs = best ? this.exporter.best(s, family, slot, best) : null;
        if (attrs) {
          s.out.announced(family, slot);
          let list = groups.get(attrs);
          if (!list) {
            list = [];
            groups.set(attrs, list);
          }
          list.push(slot);
        } else if (s.out.withdrawn(family, slot)) withdraw.push(slot);
      }
      if (groups.size || withdraw.length) {
        const announce = [...groups].map(([attrs, slots]) => ({ attrs, prefixes: new SlotPrefixes(table, slots) }));
        const batch = { family: FAMILY_NAMES[family], withdraw: new SlotPrefixes(table, withdraw), announce };
        ok = port.sendBatch(batch) && ok;
      }
      // Withdrawn slots stayed ours until their NLRI was written; now they may be reused.
      for (const slot of withdraw) s.out.release(family, slot);
      s.batchExports.clear();
      this.exporter.releaseTransient();
    }
    return ok;
  }

  /** `sendChunk` for a family the peer gets every path of (ADD-PATH): [socket takes more, budget left]. */
  private sendPathsChunk(s: Session, family: FamilyIndex, budget: number): [boolean, number] {
    const chunk = s.addPath[family]!.takeChunk(this.rib, family, s.out, budget, (slot, row) =>
      this.exporter.path(s, family, slot, row),
    );
    const ok = chunk.batch ? s.port.sendBatch(chunk.batch) : true;
    // As in sendChunk: a withdrawn slot may be reused once its NLRI are written.
    for (const slot of chunk.gone) s.out.release(family, slot);
    this.exporter.releaseTransient();
    return [ok, chunk.budget];
  }

  /**
   * Removes (or marks stale, or purges the stale) paths of a peer, in chunks. With `source`, only
   * that session incarnation's paths; without, every incarnation's; with `family`, only that family's.
   */
  async dropPathsFrom(
    address: string,
    mode: 'remove' | 'stale' | 'purge-stale',
    source?: PathSource,
    family?: AddressFamily,
  ): Promise<number> {
    const rib = this.rib;
    const peerKey = rib.sources.peerKey(address);
    const src = source ? rib.sources.find(source) : -1;
    if (src === undefined) return 0;
    const step = CHUNK * 10;
    let n = 0;
    for (let from = 0; from < rib.pool.end; from += step) {
      // The incarnation's index is reused only once its last path is gone: then there is nothing left to do.
      if (source && rib.sources.find(source) !== src) break;
      n += rib.dropPaths(peerKey, src, mode, from, from + step, family && familyIndex(family));
      this.schedule();
      await yieldToLoop();
    }
    return n;
  }
}
