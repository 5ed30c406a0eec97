// BgpSpeaker: the public face. Peers are added, changed and removed at run time; local routes are
// announced and withdrawn; RIBs are readable as data; peer state and best-path changes come as events.
import { EventEmitter } from 'node:events';
import { createServer, isIPv4, type Server, type Socket } from 'node:net';
import type {
  AddressFamily,
  BestPathEvent,
  LocalRouteAttributes,
  Logger,
  PeerOptions,
  PeerStateEvent,
  PeerStateName,
  PeerStatus,
  RouteView,
  SpeakerOptions,
} from './config.js';
import { DEFAULTS, fsmTimers, newPeer, type PeerEntry, peerStatus } from './peer-entry.js';
import { compilePolicy } from './policy/evaluate.js';
import { canonicalPrefix, familyOfPrefix } from './prefix.js';
import type { PathSource } from './rib/path.js';
import { RouteEngine } from './route-engine.js';
import type { DownReason } from './session/down-reason.js';
import { normalizeAddress, type PeerDown } from './session/peer.js';
import { acceptedOptions, listenerKey, sessionOptionsProblem, sessionSocketOptions } from './session/socket-options.js';
import { routeRefresh, SessionRoutes } from './session-routes.js';
import { attrsView, forEachForwarding, forwardingNextHops, localAttributes, pathView } from './views.js';
import { warmUp } from './warm-up.js';
import { CEASE_SUB } from './wire/notification.js';
import type { UpdateMessage } from './wire/types.js';

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface BgpSpeakerEvents {
  'peer-state': [PeerStateEvent];
  'best-path-changed': [BestPathEvent];
  /** A peer's prefix count reached its max-prefix warning threshold (or passed a 'warn' limit). */
  'max-prefix-warning': [{ address: string; count: number; limit: number }];
}

/** Options that change without resetting the session (timers apply at its next OPEN). */
const SOFT_OPTIONS = new Set([
  'importPolicy',
  'exportPolicy',
  'maxPrefix',
  'description',
  'holdTime',
  'keepalive',
  'connectRetry',
]);

export class BgpSpeaker extends EventEmitter<BgpSpeakerEvents> {
  private readonly engine: RouteEngine;
  /** What sessions coming and going do to routes. */
  private readonly routes: SessionRoutes;
  private readonly peersByAddress = new Map<string, PeerEntry>();
  private readonly servers: Server[] = [];
  private readonly log: Logger;
  private readonly localSource: PathSource;
  private readonly localRoutes = new Map<string, LocalRouteAttributes>();
  private running = false;

  constructor(readonly options: SpeakerOptions) {
    super();
    if (!isIPv4(options.routerId)) throw new Error(`routerId must be a dotted quad, got "${options.routerId}"`);
    if (!Number.isInteger(options.asn) || options.asn < 1 || options.asn > 0xffffffff)
      throw new Error(`asn must be 1..4294967295, got ${options.asn}`);
    this.log = options.logger ?? silentLogger;
    const maxPaths = options.multipath === true ? 16 : typeof options.multipath === 'number' ? options.multipath : 1;
    this.engine = new RouteEngine(
      { asn: options.asn, routerId: options.routerId, clusterId: options.clusterId ?? options.routerId },
      maxPaths,
      this.log,
    );
    const speaker = this;
    this.routes = new SessionRoutes(this.engine, this.log, {
      get running() {
        return speaker.running;
      },
      isCurrent: (entry) => this.peersByAddress.get(entry.options.address) === entry,
      maxPrefixWarning: (e) => this.emit('max-prefix-warning', e),
    });
    // Best-path events cost something per prefix: the engine makes them only while someone listens.
    const forward = (e: BestPathEvent) => this.emit('best-path-changed', e);
    const track = () => {
      this.engine.bestPathListener = this.listenerCount('best-path-changed') > 0 ? forward : undefined;
    };
    // ('newListener' comes before the listener is added, hence the microtask.)
    const plain = this as EventEmitter;
    plain.on('newListener', () => queueMicrotask(track));
    plain.on('removeListener', () => queueMicrotask(track));
    this.localSource = {
      id: 0,
      kind: 'local',
      address: 'local',
      routerId: options.routerId,
      asn: options.asn,
      rrClient: false,
    };
  }

  /** Starts listening (unless `listen: false`) and starts every configured peer. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const listen = this.options.listen;
    if (listen !== false) {
      const port = listen?.port ?? DEFAULTS.port;
      const addresses = listen?.address ? [listen.address] : ['::'];
      for (const address of addresses) {
        const server = createServer({ noDelay: true }, (socket) => this.onIncoming(socket));
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: address, port }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        this.servers.push(server);
      }
    }
    for (const entry of this.peersByAddress.values()) {
      this.setListenerKey(entry.options, entry.options.password);
      if (!entry.adminShutdown) entry.peer.start();
    }
    if (this.options.warmUp !== false)
      void warmUp({ asn: this.options.asn, routerId: this.options.routerId, clusterId: '0.0.0.0' }, this.log);
  }

  /** Sends Cease/admin-shutdown to every peer and closes the listeners. */
  async stop(message = 'speaker stopping'): Promise<void> {
    this.running = false;
    for (const entry of this.peersByAddress.values()) this.shutdownEntry(entry, undefined, message);
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.servers.length = 0;
  }

  /** The port actually listened on (useful with port 0). */
  get listenPort(): number | undefined {
    const addr = this.servers[0]?.address();
    return addr && typeof addr === 'object' ? addr.port : undefined;
  }

  /** Adds a peer; with `adminShutdown` it is added shut down (no session until enablePeer). */
  addPeer(options: PeerOptions, adminShutdown?: { message: string }): void {
    const address = normalizeAddress(options.address);
    if (this.peersByAddress.has(address)) throw new Error(`peer ${address} already exists`);
    const problem = sessionOptionsProblem({ ...options, address }, this.options.socketOptions !== undefined);
    if (problem) throw new Error(problem);
    const entry = this.makeEntry({ ...options, address });
    entry.adminShutdown = adminShutdown;
    this.peersByAddress.set(address, entry);
    if (this.running) {
      this.setListenerKey(entry.options, entry.options.password);
      if (!adminShutdown) entry.peer.start();
    }
  }

  /** RFC 2385 on the listeners (see listenerKey); `password` undefined removes the peer's key. */
  private setListenerKey(options: PeerOptions, password: string | undefined): void {
    const hook = this.options.socketOptions;
    if (!hook || options.password === undefined) return;
    for (const server of this.servers) listenerKey(server, hook, options.address, password, this.log);
  }

  /**
   * Hard reset: Cease/administrative reset (RFC 4486, with an RFC 9003 message) and a new session at
   * once. Soft (RFC 2918): ask the peer for its routes again and send it ours again; the session stays.
   * A peer down after a max-prefix trip starts again. False when the peer does not support a soft reset.
   */
  resetPeer(address: string, { soft = false, message }: { soft?: boolean; message?: string } = {}): boolean {
    const entry = this.mustEntry(address);
    if (entry.adminShutdown) throw new Error(`peer ${entry.options.address} is shut down: enable it first`);
    if (soft) {
      const port = entry.port;
      if (!port || !entry.peer.negotiated?.routeRefresh) return false;
      for (const family of port.families) entry.peer.send(routeRefresh(family));
      void this.engine.sendTable(port, { resend: true });
      return true;
    }
    clearTimeout(entry.maxPrefixTimer);
    if (entry.peer.state === 'Idle') {
      if (this.running) entry.peer.start();
    } else entry.peer.cease(CEASE_SUB.ADMIN_RESET, true, message);
    return true;
  }

  /** Cease/administrative shutdown with `message` (RFC 8203/9003); the peer stays down until enablePeer. */
  shutdownPeer(address: string, message: string): void {
    const entry = this.mustEntry(address);
    entry.adminShutdown = { message };
    this.shutdownEntry(entry, CEASE_SUB.ADMIN_SHUTDOWN, message);
  }

  /** Ends an administrative shutdown (or a max-prefix stop): the session starts again. */
  enablePeer(address: string): void {
    const entry = this.mustEntry(address);
    entry.adminShutdown = undefined;
    clearTimeout(entry.maxPrefixTimer);
    if (this.running && entry.peer.state === 'Idle') entry.peer.start();
  }

  private mustEntry(address: string): PeerEntry {
    const entry = this.peersByAddress.get(normalizeAddress(address));
    if (!entry) throw new Error(`no BGP peer ${address}`);
    return entry;
  }

  /** Removes a peer: Cease/peer de-configured (RFC 4486), its routes are withdrawn. */
  removePeer(address: string): void {
    const entry = this.peersByAddress.get(normalizeAddress(address));
    if (!entry) return;
    this.shutdownEntry(entry, CEASE_SUB.PEER_DECONFIGURED, 'peer de-configured');
    this.setListenerKey(entry.options, undefined);
    this.peersByAddress.delete(normalizeAddress(address));
    void this.engine.dropPathsFrom(entry.options.address, 'remove');
  }

  /**
   * Changes a peer. Policy and max-prefix changes apply without a reset (import policy through
   * ROUTE-REFRESH when the peer supports it); anything that changes the session itself resets it.
   */
  updatePeer(address: string, change: Partial<PeerOptions>): void {
    const key = normalizeAddress(address);
    const entry = this.peersByAddress.get(key);
    if (!entry) throw new Error(`no peer ${address}`);
    const next: PeerOptions = { ...entry.options, ...change, address: key };
    const problem = sessionOptionsProblem(next, this.options.socketOptions !== undefined);
    if (problem) throw new Error(problem);
    // Only what really changed counts: callers may hand over the whole option set.
    const old = entry.options as unknown as Record<string, unknown>;
    const changed = Object.keys(change).filter(
      (k) => k !== 'address' && JSON.stringify(old[k]) !== JSON.stringify((change as Record<string, unknown>)[k]),
    );
    if (changed.some((k) => !SOFT_OPTIONS.has(k))) {
      const adminShutdown = entry.adminShutdown;
      this.removePeer(key);
      this.addPeer(next, adminShutdown);
      return;
    }
    entry.options = next;
    entry.peer.setTimers(fsmTimers(next));
    const port = entry.port;
    if (!port) return;
    if (changed.includes('exportPolicy')) {
      port.exportPolicy = compilePolicy(next.exportPolicy);
      void this.engine.sendTable(port);
    }
    if (changed.includes('importPolicy')) {
      port.importPolicy = compilePolicy(next.importPolicy);
      if (entry.peer.negotiated?.routeRefresh) {
        for (const family of port.families) entry.peer.send(routeRefresh(family));
      } else {
        entry.peer.cease(CEASE_SUB.OTHER_CONFIG_CHANGE, true);
      }
    }
  }

  /** Asks the peer to send its table again (RFC 2918), e.g. after an import policy change. */
  refresh(address: string): void {
    const entry = this.peersByAddress.get(normalizeAddress(address));
    if (!entry?.port || !entry.peer.negotiated?.routeRefresh) return;
    for (const family of entry.port.families) entry.peer.send(routeRefresh(family));
  }

  /** Originates `prefix` (text, e.g. "10.65.3.0/26") with optional attributes; announcing again replaces them. */
  announce(prefix: string, attrs?: LocalRouteAttributes | null): void {
    const key = canonicalPrefix(prefix);
    attrs ??= {};
    this.localRoutes.set(key, attrs);
    this.engine.setLocal(this.localSource, key, localAttributes(attrs));
  }

  withdraw(prefix: string): void {
    const key = canonicalPrefix(prefix);
    if (!this.localRoutes.delete(key)) return;
    this.engine.setLocal(this.localSource, key, undefined);
  }

  /** Locally originated prefixes and their attributes. */
  localRoutesView(): { prefix: string; attrs: LocalRouteAttributes }[] {
    return [...this.localRoutes].map(([prefix, attrs]) => ({ prefix, attrs }));
  }

  peers(): PeerStatus[] {
    return [...this.peersByAddress.values()].map((e) => peerStatus(e, this.engine));
  }

  peer(address: string): PeerStatus | undefined {
    const e = this.peersByAddress.get(normalizeAddress(address));
    return e ? peerStatus(e, this.engine) : undefined;
  }

  /** Every path in the Loc-RIB (best and others), optionally only for prefixes inside/equal to `prefix`. */
  locRib(filter: { prefix?: string; family?: AddressFamily; bestOnly?: boolean } = {}): RouteView[] {
    const want = filter.prefix ? canonicalPrefix(filter.prefix) : undefined;
    const out: RouteView[] = [];
    for (const [prefix, dest] of this.engine.rib.entries()) {
      if (want && prefix !== want) continue;
      if (filter.family && familyOfPrefix(prefix) !== filter.family) continue;
      for (const p of dest.paths) {
        if (filter.bestOnly && p !== dest.best) continue;
        out.push(pathView(prefix, p, p === dest.best));
      }
    }
    return out;
  }

  /** The forwarding next hops of `prefix`'s best path (ECMP set), from the Loc-RIB; undefined when none or local. */
  forwardingNextHops(prefix: string): string[] | undefined {
    return forwardingNextHops(this.engine.rib, prefix);
  }

  /** Every learned best path with its forwarding next hops, read from the Loc-RIB (no copy kept). */
  forEachForwarding(fn: (prefix: string, nextHops: string[]) => void): void {
    forEachForwarding(this.engine.rib, fn);
  }

  /** What `address` sent us and import policy accepted. */
  adjRibIn(address: string, filter: { prefix?: string } = {}): RouteView[] {
    const from = normalizeAddress(address);
    return this.locRib(filter).filter((r) => r.from === from);
  }

  /** What we have sent to `address`, as it was sent. */
  adjRibOut(address: string, filter: { prefix?: string } = {}): RouteView[] {
    const entry = this.peersByAddress.get(normalizeAddress(address));
    if (!entry?.port) return [];
    const want = filter.prefix ? canonicalPrefix(filter.prefix) : undefined;
    const out: RouteView[] = [];
    for (const [prefix, attrs, pathId] of this.engine.advertised(entry.port)) {
      if (want && want !== prefix) continue;
      const view = attrsView(prefix, 'local', attrs);
      if (pathId !== undefined) view.pathId = pathId;
      out.push(view);
    }
    return out;
  }

  /** Statistics: table size, distinct attribute sets. */
  stats(): { prefixes: number; attributeSets: number; peers: number; established: number } {
    return {
      prefixes: this.engine.rib.prefixCount,
      attributeSets: this.engine.store.size,
      peers: this.peersByAddress.size,
      established: [...this.peersByAddress.values()].filter((e) => e.peer.state === 'Established').length,
    };
  }

  private makeEntry(options: PeerOptions): PeerEntry {
    const peer = newPeer(options, this.options, this.log);
    const entry: PeerEntry = { options, peer, staleHeld: false };
    peer.on('state', (from: PeerStateName, to: PeerStateName, reason?: DownReason) => {
      // no log line here: whoever embeds the speaker logs the event once, with what it knows of the peer
      this.emit('peer-state', { address: options.address, from, to, reason });
    });
    const routes = this.routes;
    peer.on('established', () => routes.established(entry));
    peer.on('down', (down: PeerDown) => routes.down(entry, down));
    peer.on('update', (u: UpdateMessage, treatAsWithdraw: boolean) => routes.update(entry, u, treatAsWithdraw));
    peer.on('refresh', (family: AddressFamily | undefined, subtype: number) => routes.refresh(entry, family, subtype));
    return entry;
  }

  private onIncoming(socket: Socket): void {
    const entry = this.peersByAddress.get(normalizeAddress(socket.remoteAddress));
    if (!entry) {
      this.log.debug({ from: socket.remoteAddress }, 'connection from an unknown address refused');
      socket.destroy();
      return;
    }
    const hook = this.options.socketOptions;
    if (
      hook &&
      !acceptedOptions(
        socket,
        hook,
        entry.options.address,
        sessionSocketOptions(entry.options, entry.peer.ebgp),
        this.log,
      )
    )
      return;
    entry.peer.acceptIncoming(socket);
  }

  private shutdownEntry(entry: PeerEntry, subcode: number | undefined, message: string): void {
    clearTimeout(entry.restartTimer);
    clearTimeout(entry.maxPrefixTimer);
    clearTimeout(entry.refreshTimer);
    entry.peer.stop(subcode, message);
  }
}
