// FRR (zebra + bgpd) in a lab namespace. FRR insists on running as user "frr", so its run folder
// and configs are made readable/writable for that user; state comes back as JSON from vtysh.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stopPid } from './daemon.js';
import { requireBinary, run } from './exec.js';
import type { Lab } from './lab.js';
import type { Netns } from './netns.js';
import {
  type BfdSessionState,
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

const ZEBRA = '/usr/lib/frr/zebra';
const BGPD = '/usr/lib/frr/bgpd';
const BFDD = '/usr/lib/frr/bfdd';

/** The bfdd profile BGP sessions with `bfd` use: the RouterSpec's bfd intervals. */
const BFD_PROFILE = 'lab';

/**
 * bfdd's configuration: one standalone peer per spec entry (FRR's `bfd` node), and a profile with
 * the same timing for BGP's sessions (`neighbor X bfd profile lab`; bfdd's own default is 300 ms).
 */
export function frrBfddConfig(spec: RouterSpec, logFile: string): string {
  const lines = [`hostname frr-${spec.routerId}`, `log file ${logFile}`, '!', 'bfd'];
  lines.push(` profile ${BFD_PROFILE}`, `  detect-multiplier ${spec.bfd?.multiplier}`);
  lines.push(`  receive-interval ${spec.bfd?.intervalMs}`, `  transmit-interval ${spec.bfd?.intervalMs}`, ' !');
  for (const peer of spec.bfd?.peers ?? []) {
    lines.push(` peer ${peer.address}${peer.localAddress ? ` local-address ${peer.localAddress}` : ''}`);
    lines.push(`  detect-multiplier ${spec.bfd?.multiplier}`);
    lines.push(`  receive-interval ${spec.bfd?.intervalMs}`, `  transmit-interval ${spec.bfd?.intervalMs}`);
    lines.push(' !');
  }
  return `${lines.join('\n')}\n!\n`;
}

function routeMapName(o: Origination): string {
  return `ORIG-${o.prefix.replace(/[^0-9a-fA-F]/g, '-')}`;
}

function originationLines(o: Origination): { network: string; routeMap: string[] } {
  const sets: string[] = [];
  if (o.communities?.length) sets.push(` set community ${o.communities.join(' ')}`);
  if (o.largeCommunities?.length) sets.push(` set large-community ${o.largeCommunities.join(' ')}`);
  if (o.med !== undefined) sets.push(` set metric ${o.med}`);
  if (o.asPathPrepend?.length) sets.push(` set as-path prepend ${o.asPathPrepend.join(' ')}`);
  if (!sets.length) return { network: `  network ${o.prefix}`, routeMap: [] };
  const name = routeMapName(o);
  return {
    network: `  network ${o.prefix} route-map ${name}`,
    routeMap: [`route-map ${name} permit 10`, ...sets, '!'],
  };
}

export function frrBgpdConfig(spec: RouterSpec, logFile: string): string {
  const origins = (spec.originate ?? []).map(toOrigination);
  const lines = ['frr defaults traditional', `hostname frr-${spec.routerId}`, `log file ${logFile}`, '!'];
  for (const o of origins) lines.push(...originationLines(o).routeMap);
  lines.push(
    `router bgp ${spec.as}`,
    ` bgp router-id ${spec.routerId}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
  );
  if (spec.clusterId) lines.push(` bgp cluster-id ${spec.clusterId}`);
  for (const peer of spec.peers) {
    lines.push(` neighbor ${peer.address} remote-as ${peer.as}`);
    if (peer.port) lines.push(` neighbor ${peer.address} port ${peer.port}`);
    lines.push(
      ` neighbor ${peer.address} timers ${peer.keepalive ?? TEST_TIMERS.keepalive} ${peer.holdTime ?? TEST_TIMERS.holdTime}`,
    );
    lines.push(` neighbor ${peer.address} timers connect ${TEST_TIMERS.connectRetry}`);
    if (peer.localAddress) lines.push(` neighbor ${peer.address} update-source ${peer.localAddress}`);
    if (peer.passive) lines.push(` neighbor ${peer.address} passive`);
    if (peer.multihop) lines.push(` neighbor ${peer.address} ebgp-multihop ${peer.multihop}`);
    if (peer.password) lines.push(` neighbor ${peer.address} password ${peer.password}`);
    if (peer.ttlSecurity) lines.push(` neighbor ${peer.address} ttl-security hops ${peer.ttlSecurity}`);
    if (peer.gracefulRestart) lines.push(` neighbor ${peer.address} graceful-restart`);
    if (peer.bfd) {
      // bgpd registers the session with bfdd (started when the spec has bfd) under the lab profile.
      if (!spec.bfd) throw new Error(`FRR peer ${peer.address}: bfd needs the RouterSpec's bfd (intervals)`);
      lines.push(` neighbor ${peer.address} bfd`, ` neighbor ${peer.address} bfd profile ${BFD_PROFILE}`);
    }
  }
  if (spec.peers.some((p) => p.gracefulRestart)) {
    const time = spec.peers.find((p) => p.gracefulRestart)?.gracefulRestart?.restartTime ?? 120;
    lines.push(` bgp graceful-restart restart-time ${time}`);
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    lines.push(` address-family ${family} unicast`);
    for (const o of origins.filter((x) => familyOf(x.prefix) === family)) lines.push(originationLines(o).network);
    for (const peer of spec.peers) {
      const families: Family[] = peer.families ?? [familyOf(peer.address)];
      if (families.includes(family)) {
        lines.push(`  neighbor ${peer.address} activate`);
        if (peer.routeReflectorClient) lines.push(`  neighbor ${peer.address} route-reflector-client`);
        if (peer.nextHopSelf) lines.push(`  neighbor ${peer.address} next-hop-self`);
      } else if (family === 'ipv4') {
        lines.push(`  no neighbor ${peer.address} activate`);
      }
    }
    lines.push(' exit-address-family');
  }
  if (spec.extraConfig) lines.push(spec.extraConfig);
  return `${lines.join('\n')}\n!\n`;
}

const FRR_STATES: Record<string, SessionStateName> = {
  Idle: 'Idle',
  Connect: 'Connect',
  Active: 'Active',
  OpenSent: 'OpenSent',
  OpenConfirm: 'OpenConfirm',
  Established: 'Established',
};

interface FrrPath {
  valid?: boolean;
  bestpath?: boolean | { overall?: boolean };
  stale?: boolean;
  path?: string;
  aspath?: { string?: string } | string;
  med?: number;
  metric?: number;
  locPrf?: number;
  localpref?: number;
  community?: { string: string };
  largeCommunity?: { string: string };
  originatorId?: string;
  clusterList?: { list: string[] };
  nexthops?: { ip: string; afi?: string; scope?: string }[];
}

function frrPathToRoute(prefix: string, p: FrrPath): RibRoute {
  const asText = typeof p.aspath === 'string' ? p.aspath : (p.aspath?.string ?? p.path ?? '');
  return {
    prefix,
    nextHop: p.nexthops?.find((n) => n.scope !== 'link-local')?.ip ?? p.nexthops?.[0]?.ip,
    asPath: asText
      .split(/\s+/)
      .filter((x) => /^\d+$/.test(x))
      .map(Number),
    communities: p.community?.string ? p.community.string.split(' ') : [],
    largeCommunities: p.largeCommunity?.string ? p.largeCommunity.string.split(' ') : [],
    med: p.med ?? p.metric,
    localPref: p.locPrf ?? p.localpref,
    originatorId: p.originatorId,
    clusterList: p.clusterList?.list,
    stale: p.stale,
    best: Boolean(p.bestpath),
  };
}

export class Frr implements Router {
  readonly kind = 'frr' as const;

  private constructor(
    readonly ns: Netns,
    readonly spec: RouterSpec,
    private readonly runDir: string,
  ) {}

  static start(lab: Lab, ns: Netns, spec: RouterSpec): Promise<Frr> {
    return Frr.launch(lab, ns, spec, (log) => frrBgpdConfig(spec, log));
  }

  /**
   * FRR with a bgpd configuration written by someone else (a topology file's bound frr.conf): `spec`
   * then only names it (router ID, AS) for status output; the peers come from the file.
   */
  static startWithConfig(lab: Lab, ns: Netns, spec: RouterSpec, bgpdConf: string): Promise<Frr> {
    return Frr.launch(lab, ns, spec, () => bgpdConf);
  }

  private static async launch(
    lab: Lab,
    ns: Netns,
    spec: RouterSpec,
    bgpdConfig: (logFile: string) => string,
  ): Promise<Frr> {
    requireBinary(ZEBRA);
    requireBinary(BGPD);
    requireBinary('vtysh');
    const runDir = lab.path(`frr-${ns.label}`);
    mkdirSync(runDir, { recursive: true });
    // FRR drops to user frr: it must be able to enter the lab folder and write its run folder.
    chmodSync(lab.dir, 0o755);
    chmodSync(runDir, 0o777);
    for (const name of ['zebra', 'bgpd', 'bfdd']) {
      const log = `${lab.logDir}/frr-${ns.label}-${name}.log`;
      writeFileSync(log, '');
      chmodSync(log, 0o666);
    }
    chmodSync(lab.logDir, 0o777);
    writeFileSync(
      `${runDir}/zebra.conf`,
      `hostname frr-${spec.routerId}\nlog file ${lab.logDir}/frr-${ns.label}-zebra.log\n!\n`,
    );
    writeFileSync(`${runDir}/bgpd.conf`, bgpdConfig(`${lab.logDir}/frr-${ns.label}-bgpd.log`));
    const common = ['-d', '-u', 'frr', '-g', 'frr', '-z', `${runDir}/zserv.api`, '--vty_socket', runDir, '-P', '0'];
    await ns.exec([ZEBRA, ...common, '-f', `${runDir}/zebra.conf`, '-i', `${runDir}/zebra.pid`]);
    await waitFor('FRR zebra socket', () => run(['test', '-S', `${runDir}/zserv.api`]).then(() => true));
    const bgpdArgs = [BGPD, ...common, '-f', `${runDir}/bgpd.conf`, '-i', `${runDir}/bgpd.pid`];
    if (spec.listenPort) bgpdArgs.push('-p', String(spec.listenPort));
    // No -l: bgpd listens on every address of its namespace, IPv4 and IPv6 (with -l a.b.c.d it
    // refuses IPv6 sessions, and the peer's first connection is reset).
    await ns.exec(bgpdArgs);
    if (spec.bfd) {
      requireBinary(BFDD);
      writeFileSync(`${runDir}/bfdd.conf`, frrBfddConfig(spec, `${lab.logDir}/frr-${ns.label}-bfdd.log`));
      await ns.exec([
        BFDD,
        ...common,
        '-f',
        `${runDir}/bfdd.conf`,
        '-i',
        `${runDir}/bfdd.pid`,
        '--bfdctl',
        `${runDir}/bfdd.sock`,
      ]);
    }
    const frr = new Frr(ns, spec, runDir);
    // The daemons fork away from us; the lab's namespace sweep stops them, and so does stop().
    lab.onDestroy(() => frr.stop());
    await waitFor(`FRR bgpd in ${ns.label} to answer vtysh`, async () => {
      await frr.vtysh('show bgp summary json');
      return true;
    });
    return frr;
  }

  /** The folder of FRR's vty sockets: what `vtysh --vty_socket` needs to reach this FRR. */
  get vtyDir(): string {
    return this.runDir;
  }

  /** Runs vtysh commands (each a -c) against this FRR and returns stdout. */
  async vtysh(...commands: string[]): Promise<string> {
    const args = ['vtysh', '--vty_socket', this.runDir];
    for (const c of commands) args.push('-c', c);
    return (await this.ns.exec(args)).stdout;
  }

  async sessions(): Promise<SessionState[]> {
    const out: SessionState[] = [];
    for (const family of ['ipv4', 'ipv6'] as const) {
      const summary = JSON.parse(await this.vtysh(`show bgp ${family} unicast summary json`)) as {
        peers?: Record<string, { remoteAs?: number; state?: string; pfxRcd?: number; peerState?: string }>;
      };
      for (const [peer, s] of Object.entries(summary.peers ?? {})) {
        if (out.some((o) => o.peer === peer)) continue;
        out.push({
          peer,
          peerAs: s.remoteAs,
          state: FRR_STATES[s.state ?? ''] ?? 'Unknown',
          received: s.pfxRcd,
          info: s.peerState,
        });
      }
    }
    return out;
  }

  async routes(family: Family = 'ipv4'): Promise<RibRoute[]> {
    const json = JSON.parse(await this.vtysh(`show bgp ${family} unicast json detail`)) as {
      routes?: Record<string, FrrPath[] | { paths: FrrPath[] }>;
    };
    return Object.entries(json.routes ?? {}).flatMap(([prefix, v]) =>
      // `json detail` starts each prefix's list with a header entry that is not a path: skip it.
      (Array.isArray(v) ? v : v.paths).filter((p) => p.nexthops !== undefined).map((p) => frrPathToRoute(prefix, p)),
    );
  }

  async advertised(peer: string, family: Family = 'ipv4'): Promise<RibRoute[]> {
    const json = JSON.parse(
      await this.vtysh(`show bgp ${family} unicast neighbors ${peer} advertised-routes json`),
    ) as {
      advertisedRoutes?: Record<string, FrrPath & { network?: string }>;
    };
    return Object.entries(json.advertisedRoutes ?? {}).map(([prefix, p]) => frrPathToRoute(prefix, p));
  }

  private async configure(lines: string[]): Promise<void> {
    await this.vtysh('configure terminal', `router bgp ${this.spec.as}`, ...lines);
  }

  async announce(route: string | Origination): Promise<void> {
    const o = toOrigination(route);
    const { network, routeMap } = originationLines(o);
    if (routeMap.length) {
      await this.vtysh('configure terminal', ...routeMap.filter((l) => l !== '!').map((l) => l.trim()));
    }
    await this.configure([`address-family ${familyOf(o.prefix)} unicast`, network.trim()]);
  }

  async withdraw(prefix: string): Promise<void> {
    await this.configure([`address-family ${familyOf(prefix)} unicast`, `no network ${prefix}`]);
  }

  /** `show bfd peers json`, normalized (FRR says up/down/init/shutdown). */
  async bfdSessions(): Promise<BfdSessionState[]> {
    const peers = JSON.parse(await this.vtysh('show bfd peers json')) as { peer: string; status: string }[];
    const names: Record<string, string> = { up: 'Up', down: 'Down', init: 'Init', shutdown: 'AdminDown' };
    return peers.map((p) => ({ peer: p.peer, state: names[p.status] ?? p.status }));
  }

  /** SIGKILLs bfdd: its sessions stop without a word (for detection tests). */
  async killBfdd(): Promise<void> {
    process.kill(Number(readFileSync(`${this.runDir}/bfdd.pid`, 'utf8').trim()), 'SIGKILL');
  }

  /** Starts bfdd again after killBfdd (same configuration). */
  async restartBfdd(): Promise<void> {
    const common = [
      '-d',
      '-u',
      'frr',
      '-g',
      'frr',
      '-z',
      `${this.runDir}/zserv.api`,
      '--vty_socket',
      this.runDir,
      '-P',
      '0',
    ];
    await this.ns.exec([
      BFDD,
      ...common,
      '-f',
      `${this.runDir}/bfdd.conf`,
      '-i',
      `${this.runDir}/bfdd.pid`,
      '--bfdctl',
      `${this.runDir}/bfdd.sock`,
    ]);
  }

  async stop(): Promise<void> {
    for (const name of ['bfdd', 'bgpd', 'zebra']) {
      try {
        await stopPid(Number(readFileSync(`${this.runDir}/${name}.pid`, 'utf8').trim()));
      } catch {
        // no pid file: never started or already gone
      }
    }
  }

  log(): string {
    try {
      return readFileSync(`${this.runDir}/../logs/frr-${this.ns.label}-bgpd.log`, 'utf8')
        .split('\n')
        .slice(-20)
        .join('\n');
    } catch {
      return '';
    }
  }
}
