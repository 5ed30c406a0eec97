// GoBGP (gobgpd) in a lab namespace: TOML generated from a RouterSpec, state read back as JSON
// through the gobgp CLI on the namespace's own loopback.
import { writeFileSync } from 'node:fs';
import type { Daemon } from './daemon.js';
import { requireBinary } from './exec.js';
import type { Lab } from './lab.js';
import type { Netns } from './netns.js';
import {
  type Family,
  familyOf,
  type Origination,
  type RibRoute,
  type Router,
  type RouterSpec,
  type SessionState,
  type SessionStateName,
  TEST_TIMERS,
  toOrigination,
} from './router.js';
import { waitFor } from './wait.js';

/** The port of gobgpd's gRPC API; each namespace has its own loopback, so one number serves all. */
const API_PORT = 50051;

export function gobgpConfig(spec: RouterSpec): string {
  const lines = ['[global.config]', `  as = ${spec.as}`, `  router-id = "${spec.routerId}"`];
  if (spec.listenPort) lines.push(`  port = ${spec.listenPort}`);
  for (const peer of spec.peers) {
    const families: Family[] = peer.families ?? [familyOf(peer.address)];
    lines.push(
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = "${peer.address}"`,
      `    peer-as = ${peer.as}`,
    );
    lines.push(
      '  [neighbors.timers.config]',
      `    connect-retry = ${TEST_TIMERS.connectRetry}`,
      `    hold-time = ${peer.holdTime ?? TEST_TIMERS.holdTime}`,
      `    keepalive-interval = ${peer.keepalive ?? TEST_TIMERS.keepalive}`,
      '    idle-hold-time-after-reset = 1',
    );
    lines.push('  [neighbors.transport.config]');
    if (peer.localAddress) lines.push(`    local-address = "${peer.localAddress}"`);
    if (peer.port) lines.push(`    remote-port = ${peer.port}`);
    if (peer.passive) lines.push('    passive-mode = true');
    if (peer.multihop)
      lines.push('  [neighbors.ebgp-multihop.config]', '    enabled = true', `    multihop-ttl = ${peer.multihop}`);
    if (peer.routeReflectorClient) {
      lines.push('  [neighbors.route-reflector.config]', '    route-reflector-client = true');
      lines.push(`    route-reflector-cluster-id = "${spec.clusterId ?? spec.routerId}"`);
    }
    if (peer.gracefulRestart) {
      lines.push(
        '  [neighbors.graceful-restart.config]',
        '    enabled = true',
        `    restart-time = ${peer.gracefulRestart.restartTime}`,
      );
    }
    for (const family of families) {
      lines.push(
        '  [[neighbors.afi-safis]]',
        '    [neighbors.afi-safis.config]',
        `      afi-safi-name = "${family}-unicast"`,
      );
      if (peer.gracefulRestart)
        lines.push('    [neighbors.afi-safis.mp-graceful-restart.config]', '      enabled = true');
      if (peer.addPaths)
        lines.push(
          '    [neighbors.afi-safis.add-paths.config]',
          `      receive = ${peer.addPaths !== 'send'}`,
          `      send-max = ${peer.addPaths === 'receive' ? 0 : 8}`,
        );
    }
  }
  if (spec.extraConfig) lines.push(spec.extraConfig);
  return `${lines.join('\n')}\n`;
}

const GOBGP_STATES: Record<string, SessionStateName> = {
  '1': 'Idle',
  '2': 'Connect',
  '3': 'Active',
  '4': 'OpenSent',
  '5': 'OpenConfirm',
  '6': 'Established',
  idle: 'Idle',
  connect: 'Connect',
  active: 'Active',
  opensent: 'OpenSent',
  openconfirm: 'OpenConfirm',
  established: 'Established',
  BGP_FSM_IDLE: 'Idle',
  BGP_FSM_CONNECT: 'Connect',
  BGP_FSM_ACTIVE: 'Active',
  BGP_FSM_OPENSENT: 'OpenSent',
  BGP_FSM_OPENCONFIRM: 'OpenConfirm',
  BGP_FSM_ESTABLISHED: 'Established',
};

interface GobgpAttr {
  type: number;
  value?: unknown;
  nexthop?: string;
  as_paths?: { segment_type: number; num: number; asns: number[] }[];
  communities?: number[];
  metric?: number;
  id?: string;
  list?: string[];
}
interface GobgpPath {
  nlri: { prefix: string };
  attrs: GobgpAttr[];
  best?: boolean;
  stale?: boolean;
  'neighbor-ip'?: string;
}

/** Normalizes `gobgp ... rib -j` output (an object keyed by prefix, or a list) into RibRoutes. */
export function parseGobgpRib(json: unknown): RibRoute[] {
  const paths: GobgpPath[] = Array.isArray(json)
    ? (json as { paths?: GobgpPath[] }[]).flatMap((d) => d.paths ?? (d as unknown as GobgpPath))
    : Object.values(json as Record<string, GobgpPath[]>).flat();
  return paths.map((p) => {
    const route: RibRoute = {
      prefix: p.nlri.prefix,
      asPath: [],
      communities: [],
      largeCommunities: [],
      best: p.best,
      stale: p.stale,
    };
    for (const a of p.attrs) {
      switch (a.type) {
        case 2:
          route.asPath = (a.as_paths ?? []).flatMap((s) => s.asns);
          break;
        case 3:
          route.nextHop = a.nexthop;
          break;
        case 4:
          route.med = a.metric;
          break;
        case 5:
          route.localPref = a.value as number;
          break;
        case 8:
          route.communities = (a.communities ?? []).map((c) => `${c >>> 16}:${c & 0xffff}`);
          break;
        case 9:
          route.originatorId = a.value as string;
          break;
        case 10:
          route.clusterList = a.value as string[];
          break;
        case 14:
          route.nextHop = a.nexthop ?? route.nextHop;
          break;
        case 32:
          route.largeCommunities = (
            (a.value as { ASN: number; LocalData1: number; LocalData2: number }[] | undefined) ?? []
          ).map((c) => `${c.ASN}:${c.LocalData1}:${c.LocalData2}`);
          break;
      }
    }
    return route;
  });
}

export class Gobgp implements Router {
  readonly kind = 'gobgp' as const;

  private constructor(
    readonly ns: Netns,
    readonly spec: RouterSpec,
    private readonly confFile: string,
    private daemon: Daemon,
  ) {}

  static async start(lab: Lab, ns: Netns, spec: RouterSpec, { restarting = false } = {}): Promise<Gobgp> {
    requireBinary('gobgp');
    const confFile = lab.path(`gobgpd-${ns.label}.toml`);
    writeFileSync(confFile, gobgpConfig(spec));
    const router = new Gobgp(ns, spec, confFile, Gobgp.spawn(ns, confFile, restarting));
    await router.waitForApi();
    for (const o of spec.originate ?? []) await router.announce(o);
    return router;
  }

  private static spawn(ns: Netns, confFile: string, restarting: boolean): Daemon {
    const argv = [
      requireBinary('gobgpd'),
      '-f',
      confFile,
      '-p',
      '--api-hosts',
      `127.0.0.1:${API_PORT}`,
      '--pprof-disable',
    ];
    if (restarting) argv.push('--graceful-restart');
    return ns.spawn('gobgpd', argv);
  }

  private async waitForApi(): Promise<void> {
    await waitFor(`gobgpd in ${this.ns.label} to answer its API`, async () => {
      this.daemon.assertRunning();
      await this.gobgp('global');
      return true;
    });
  }

  /** Runs `gobgp -p PORT ARGS` in the namespace and returns stdout. */
  async gobgp(...args: string[]): Promise<string> {
    return (await this.ns.exec(['gobgp', '-p', String(API_PORT), ...args])).stdout;
  }

  async sessions(): Promise<SessionState[]> {
    const list = JSON.parse(await this.gobgp('neighbor', '-j')) as {
      conf: { neighbor_address: string; peer_asn?: number };
      state: { session_state: number | string; neighbor_address?: string };
      afi_safis?: { state?: { received?: number } }[];
    }[];
    return list.map((n) => ({
      peer: n.conf.neighbor_address ?? n.state.neighbor_address,
      peerAs: n.conf.peer_asn,
      state: GOBGP_STATES[String(n.state.session_state)] ?? 'Unknown',
      received: (n.afi_safis ?? []).reduce((sum, a) => sum + (a.state?.received ?? 0), 0),
    }));
  }

  async routes(family: Family = 'ipv4'): Promise<RibRoute[]> {
    return parseGobgpRib(JSON.parse((await this.gobgp('global', 'rib', '-a', family, '-j')) || '{}'));
  }

  /** What GoBGP sends to `peer` (its Adj-RIB-Out). */
  async advertised(peer: string, family: Family = 'ipv4'): Promise<RibRoute[]> {
    return parseGobgpRib(JSON.parse((await this.gobgp('neighbor', peer, 'adj-out', '-a', family, '-j')) || '{}'));
  }

  /** What GoBGP received from `peer` before policy (its Adj-RIB-In). */
  async received(peer: string, family: Family = 'ipv4'): Promise<RibRoute[]> {
    return parseGobgpRib(JSON.parse((await this.gobgp('neighbor', peer, 'adj-in', '-a', family, '-j')) || '{}'));
  }

  async announce(route: string | Origination): Promise<void> {
    const o = toOrigination(route);
    const family = familyOf(o.prefix);
    const args = ['global', 'rib', 'add', '-a', family, o.prefix];
    // Locally originated paths need an explicit next hop in GoBGP; "self" semantics come from eBGP rewriting.
    args.push('nexthop', family === 'ipv4' ? this.spec.routerId : '::');
    if (o.communities?.length) args.push('community', o.communities.join(','));
    if (o.largeCommunities?.length) args.push('large-community', o.largeCommunities.join(','));
    if (o.med !== undefined) args.push('med', String(o.med));
    await this.gobgp(...args);
  }

  async withdraw(prefix: string): Promise<void> {
    await this.gobgp('global', 'rib', 'del', '-a', familyOf(prefix), prefix);
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
  }

  /**
   * Restarts gobgpd. With `gracefully`, it is killed (no NOTIFICATION, so peers keep its routes as
   * stale) and comes back with the restart-state flag, then re-announces its routes.
   */
  async restart({ gracefully = false }: { gracefully?: boolean } = {}): Promise<void> {
    if (gracefully && this.daemon.running) process.kill(this.daemon.pid, 'SIGKILL');
    await this.daemon.stop();
    this.daemon = Gobgp.spawn(this.ns, this.confFile, gracefully);
    await this.waitForApi();
    for (const o of this.spec.originate ?? []) await this.announce(o);
  }

  log(): string {
    return this.daemon.tail();
  }
}
