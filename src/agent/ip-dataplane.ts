// The agent's dataplane: host-side links and endpoint routes over rtnetlink (netlink-veth.ts), the
// container side and route reconciliation through iproute2's batch mode (one `ip -batch` per
// endpoint or per reconciliation pass, never one per route), and nft for nat-outgoing. Ownership:
//   proto 80  (RTPROT_TSROUTE_LOCAL) /32 and /128 routes to this host's endpoints
//   proto 81  (RTPROT_TSROUTE_BLOCK) blackholes for the blocks this host owns
//   proto 186 (RTPROT_BGP)           routes learned by BGP
// Routes with any other protocol, and links without the "tsr" prefix, are never touched.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Route } from '../api/types.js';
import type { LearnedRoute } from './announcements.js';
import { containerMac, type EndpointWiring, type WiringSpec } from './endpoints.js';
import type { Logger } from './logger.js';
import { NetlinkVeth } from './netlink-veth.js';
import type { Dataplane, RouteProgrammer } from './ports.js';

export const RTPROT_TSROUTE_LOCAL = 80;
export const RTPROT_TSROUTE_BLOCK = 81;
export const RTPROT_BGP = 186;
const HOST_MAC = 'ee:ee:ee:ee:ee:ee';
const NAT_TABLE = 'tsroute_nat';
const GATEWAY6 = 'fe80::ecee:eeff:feee:eeee';

function exec(argv: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      argv[0]!,
      argv.slice(1),
      { timeout: 30_000, maxBuffer: 256 << 20 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${argv.slice(0, 4).join(' ')}: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

const ipBatch = (lines: string[], ns?: string) =>
  lines.length ? exec([IP, ...(ns ? ['-n', ns] : []), '-batch', '-'], `${lines.join('\n')}\n`) : Promise.resolve('');

/**
 * System tools by absolute path: under npm scripts node_modules/.bin comes first on PATH, and it
 * holds an unrelated `nft` (a Node file tracer).
 */
function systemBinary(name: string): string {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin'])
    if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  return name;
}
const IP = systemBinary('ip');
const NFT = systemBinary('nft');

const hostRoute = (a: string) => `${a}/${a.includes(':') ? 128 : 32}`;

/** `ip` names namespaces by their file in /run/netns. */
function netnsName(path: string): string {
  if (dirname(path) !== '/run/netns')
    throw new Error(`netns ${path} is not under /run/netns: bind-mount it there (ip netns attach) first`);
  return basename(path);
}

/** A veth's iflink is its peer's index; read from /sys, or asked of `ip` when /sys is not ours. */
async function peerIfindex(hostIfName: string, ifName: string, ns: string | undefined): Promise<number> {
  try {
    const n = Number((await readFile(`/sys/class/net/${hostIfName}/iflink`, 'utf8')).trim());
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // /sys belongs to another namespace (started with nsenter instead of ip netns exec)
  }
  const [link] = JSON.parse(await exec([IP, ...(ns ? ['-n', ns] : []), '-j', 'link', 'show', ifName])) as {
    ifindex: number;
  }[];
  return link?.ifindex ?? 0;
}

async function sysctl(path: string, value: string | number): Promise<void> {
  await writeFile(`/proc/sys/${path}`, String(value));
}

class IpWiring implements EndpointWiring {
  private readonly veth = new NetlinkVeth();

  /**
   * The host side over netlink (veth with its peer created directly in the container's namespace,
   * host side up with its /32s), then one `ip -batch` in the container's namespace (address,
   * gateway, default route): a netlink socket cannot be opened in another namespace from Node. We
   * choose the container's MAC and read its interface index from the host side's iflink, so nothing
   * else needs a process.
   */
  async add(spec: WiringSpec): Promise<{ mac: string; containerIfindex: number }> {
    const { hostIfName, ifName, addresses } = spec;
    const ns = spec.netnsPath ? netnsName(spec.netnsPath) : undefined;
    const mac = spec.mac ?? containerMac();
    await this.veth.create({
      hostIfName,
      hostMac: HOST_MAC,
      peerName: ifName,
      peerMac: mac,
      netnsPath: ns ? spec.netnsPath : undefined,
      mtu: spec.mtu,
      addresses,
      routeProtocol: RTPROT_TSROUTE_LOCAL,
    });
    // Proxy ARP lets the host answer for addresses it routes elsewhere; the container itself has a
    // permanent neighbour entry for its gateway (below). Without proxy_delay=0 a proxied answer waits ~0.5 s.
    await sysctl(`net/ipv4/conf/${hostIfName}/proxy_arp`, 1);
    await sysctl(`net/ipv4/neigh/${hostIfName}/proxy_delay`, 0);
    await sysctl(`net/ipv4/conf/${hostIfName}/forwarding`, 1);
    if (addresses.some((a) => a.includes(':'))) {
      await sysctl(`net/ipv6/conf/${hostIfName}/proxy_ndp`, 1).catch(() => {});
      await sysctl(`net/ipv6/conf/${hostIfName}/forwarding`, 1).catch(() => {});
    }
    if (ns) {
      const v4 = addresses.filter((a) => !a.includes(':'));
      const v6 = addresses.filter((a) => a.includes(':'));
      await ipBatch(
        [
          ...addresses.map((a) => `addr add ${hostRoute(a)} dev ${ifName}${a.includes(':') ? ' nodad' : ''}`),
          `link set ${ifName} up`,
          // A permanent neighbour entry for the gateway: the container never needs an ARP answer for
          // 169.254.1.1 (proxy ARP gives one only when the host itself has a route to that address).
          ...(v4.length
            ? [
                `route add 169.254.1.1 dev ${ifName} scope link`,
                `neigh replace 169.254.1.1 lladdr ${HOST_MAC} dev ${ifName} nud permanent`,
                `route add default via 169.254.1.1 dev ${ifName}`,
              ]
            : []),
          ...(v6.length
            ? [
                `neigh replace ${GATEWAY6} lladdr ${HOST_MAC} dev ${ifName} nud permanent`,
                `route add default via ${GATEWAY6} dev ${ifName}`,
              ]
            : []),
        ],
        ns,
      );
    }
    return { mac, containerIfindex: await peerIfindex(hostIfName, ifName, ns) };
  }

  remove(spec: { hostIfName: string; addresses: string[] }): Promise<boolean> {
    return this.veth.remove(spec.hostIfName);
  }

  async check(spec: WiringSpec): Promise<string[]> {
    const problems: string[] = [];
    const links = JSON.parse(await exec([IP, '-j', 'link', 'show'])) as { ifname: string; operstate: string }[];
    if (!links.some((l) => l.ifname === spec.hostIfName)) {
      problems.push(`host interface ${spec.hostIfName} is missing`);
      return problems;
    }
    const routes = JSON.parse(await exec([IP, '-j', 'route', 'show', 'dev', spec.hostIfName])) as { dst: string }[];
    const routes6 = JSON.parse(await exec([IP, '-j', '-6', 'route', 'show', 'dev', spec.hostIfName])) as {
      dst: string;
    }[];
    const dsts = new Set([...routes, ...routes6].map((r) => r.dst));
    for (const a of spec.addresses)
      if (!dsts.has(a) && !dsts.has(hostRoute(a)))
        problems.push(`route ${hostRoute(a)} dev ${spec.hostIfName} is missing`);
    if (spec.netnsPath) {
      const ns = netnsName(spec.netnsPath);
      try {
        const addrs = JSON.parse(await exec([IP, '-n', ns, '-j', 'addr', 'show', 'dev', spec.ifName])) as {
          addr_info: { local: string }[];
        }[];
        const have = new Set(addrs.flatMap((l) => l.addr_info.map((i) => i.local)));
        for (const a of spec.addresses) if (!have.has(a)) problems.push(`${a} is missing on ${spec.ifName} in ${ns}`);
      } catch {
        problems.push(`interface ${spec.ifName} is missing in ${ns}`);
      }
    }
    return problems;
  }
}

interface KernelRouteJson {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  type?: string;
  nexthops?: { gateway?: string; dev?: string }[];
}

/** Desired routes of the two kinds the reconciler owns, diffed against the kernel and applied in one batch. */
class IpRoutes implements RouteProgrammer {
  private blackholes = new Set<string>();
  private learned = new Map<string, string>();
  private learnedAuthoritative = true;
  private owned = 0;
  private timer?: NodeJS.Timeout;
  private queued = false;
  private running?: Promise<void>;
  /** What we last put in the kernel, keyed "proto prefix"; undefined until the first full sync. */
  private applied?: Map<string, string>;
  private fullSync = true;
  /** Compare every desired route with `applied` (after a wholesale change), not only `dirty` ones. */
  private compareAll = true;
  /** Learned prefixes changed since the last pass. */
  private dirty = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly resyncIntervalMs: number,
  ) {}

  async start(): Promise<{ preserved: boolean }> {
    // Containers that a runtime configured itself (Docker) ARP for their gateway 169.254.1.1, and
    // proxy ARP only answers for an address the host routes out of another interface. A host route
    // to it on lo is such a route (lab hosts, and some real ones, have no default route).
    await exec([IP, 'route', 'replace', '169.254.1.1/32', 'dev', 'lo', 'proto', String(RTPROT_TSROUTE_LOCAL)]);
    const current = await this.read();
    this.owned = current.length;
    this.timer = setInterval(() => {
      this.fullSync = true;
      this.queue();
    }, this.resyncIntervalMs);
    this.timer.unref();
    return { preserved: current.some((r) => r.protocol === String(RTPROT_BGP) || r.protocol === 'bgp') };
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }

  setBlackholes(prefixes: string[]): void {
    this.blackholes = new Set(prefixes);
    this.compareAll = true;
    this.queue();
  }

  setLearned(routes: LearnedRoute[], authoritative: boolean): void {
    this.learned = new Map(routes.map((r) => [r.prefix, [...r.nextHops].sort().join(',')]));
    this.learnedAuthoritative = authoritative;
    this.compareAll = true;
    this.queue();
  }

  updateLearned(changes: Map<string, string[] | undefined>): void {
    for (const [prefix, nextHops] of changes) {
      if (nextHops) this.learned.set(prefix, [...nextHops].sort().join(','));
      else this.learned.delete(prefix);
      this.dirty.add(prefix);
    }
    this.queue();
  }

  async setNatOutgoing(natPools: string[], allPools: string[]): Promise<void> {
    const v4 = (xs: string[]) => xs.filter((x) => !x.includes(':'));
    const nat = v4(natPools);
    const all = v4(allPools);
    const script = [`table ip ${NAT_TABLE}`, `delete table ip ${NAT_TABLE}`];
    if (nat.length) {
      script.push(
        `table ip ${NAT_TABLE} {`,
        '  chain postrouting {',
        '    type nat hook postrouting priority srcnat; policy accept;',
        `    ip saddr { ${nat.join(', ')} } ip daddr != { ${all.join(', ')} } masquerade`,
        '  }',
        '}',
      );
    }
    await exec([NFT, '-f', '-'], `${script.join('\n')}\n`);
  }

  ownedRouteCount(): number {
    return this.owned;
  }

  async kernelRoutes(): Promise<Route[]> {
    return (await this.read(true)).map((r) => ({
      prefix: r.dst.includes('/') ? r.dst : hostRoute(r.dst),
      nextHops: r.nexthops ? r.nexthops.map((n) => n.gateway ?? '').filter(Boolean) : r.gateway ? [r.gateway] : [],
      asPath: [],
      communities: [],
      largeCommunities: [],
      localPref: 0,
      med: 0,
      source: '',
      best: true,
      origin: '',
      stale: false,
      protocol:
        r.protocol === String(RTPROT_BGP) || r.protocol === 'bgp'
          ? 'bgp'
          : r.protocol === String(RTPROT_TSROUTE_BLOCK)
            ? 'block'
            : 'endpoint',
      dev: r.dev ?? '',
      type: r.type ?? 'unicast',
    }));
  }

  /** Our routes in the kernel (both families), optionally with endpoint routes. */
  private async read(withEndpoints = false): Promise<KernelRouteJson[]> {
    const protos = [RTPROT_TSROUTE_BLOCK, RTPROT_BGP, ...(withEndpoints ? [RTPROT_TSROUTE_LOCAL] : [])];
    const out: KernelRouteJson[] = [];
    for (const family of ['-4', '-6'])
      for (const proto of protos) {
        const rows = JSON.parse(
          await exec([IP, '-j', family, 'route', 'show', 'table', 'main', 'proto', String(proto)]),
        ) as KernelRouteJson[];
        for (const r of rows) out.push({ ...r, protocol: String(proto) });
      }
    return out;
  }

  private queue(): void {
    if (this.queued) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      if (this.running) {
        void this.running.then(() => this.queue());
        return;
      }
      this.running = this.reconcile()
        .catch((err) => {
          this.log.warn({ err: (err as Error).message }, 'route reconciliation failed; retrying');
          setTimeout(() => this.queue(), 500).unref();
        })
        .finally(() => {
          this.running = undefined;
        });
    });
  }

  /**
   * Diffs the desired routes against what we last applied (or, on a full sync, against what the
   * kernel really has) and applies the difference in one batch. Full syncs run on the timer and
   * after a failed batch, so a route someone deleted by hand comes back within one interval.
   */
  private async reconcile(): Promise<void> {
    if (this.fullSync || !this.applied) {
      this.fullSync = false;
      const kernel = new Map<string, string>();
      for (const r of await this.read()) {
        const prefix = r.dst.includes('/') ? r.dst : hostRoute(r.dst);
        const value =
          r.protocol === String(RTPROT_TSROUTE_BLOCK)
            ? 'blackhole'
            : (r.nexthops ? r.nexthops.map((n) => n.gateway ?? '') : [r.gateway ?? '']).sort().join(',');
        kernel.set(`${r.protocol} ${prefix}`, value);
      }
      this.applied = kernel;
      this.compareAll = true;
    }
    const applied = this.applied;
    const lines: string[] = [];
    const want = (key: string): string | undefined => {
      const [proto, prefix] = key.split(' ') as [string, string];
      if (proto === String(RTPROT_TSROUTE_BLOCK)) return this.blackholes.has(prefix) ? 'blackhole' : undefined;
      return this.learned.get(prefix);
    };
    const line = (key: string, value: string | undefined): string | undefined => {
      const [proto, prefix] = key.split(' ') as [string, string];
      if (value === undefined) {
        if (proto === String(RTPROT_TSROUTE_BLOCK)) return `route del blackhole ${prefix} proto ${proto}`;
        // kept through a restart until BGP has re-learned the table
        return this.learnedAuthoritative ? `route del ${prefix} proto ${proto}` : undefined;
      }
      return proto === String(RTPROT_TSROUTE_BLOCK)
        ? `route replace blackhole ${prefix} proto ${proto}`
        : this.learnedLine(prefix, value);
    };
    // A full table arrives in thousands of small changes: compare only what changed, unless a
    // wholesale change (or a kernel read) asks for everything.
    let keys: Iterable<string>;
    if (this.compareAll) {
      this.compareAll = false;
      this.dirty.clear();
      const all = new Set(applied.keys());
      for (const p of this.blackholes) all.add(`${RTPROT_TSROUTE_BLOCK} ${p}`);
      for (const p of this.learned.keys()) all.add(`${RTPROT_BGP} ${p}`);
      keys = all;
    } else {
      keys = [...this.dirty].map((p) => `${RTPROT_BGP} ${p}`);
      this.dirty = new Set();
    }
    for (const key of keys) {
      const value = want(key);
      if (applied.get(key) === value) continue;
      const l = line(key, value);
      if (l === undefined) continue;
      lines.push(l);
      if (value === undefined) applied.delete(key);
      else applied.set(key, value);
    }
    this.owned = applied.size;
    if (lines.length === 0) return;
    try {
      // -force: one bad route (a next hop not reachable yet) must not stop the rest of the batch
      await exec([IP, '-force', '-batch', '-'], `${lines.join('\n')}\n`);
    } catch (err) {
      this.fullSync = true;
      this.log.debug({ err: (err as Error).message.slice(0, 300) }, 'some route changes failed; a full sync follows');
      setTimeout(() => this.queue(), 500).unref();
    }
    this.log.debug({ changes: lines.length }, 'kernel routes reconciled');
  }

  private learnedLine(prefix: string, nextHops: string): string {
    const hops = nextHops.split(',');
    // (batch lines take no options: the family comes from the prefix itself)
    if (hops.length === 1) return `route replace ${prefix} via ${hops[0]} proto ${RTPROT_BGP}`;
    return `route replace ${prefix} proto ${RTPROT_BGP} ${hops.map((h) => `nexthop via ${h}`).join(' ')}`;
  }
}

export function ipDataplane(log: Logger, resyncIntervalMs: number): Dataplane {
  return { wiring: new IpWiring(), routes: new IpRoutes(log, resyncIntervalMs) };
}
