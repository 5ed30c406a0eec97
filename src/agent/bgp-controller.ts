// The agent's hold on the BGP speaker: it turns the planned sessions and the desired announcements
// into speaker calls (only the difference, so a watch event never flaps an unrelated session), and
// reports peers and routes in the API's shapes.
import {
  type BestPathEvent,
  BgpSpeaker,
  type PeerOptions,
  type PeerStatus,
  type Policy,
  type RouteView,
  type SpeakerOptions,
} from '../../bgp/index.js';
import type { Peer, Route } from '../api/types.js';
import { openTcpSocket, setAcceptedOptions, setListenerMd5 } from '../dataplane/index.js';
import { canonicalAddress } from '../model/cidr.js';
import type { Announcement, AnnouncePool } from './announcements.js';
import { BfdClient } from './bfd-client.js';
import type { Logger } from './logger.js';
import type { PlannedPeer, PlannedPeerType } from './peer-plan.js';
import { cidrContains, cidrOf } from './prefixes.js';
import { sessionHint } from './session-hint.js';

export interface BgpControllerOptions {
  asn: number;
  routerId: string;
  /** RFC 4456 §7 CLUSTER_ID when this node reflects (Node spec.bgp.routeReflectorClusterId). */
  clusterId?: string;
  listenPort: number;
  /** Our own session addresses: next hop "self" for what we originate. */
  address4?: string;
  address6?: string;
  gracefulRestartTime: number;
  /** True when this agent restarted with routes still in the kernel (RFC 4724 R bit). */
  restarting: boolean;
  /** Peers shut down by an admin (address → message), carried over from a previous controller. */
  shutdowns?: ReadonlyMap<string, string>;
  logger: Logger;
}

interface ActivePeer {
  planned: PlannedPeer;
  options: PeerOptions;
  /** JSON of the options, to tell a changed peer from an unchanged one. */
  fingerprint: string;
}

/** Linux's net.ipv4.ip_default_ttl / hop limit default. */
const KERNEL_DEFAULT_TTL = 64;

/**
 * Import rule for sessions with other nodes of this cluster: they may only send addresses of our
 * pools (their blocks and borrowed /32s). Anything else from a node is a misconfiguration or a leak.
 */
export function poolImportPolicy(pools: AnnouncePool[]): Policy {
  return {
    rules: pools.map((p) => ({
      name: `pool ${p.name}`,
      match: { prefixes: [{ prefix: p.cidr, le: p.cidr.includes(':') ? 128 : 32 }] },
      action: 'accept' as const,
    })),
    default: 'reject',
  };
}

export class BgpController {
  readonly speaker: BgpSpeaker;
  private readonly active = new Map<string, ActivePeer>();
  /** Planned sessions that cannot run (unreadable password, options the speaker refused), and why. */
  private readonly held = new Map<string, { planned: PlannedPeer; problem: string }>();
  private announced = new Map<string, Announcement>();
  private pools: AnnouncePool[] = [];
  private readonly filters = new Map<string, { import?: Policy; export?: Policy }>();
  /**
   * Sessions shut down by `tsroute bgppeer shutdown` (address → message), kept in memory for the
   * agent's lifetime: an operational switch, not configuration (a restarted agent peers again).
   */
  readonly shutdowns: Map<string, string>;
  /** BFD for the sessions that ask for it (RFC 5882): a BFD Down takes the session down at once. */
  private readonly bfd: BfdClient;

  constructor(readonly options: BgpControllerOptions) {
    this.shutdowns = new Map(options.shutdowns ?? []);
    this.bfd = new BfdClient(options.logger, {
      down: (address, why) => {
        if (!this.active.has(address) || this.shutdowns.has(address)) return;
        options.logger.warn({ peer: address, reason: why }, 'BFD down: taking the BGP session down');
        this.speaker.shutdownPeer(address, why);
      },
      up: (address) => {
        if (this.active.has(address) && !this.shutdowns.has(address)) this.speaker.enablePeer(address);
      },
    });
    const speakerOptions: SpeakerOptions = {
      asn: options.asn,
      routerId: options.routerId,
      clusterId: options.clusterId,
      listen: { port: options.listenPort },
      multipath: 16,
      gracefulRestart: { restartTime: options.gracefulRestartTime, restarting: options.restarting },
      logger: options.logger.child({ component: 'bgp' }),
      // TCP-MD5, TTL and GTSM through the dataplane's addon (bgp/ itself has no native code).
      socketOptions: { connecting: openTcpSocket, listening: setListenerMd5, accepted: setAcceptedOptions },
    };
    this.speaker = new BgpSpeaker(speakerOptions);
  }

  start(): Promise<void> {
    return this.speaker.start();
  }

  /** Closes every session with Cease/admin shutdown (an agent that is going away for good). */
  async stop(message: string): Promise<void> {
    await this.bfd.close();
    return this.speaker.stop(message);
  }

  onBestPath(listener: (e: BestPathEvent) => void): void {
    this.speaker.on('best-path-changed', listener);
  }

  /** BGPFilter resources, already turned into policies, by name. */
  setFilters(filters: Map<string, { import?: Policy; export?: Policy }>): void {
    this.filters.clear();
    for (const [k, v] of filters) this.filters.set(k, v);
  }

  setPools(pools: AnnouncePool[]): void {
    this.pools = pools;
  }

  private peerOptions(p: PlannedPeer, v6SessionToo: boolean): PeerOptions {
    const fromNodes = p.source === 'node-mesh' || p.source === 'route-reflection';
    const family6 = p.address.includes(':');
    // A link-local session (unnumbered, fe80::…%eth1) is the link's only session: it carries IPv4
    // routes too, with our IPv6 link-local address as their next hop (RFC 8950).
    const linkLocal = p.address.includes('%');
    const imports: Policy[] = [];
    const exports: Policy[] = [];
    for (const name of p.filters) {
      const f = this.filters.get(name);
      if (f?.import) imports.push(f.import);
      if (f?.export) exports.push(f.export);
    }
    // For other nodes of the cluster, the pool rule comes after any user filter's own verdicts.
    if (p.clusterPeer) imports.push(poolImportPolicy(this.pools));
    const options: PeerOptions = {
      address: p.address,
      asn: p.asNumber,
      port: p.port,
      // The source address is the BGPPeer's sourceAddress, else whatever the kernel picks toward the
      // peer: a host with two uplinks peers from each uplink's own address.
      localAddress: p.localAddress,
      // IPv6 routes carried over an IPv4 session need a real IPv6 next hop, not ::ffff:a.b.c.d.
      localAddress6: family6 ? undefined : this.options.address6,
      routeReflectorClient: p.routeReflectorClient,
      nextHop: p.nextHopMode === 'self' ? 'self' : p.nextHopMode === 'keep' ? 'keep' : undefined,
      holdTime: p.holdTime,
      keepalive: p.keepaliveTime,
      connectRetry: p.connectRetryTime,
      // IPv6 routes ride on the IPv6 session when there is one, else on the IPv4 session (MP-BGP)
      families: linkLocal ? ['ipv4', 'ipv6'] : family6 ? ['ipv6'] : v6SessionToo ? ['ipv4'] : ['ipv4', 'ipv6'],
      extendedNextHop: linkLocal || undefined,
      gracefulRestart: p.gracefulRestartTime ? { restartTime: p.gracefulRestartTime } : undefined,
      importPolicy: mergePolicies(imports),
      exportPolicy: mergePolicies(exports),
      maxPrefix:
        p.maxPrefix === undefined
          ? undefined
          : { limit: p.maxPrefix, restartAfter: p.maxPrefixRestartAfter, warningPercent: p.maxPrefixWarningPercent },
      // Both change what the OPEN offers: the speaker resets this peer's session (and only it).
      addPaths: p.addPaths,
      extendedMessages: p.extendedMessages,
      password: p.password,
      // Node-to-node sessions (mesh, reflection) come from no BGPPeer, so nothing could raise their
      // TTL: between nodes of different ASes they keep the kernel's TTL (the nodes may be routed
      // apart), as before eBGP defaulted to TTL 1.
      multihop: p.ebgpMultihop ?? (fromNodes && p.asNumber !== this.options.asn ? KERNEL_DEFAULT_TTL : undefined),
      ttlSecurity: p.ttlSecurity,
      description: `${p.type} (${p.source})`,
    };
    return JSON.parse(JSON.stringify(options)) as PeerOptions;
  }

  /** Brings the speaker's peers in line with the plan: add new, remove gone, update changed. */
  applyPeers(plan: PlannedPeer[]): void {
    const log = this.options.logger;
    const wanted = new Map(plan.map((p) => [p.address, p]));
    for (const [address] of this.active) {
      if (wanted.has(address)) continue;
      log.info({ peer: address }, 'removing BGP peer');
      this.speaker.removePeer(address);
      this.active.delete(address);
    }
    for (const address of this.held.keys()) if (!wanted.has(address)) this.held.delete(address);
    const withV6 = new Set(plan.filter((p) => p.address.includes(':') && p.peerNode).map((p) => p.peerNode));
    for (const p of plan) {
      const options = this.peerOptions(p, p.peerNode !== undefined && withV6.has(p.peerNode));
      const problem = p.passwordProblem ?? this.applyPeer(p, options);
      if (problem === undefined) {
        this.held.delete(p.address);
        continue;
      }
      // One peer that cannot run never stops the others; it shows in `node status` with the reason.
      if (!this.held.has(p.address) || this.held.get(p.address)?.problem !== problem)
        log.error({ peer: p.address, source: p.source, problem }, 'BGP peer not started');
      if (this.active.delete(p.address)) this.speaker.removePeer(p.address);
      this.held.set(p.address, { planned: p, problem });
    }
    this.bfd.apply(plan.filter((p) => this.active.has(p.address)));
  }

  /** Adds or updates one session; what the speaker refused, if anything. */
  private applyPeer(p: PlannedPeer, options: PeerOptions): string | undefined {
    const log = this.options.logger;
    const fingerprint = JSON.stringify(options);
    const current = this.active.get(p.address);
    try {
      if (!current) {
        log.info({ peer: p.address, as: p.asNumber, type: p.type, source: p.source }, 'adding BGP peer');
        const down = this.shutdowns.get(p.address);
        this.speaker.addPeer(options, down === undefined ? undefined : { message: down });
      } else if (current.fingerprint !== fingerprint) {
        log.info({ peer: p.address, as: p.asNumber, type: p.type }, 'updating BGP peer');
        const onlyPolicy =
          JSON.stringify({ ...current.options, importPolicy: undefined, exportPolicy: undefined }) ===
          JSON.stringify({ ...options, importPolicy: undefined, exportPolicy: undefined });
        if (onlyPolicy) {
          // Only the policies: the speaker swaps them on the running session, re-sends its export and
          // asks for the peer's routes again (RFC 2918 route refresh). Any other key would reset it.
          this.speaker.updatePeer(p.address, {
            importPolicy: options.importPolicy,
            exportPolicy: options.exportPolicy,
          });
        } else {
          // Fields that disappeared must reach the speaker as "unset", not be left at their old value.
          const cleared = Object.fromEntries(Object.keys(current.options).map((k) => [k, undefined]));
          this.speaker.updatePeer(p.address, { ...cleared, ...options });
        }
      }
    } catch (err) {
      return (err as Error).message;
    }
    this.active.set(p.address, { planned: p, options, fingerprint });
    return undefined;
  }

  /** Announces what is new or changed and withdraws what is no longer wanted. */
  applyAnnouncements(desired: Map<string, Announcement>): void {
    for (const prefix of this.announced.keys()) if (!desired.has(prefix)) this.speaker.withdraw(prefix);
    for (const [prefix, a] of desired) {
      const old = this.announced.get(prefix);
      if (old && old.med === a.med && old.communities.join() === a.communities.join()) continue;
      this.speaker.announce(prefix, {
        communities: a.communities.filter((c) => c.split(':').length === 2),
        largeCommunities: a.communities.filter((c) => c.split(':').length === 3),
        med: a.med,
      });
    }
    this.announced = new Map(desired);
  }

  announcedPrefixes(): Set<string> {
    return new Set(this.announced.keys());
  }

  /** Planned sessions that are not running, with the reason (a BGPPeer the speaker refused). */
  heldPeers(): { address: string; source: string; problem: string }[] {
    return [...this.held.values()].map(({ planned, problem }) => ({
      address: planned.address,
      source: planned.source,
      problem,
    }));
  }

  /**
   * The session addresses `name` stands for: a peer address, a BGPPeer name (all its sessions here),
   * or a node name (the sessions with that tsroute node, mesh or BGPPeer).
   */
  resolvePeers(name: string): string[] {
    const canonical = canonicalAddress(name);
    return [...this.active.values()]
      .filter(
        ({ planned: p }) =>
          p.address === canonical || (p.source === name && p.source !== 'node-mesh') || p.peerNode === name,
      )
      .map(({ planned }) => planned.address);
  }

  /** Hard reset (Cease/administrative reset) or soft reset (route refresh both ways). */
  resetPeer(address: string, soft: boolean, message?: string): boolean {
    return this.speaker.resetPeer(address, { soft, message });
  }

  shutdownPeer(address: string, message: string): void {
    this.shutdowns.set(address, message);
    this.speaker.shutdownPeer(address, message);
  }

  enablePeer(address: string): void {
    this.shutdowns.delete(address);
    this.speaker.enablePeer(address);
  }

  peers(): Peer[] {
    const running = this.speaker.peers().map((s) => {
      const active = this.active.get(s.address);
      const peer = toApiPeer(s, active?.planned.type, active ? sessionHint(s, active.options) : undefined);
      const bfd = this.bfd.state(s.address);
      // Held down by BFD (the speaker's admin shutdown underneath): say so, not "shut down by admin".
      if (this.bfd.holdsDown(s.address) && !this.shutdowns.has(s.address))
        return { ...peer, bfd, adminShutdown: false, adminShutdownMessage: '', info: `held down: BFD ${bfd}` };
      return { ...peer, bfd };
    });
    const held = [...this.held.values()].map(({ planned, problem }) => heldPeer(planned, problem));
    return [...running, ...held];
  }

  routes(view: 'LOC_RIB' | 'ADJ_RIB_IN' | 'ADJ_RIB_OUT', prefix: string, peer: string, longer: boolean): Route[] {
    let paths: RouteView[];
    const filter = prefix && !longer ? { prefix } : {};
    if (view === 'ADJ_RIB_IN') paths = this.speaker.adjRibIn(peer, filter);
    else if (view === 'ADJ_RIB_OUT') paths = this.speaker.adjRibOut(peer, filter);
    else paths = this.speaker.locRib(filter);
    if (prefix && longer) paths = paths.filter((r) => within(r.prefix, prefix));
    return paths.map(toApiRoute);
  }
}

/** Several policies in a row: the first decisive rule wins; the last policy's default applies. */
function mergePolicies(policies: Policy[]): Policy | undefined {
  if (policies.length === 0) return undefined;
  if (policies.length === 1) return policies[0];
  return { rules: policies.flatMap((p) => p.rules), default: policies[policies.length - 1]?.default ?? 'accept' };
}

function within(prefix: string, outer: string): boolean {
  const inner = cidrOf(prefix);
  const o = cidrOf(outer);
  return inner !== undefined && o !== undefined && cidrContains(o, inner);
}

/** A planned session that is not running: Idle, with the reason as its info. */
function heldPeer(p: PlannedPeer, problem: string): Peer {
  return {
    address: p.address,
    asNumber: p.asNumber,
    type: p.type,
    state: 'Idle',
    sinceUnixMs: 0,
    info: `not started: ${problem}`,
    routesReceived: 0,
    routesAccepted: 0,
    routesAdvertised: 0,
    capabilities: [],
    messagesReceived: 0,
    messagesSent: 0,
    routerId: '',
    holdTime: 0,
    receivedShutdownMessage: '',
    adminShutdown: false,
    adminShutdownMessage: '',
    bfd: '',
  };
}

/**
 * The INFO column: our admin shutdown, else the last error (with a hint). While the session is down,
 * the text of the peer's last shutdown NOTIFICATION stays visible even after a later connection
 * error replaced the last error: it is usually the one thing that says why.
 */
function peerInfo(s: PeerStatus, hint: string | undefined): string {
  if (s.adminShutdown)
    return `shut down by admin${s.adminShutdown.message ? `: ${JSON.stringify(s.adminShutdown.message)}` : ''}`;
  const info = hint ?? s.lastError ?? s.description ?? '';
  const said = s.lastNotificationReceived?.text;
  if (s.state === 'Established' || said === undefined) return info;
  const quoted = JSON.stringify(said);
  return info.includes(quoted) ? info : `${info}; the peer's shutdown message was ${quoted}`;
}

function toApiPeer(s: PeerStatus, type: PlannedPeerType | undefined, hint: string | undefined): Peer {
  return {
    address: s.address,
    asNumber: s.asn,
    type: type ?? (s.type === 'ebgp' ? 'global' : 'mesh'),
    state: s.state,
    sinceUnixMs: s.establishedAt ? s.establishedAt.getTime() : 0,
    info: peerInfo(s, hint),
    routesReceived: s.counters.prefixesReceived,
    routesAccepted: s.counters.prefixesAccepted,
    routesAdvertised: s.counters.prefixesAdvertised,
    capabilities: s.capabilities
      ? [
          ...s.capabilities.families,
          ...(s.capabilities.fourOctetAs ? ['4-octet-as'] : []),
          ...(s.capabilities.routeRefresh ? ['route-refresh'] : []),
          ...(s.capabilities.enhancedRouteRefresh ? ['enhanced-route-refresh'] : []),
          ...(s.capabilities.gracefulRestart
            ? [`graceful-restart(${s.capabilities.gracefulRestart.restartTime}s)`]
            : []),
          ...(s.capabilities.extendedMessage ? ['extended-message'] : []),
          ...s.capabilities.addPathReceive.map((f) => `add-path-receive(${f})`),
          ...s.capabilities.addPathSend.map((f) => `add-path-send(${f})`),
        ]
      : [],
    messagesReceived: s.counters.messagesIn,
    messagesSent: s.counters.messagesOut,
    routerId: s.routerId ?? '',
    holdTime: s.capabilities?.holdTime ?? 0,
    receivedShutdownMessage: s.lastNotificationReceived?.text ?? '',
    adminShutdown: s.adminShutdown !== undefined,
    adminShutdownMessage: s.adminShutdown?.message ?? '',
    bfd: '',
  };
}

function toApiRoute(r: RouteView): Route {
  return {
    prefix: r.prefix,
    nextHops: r.nextHop ? [r.nextHop] : [],
    asPath: r.asPath,
    communities: r.communities,
    largeCommunities: r.largeCommunities,
    localPref: r.localPref ?? 0,
    med: r.med ?? 0,
    source: r.from,
    best: !!r.best,
    origin: r.origin,
    stale: !!r.stale,
    protocol: 'bgp',
    dev: '',
    type: 'unicast',
  };
}
