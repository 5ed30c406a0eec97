// BIRD 2 in a lab namespace: config generated from a RouterSpec, state read back through birdc.
import { writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Daemon } from './daemon.js';
import { requireBinary } from './exec.js';
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

const protoName = (i: number) => `peer${i + 1}`;

function staticRoute(o: Origination): string {
  const sets: string[] = [];
  // Prepending from the right leaves the listed ASes first, in order (BIRD adds its own AS on export).
  for (const asn of [...(o.asPathPrepend ?? [])].reverse()) sets.push(`bgp_path.prepend(${asn});`);
  for (const c of o.communities ?? []) sets.push(`bgp_community.add((${c.replace(':', ',')}));`);
  for (const c of o.largeCommunities ?? []) sets.push(`bgp_large_community.add((${c.split(':').join(',')}));`);
  if (o.med !== undefined) sets.push(`bgp_med = ${o.med};`);
  return `  route ${o.prefix} blackhole${sets.length ? ` { ${sets.join(' ')} }` : ''};`;
}

/** The bird.conf for `spec`; exported so tests can show what they ran. */
export function birdConfig(spec: RouterSpec, logFile: string, origins: Origination[]): string {
  const kernel = spec.kernel ?? true;
  const lines = [
    `log "${logFile}" all;`,
    `router id ${spec.routerId};`,
    'protocol device { scan time 10; }',
    `protocol kernel kern4 { ipv4 { import none; export ${kernel ? 'where source = RTS_BGP' : 'none'}; }; merge paths on; }`,
    `protocol kernel kern6 { ipv6 { import none; export ${kernel ? 'where source = RTS_BGP' : 'none'}; }; merge paths on; }`,
  ];
  for (const family of ['ipv4', 'ipv6'] as const) {
    const mine = origins.filter((o) => familyOf(o.prefix) === family);
    lines.push(`protocol static orig${family === 'ipv4' ? 4 : 6} {`, `  ${family};`, ...mine.map(staticRoute), '}');
  }
  spec.peers.forEach((peer, i) => {
    const families: Family[] = peer.families ?? [familyOf(peer.address)];
    const local = peer.localAddress ? `local ${peer.localAddress} ` : 'local ';
    lines.push(`protocol bgp ${protoName(i)} {`);
    // BIRD listens per protocol: `local [ip] port N` is the port this session accepts on
    lines.push(`  ${local}${spec.listenPort ? `port ${spec.listenPort} ` : ''}as ${spec.as};`);
    lines.push(`  neighbor ${peer.address}${peer.port ? ` port ${peer.port}` : ''} as ${peer.as};`);
    lines.push(
      `  hold time ${peer.holdTime ?? TEST_TIMERS.holdTime}; keepalive time ${peer.keepalive ?? TEST_TIMERS.keepalive};`,
      `  connect retry time ${TEST_TIMERS.connectRetry}; connect delay time 1; error wait time 1, 5;`,
    );
    if (spec.listenPort) lines.push(`  source address ${peer.localAddress ?? spec.routerId};`);
    if (peer.passive) lines.push('  passive on;');
    if (peer.bfd) {
      // BIRD's BGP asks its `protocol bfd` for the session; without one BFD never comes up.
      if (!spec.bfd) throw new Error(`BIRD peer ${peer.address}: bfd needs the RouterSpec's bfd (intervals)`);
      lines.push('  bfd on;');
    }
    if (peer.multihop) lines.push(`  multihop ${peer.multihop};`);
    if (peer.password) lines.push(`  password "${peer.password}";`);
    if (peer.ttlSecurity)
      lines.push(
        '  ttl security on;',
        ...(peer.multihop || peer.ttlSecurity < 2 ? [] : [`  multihop ${peer.ttlSecurity};`]),
      );
    if (peer.routeReflectorClient)
      lines.push('  rr client;', ...(spec.clusterId ? [`  rr cluster id ${spec.clusterId};`] : []));
    if (peer.gracefulRestart)
      lines.push('  graceful restart on;', `  graceful restart time ${peer.gracefulRestart.restartTime};`);
    if (peer.extendedMessages) lines.push('  enable extended messages on;');
    const addPaths = peer.addPaths ? ` add paths ${{ receive: 'rx', send: 'tx', both: 'on' }[peer.addPaths]};` : '';
    for (const family of families) {
      const orig = family === 'ipv4' ? 'orig4' : 'orig6';
      // iBGP and reflected routes keep their next hop unless told otherwise; eBGP always rewrites it.
      const nh = peer.nextHopSelf ? ' next hop self;' : '';
      lines.push(`  ${family} { import all; export where proto = "${orig}" || source = RTS_BGP;${nh}${addPaths} };`);
    }
    lines.push('}');
  });
  if (spec.bfd) {
    const { intervalMs, multiplier } = spec.bfd;
    lines.push(
      'protocol bfd bfd1 {',
      `  interface "*" { min rx interval ${intervalMs} ms; min tx interval ${intervalMs} ms; multiplier ${multiplier}; };`,
      ...spec.bfd.peers.map((p) => `  neighbor ${p.address}${p.localAddress ? ` local ${p.localAddress}` : ''};`),
      '}',
    );
  }
  if (spec.extraConfig) lines.push(spec.extraConfig);
  return `${lines.join('\n')}\n`;
}

const BIRD_STATES: Record<string, SessionStateName> = {
  Idle: 'Idle',
  Connect: 'Connect',
  Active: 'Active',
  OpenSent: 'OpenSent',
  OpenConfirm: 'OpenConfirm',
  Established: 'Established',
};

/** Parses `birdc show route all` into paths (exported for unit tests of the parser). */
export function parseBirdRoutes(text: string): RibRoute[] {
  const routes: RibRoute[] = [];
  let prefix = '';
  let current: RibRoute | undefined;
  for (const line of text.split('\n')) {
    const head = /^(\S+\/\d+)\s+\w+\s+\[/.exec(line);
    const alt = /^\s+\w+\s+\[\S+ [^\]]*\]/.exec(line);
    if (head || (alt && prefix && !line.includes('\t'))) {
      if (head) prefix = head[1]!;
      current = { prefix, asPath: [], communities: [], largeCommunities: [], best: / \* /.test(line) };
      routes.push(current);
      continue;
    }
    if (!current) continue;
    const via = /^\s+via (\S+)/.exec(line);
    if (via) current.nextHop = via[1];
    const attr = /^\s+BGP\.(\w+): ?(.*)$/.exec(line);
    if (!attr) continue;
    const [, key, value] = attr as unknown as [string, string, string];
    if (key === 'as_path')
      current.asPath = value
        .split(/\s+/)
        .filter((x) => /^\d+$/.test(x))
        .map(Number);
    else if (key === 'next_hop') current.nextHop = value.split(/\s+/)[0];
    else if (key === 'med') current.med = Number(value);
    else if (key === 'local_pref') current.localPref = Number(value);
    else if (key === 'originator_id') current.originatorId = value;
    else if (key === 'cluster_list') current.clusterList = value.split(/\s+/).filter(Boolean);
    else if (key === 'community')
      current.communities = [...value.matchAll(/\((\d+),\s*(\d+)\)/g)].map((m) => `${m[1]}:${m[2]}`);
    else if (key === 'large_community')
      current.largeCommunities = [...value.matchAll(/\((\d+),\s*(\d+),\s*(\d+)\)/g)].map(
        (m) => `${m[1]}:${m[2]}:${m[3]}`,
      );
  }
  return routes;
}

export class Bird implements Router {
  readonly kind = 'bird' as const;
  private origins: Origination[];

  private constructor(
    readonly ns: Netns,
    readonly spec: RouterSpec,
    private readonly lab: Lab,
    private readonly confFile: string,
    /** BIRD's control socket: what `birdc -s` needs to reach this BIRD. */
    readonly socket: string,
    private daemon: Daemon,
  ) {
    this.origins = (spec.originate ?? []).map(toOrigination);
  }

  /** Starts BIRD in `ns` and waits until its control socket answers. */
  static start(lab: Lab, ns: Netns, spec: RouterSpec): Promise<Bird> {
    return Bird.launch(lab, ns, spec);
  }

  /**
   * BIRD with a configuration written by someone else (a topology file's bound bird.conf).
   * `startTimeoutMs`: how long BIRD may take to parse it (a million static routes take a minute).
   */
  static startWithConfig(
    lab: Lab,
    ns: Netns,
    spec: RouterSpec,
    conf: string,
    { startTimeoutMs = 15_000 }: { startTimeoutMs?: number } = {},
  ): Promise<Bird> {
    return Bird.launch(lab, ns, spec, conf, startTimeoutMs);
  }

  private static async launch(lab: Lab, ns: Netns, spec: RouterSpec, conf?: string, timeoutMs = 15_000): Promise<Bird> {
    const binary = requireBinary('bird');
    requireBinary('birdc');
    const confFile = lab.path(`bird-${ns.label}.conf`);
    const socket = lab.path(`bird-${ns.label}.ctl`);
    const origins = (spec.originate ?? []).map(toOrigination);
    writeFileSync(confFile, conf ?? birdConfig(spec, `${lab.logDir}/bird-${ns.label}.log`, origins));
    const daemon = ns.spawn('bird', [
      binary,
      '-f',
      '-c',
      confFile,
      '-s',
      socket,
      '-P',
      lab.path(`bird-${ns.label}.pid`),
    ]);
    const bird = new Bird(ns, spec, lab, confFile, socket, daemon);
    await waitFor(
      `BIRD in ${ns.label} to answer birdc`,
      async () => {
        daemon.assertRunning();
        await bird.birdc('show status');
        return true;
      },
      { timeoutMs, intervalMs: timeoutMs > 15_000 ? 250 : 25 },
    );
    return bird;
  }

  /** Runs one birdc command and returns its text. */
  async birdc(command: string): Promise<string> {
    const { stdout } = await this.ns.exec(['birdc', '-s', this.socket, ...command.split(' ')]);
    return stdout;
  }

  async sessions(): Promise<SessionState[]> {
    const text = await this.birdc('show protocols all');
    const out: SessionState[] = [];
    this.spec.peers.forEach((peer, i) => {
      const block = text.split(/\n(?=\S)/).find((b) => b.startsWith(`${protoName(i)} `));
      const state = /BGP state:\s+(\w+)/.exec(block ?? '')?.[1] ?? 'Unknown';
      const received = /Routes:\s+(\d+) imported/.exec(block ?? '')?.[1];
      const info = block?.split('\n')[0]?.trim().split(/\s+/).slice(5).join(' ');
      out.push({
        peer: peer.address,
        peerAs: peer.as,
        state: BIRD_STATES[state] ?? 'Unknown',
        received: received ? Number(received) : 0,
        info,
      });
    });
    return out;
  }

  /** `show bfd sessions`: one row per neighbour (address, interface, state, since, interval, timeout). */
  async bfdSessions(): Promise<BfdSessionState[]> {
    const text = await this.birdc('show bfd sessions');
    return (
      text
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((cols) => isIP(cols[0]!) !== 0)
        // The interface column is empty for a neighbour without `dev`: find the state by its word.
        .map((cols) => ({ peer: cols[0]!, state: cols.find((c) => /^(Up|Down|Init|AdminDown)$/.test(c)) ?? 'Unknown' }))
    );
  }

  /** SIGKILLs BIRD: its BFD stops without a word (for detection tests). */
  kill(): void {
    if (this.daemon.running) process.kill(this.daemon.pid, 'SIGKILL');
  }

  async routes(family: Family = 'ipv4'): Promise<RibRoute[]> {
    return parseBirdRoutes(await this.birdc(`show route all table master${family === 'ipv4' ? 4 : 6}`));
  }

  /** What BIRD sends to the spec's peer number `index` (0-based). */
  async advertised(index = 0, family: Family = 'ipv4'): Promise<RibRoute[]> {
    return parseBirdRoutes(
      await this.birdc(`show route all export ${protoName(index)} table master${family === 'ipv4' ? 4 : 6}`),
    );
  }

  private async reconfigure(): Promise<void> {
    writeFileSync(this.confFile, birdConfig(this.spec, `${this.lab.logDir}/bird-${this.ns.label}.log`, this.origins));
    const reply = await this.birdc('configure');
    if (!/Reconfigured|Reconfiguration in progress/.test(reply)) throw new Error(`BIRD reconfigure failed: ${reply}`);
  }

  async announce(route: string | Origination): Promise<void> {
    const o = toOrigination(route);
    this.origins = [...this.origins.filter((x) => x.prefix !== o.prefix), o];
    await this.reconfigure();
  }

  async withdraw(prefix: string): Promise<void> {
    this.origins = this.origins.filter((x) => x.prefix !== prefix);
    await this.reconfigure();
  }

  /** Replaces everything BIRD originates in one reconfiguration (a wave of announcements and withdrawals). */
  async originate(routes: (string | Origination)[]): Promise<void> {
    this.origins = routes.map(toOrigination);
    await this.reconfigure();
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
  }

  /** Restarts BIRD with the same config (for graceful-restart tests, kill with SIGKILL first). */
  async restart({ kill = false }: { kill?: boolean } = {}): Promise<void> {
    if (kill && this.daemon.running) process.kill(this.daemon.pid, 'SIGKILL');
    await this.daemon.stop();
    const binary = requireBinary('bird');
    this.daemon = this.ns.spawn('bird', [
      binary,
      '-f',
      '-R',
      '-c',
      this.confFile,
      '-s',
      this.socket,
      '-P',
      this.lab.path(`bird-${this.ns.label}.pid`),
    ]);
    await waitFor(`BIRD in ${this.ns.label} to answer birdc after restart`, async () => {
      this.daemon.assertRunning();
      await this.birdc('show status');
      return true;
    });
  }

  log(): string {
    return this.daemon.tail();
  }
}
