// Static-route mode (BGPConfiguration `routingMode: Static`): no BGP at all. Every host routes each
// other host's blocks via that host's address, and each borrowed address (one held inside another
// host's block) via its holder, straight from IPAM's records in etcd. The routes go into the kernel
// the way learned routes do (proto 186, the route table's "learned" set), so switching modes
// replaces like with like. A next hop must be on one of this host's connected subnets (the hosts
// share one L2 segment, as with Calico's `CALICO_NETWORKING_BACKEND=none` + direct routes): a node
// that is not is refused, with a status line, and gets no route.
import { type Family, familyName, familyOfPrefix } from '../model/index.js';
import type { Logger } from './logger.js';
import type { IpamView, RouteOwners, RouteProgrammer } from './ports.js';
import { cidrContains, cidrOf, hostPrefix } from './prefixes.js';

export interface StaticNode {
  name: string;
  ipv4?: string;
  ipv6?: string;
}

/** A node whose blocks this host does not route, and why (shown by `tsroute node status`). */
export interface RefusedNode {
  node: string;
  reason: string;
}

export interface StaticPlan {
  routes: { prefix: string; nextHops: string[] }[];
  refused: RefusedNode[];
}

/**
 * The routes this host needs: every block owned by another node via that node's address, every
 * address borrowed by another node via the borrower (a /32 or /128, more specific than the block).
 */
export function planStaticRoutes(input: {
  self: string;
  nodes: StaticNode[];
  owners: RouteOwners;
  connected: string[];
}): StaticPlan {
  const connected = input.connected.map(cidrOf).filter((c) => c !== undefined);
  const byName = new Map(input.nodes.map((n) => [n.name, n]));
  const routes = new Map<string, string[]>();
  const refused = new Map<string, string>();
  const nextHop = (node: string, family: Family): string | undefined => {
    const n = byName.get(node);
    const address = family === 'ipv4' ? n?.ipv4 : n?.ipv6;
    if (!address) {
      refused.set(
        node,
        `no ${familyName(family)} address for node "${node}" (Node spec.bgp.${family}Address): its ${familyName(family)} routes are not installed`,
      );
      return undefined;
    }
    const a = cidrOf(hostPrefix(address));
    if (!a || !connected.some((c) => cidrContains(c, a))) {
      refused.set(
        node,
        `static routing: node address ${address} is not on a directly connected subnet of this host (Static mode needs the hosts on one L2 segment): its routes are not installed`,
      );
      return undefined;
    }
    return address;
  };
  for (const b of input.owners.blocks) {
    if (b.node === input.self) continue; // our own blocks are blackholed, endpoints have /32s
    const via = nextHop(b.node, familyOfPrefix(b.cidr));
    if (via) routes.set(b.cidr, [via]);
  }
  for (const a of input.owners.borrowed) {
    if (a.node === input.self) continue; // our endpoint's own route (proto 80) covers it
    const via = nextHop(a.node, familyOfPrefix(a.address));
    if (via) routes.set(hostPrefix(a.address), [via]);
  }
  return {
    routes: [...routes].map(([prefix, nextHops]) => ({ prefix, nextHops })),
    refused: [...refused].map(([node, reason]) => ({ node, reason })),
  };
}

export interface StaticRoutesDeps {
  nodeName: string;
  log: Logger;
  ipam: Pick<IpamView, 'routeOwners'>;
  routes: Pick<RouteProgrammer, 'setLearned' | 'connectedPrefixes'>;
  /** Calls `onChange` on every IPAM write (blocks, affinities); returns the stop function. */
  watchIpam: (onChange: () => void) => Promise<() => Promise<void>>;
  /** Full re-read period: a missed watch event costs at most this long. */
  intervalMs: number;
  /** Told when the set of refused nodes changed. */
  onRefusedChange: () => void;
}

/** Burst of IPAM writes (one container add touches block, handle, affinity) → one recompute. */
const COALESCE_MS = 20;

/** Keeps the kernel's routes to the other hosts' blocks in step with etcd while Static mode is on. */
export class StaticRoutes {
  refused: RefusedNode[] = [];
  private nodes: StaticNode[] = [];
  private running = false;
  private timer?: NodeJS.Timeout;
  private queued?: NodeJS.Timeout;
  private stopWatch?: () => Promise<void>;
  private pass?: Promise<void>;
  private again = false;

  constructor(private readonly deps: StaticRoutesDeps) {}

  get active(): boolean {
    return this.running;
  }

  /** Starts (or, when running, updates) with the cluster's nodes. */
  apply(nodes: StaticNode[]): void {
    this.nodes = nodes;
    if (!this.running) {
      this.running = true;
      this.deps.log.info('routing mode Static: no BGP; routes to other hosts come from etcd');
      this.timer = setInterval(() => this.schedule(), this.deps.intervalMs);
      this.timer.unref();
      void this.ensureWatch();
    }
    this.schedule();
  }

  /** Stops following etcd. The routes stay in the kernel: whoever takes over replaces them. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.timer);
    clearTimeout(this.queued);
    this.queued = undefined;
    const stop = this.stopWatch;
    this.stopWatch = undefined;
    await stop?.().catch(() => {});
    await this.pass;
    this.setRefused([]);
  }

  private async ensureWatch(): Promise<void> {
    if (this.stopWatch || !this.running) return;
    try {
      const stop = await this.deps.watchIpam(() => this.schedule());
      if (this.running) this.stopWatch = stop;
      else await stop();
    } catch (err) {
      // the timer re-reads meanwhile, and tries the watch again
      this.deps.log.debug({ err: (err as Error).message }, 'IPAM watch not (yet) possible');
    }
  }

  private schedule(): void {
    if (!this.running || this.queued) return;
    this.queued = setTimeout(() => {
      this.queued = undefined;
      this.runPass();
    }, COALESCE_MS);
  }

  private runPass(): void {
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.recompute()
      .catch((err) =>
        this.deps.log.warn(
          { err: (err as Error).message },
          'static routes: cannot read etcd; keeping the routes we have',
        ),
      )
      .finally(() => {
        this.pass = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
  }

  private async recompute(): Promise<void> {
    if (!this.stopWatch) void this.ensureWatch();
    const [owners, connected] = await Promise.all([this.deps.ipam.routeOwners(), this.deps.routes.connectedPrefixes()]);
    if (!this.running) return;
    const plan = planStaticRoutes({ self: this.deps.nodeName, nodes: this.nodes, owners, connected });
    // complete by construction (read from etcd just now): routes not in it go
    this.deps.routes.setLearned(plan.routes, true);
    this.setRefused(plan.refused);
  }

  private setRefused(refused: RefusedNode[]): void {
    const key = (r: RefusedNode[]) => JSON.stringify(r.map((x) => [x.node, x.reason]).sort());
    if (key(refused) === key(this.refused)) return;
    for (const r of refused)
      if (!this.refused.some((x) => x.node === r.node && x.reason === r.reason))
        this.deps.log.warn({ node: r.node }, r.reason);
    this.refused = refused;
    this.deps.onRefusedChange();
  }
}
