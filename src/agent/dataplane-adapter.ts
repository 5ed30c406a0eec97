// The agent's ports (EndpointWiring, RouteProgrammer) on src/dataplane. One place to switch
// implementations; the translation between the API's shapes and the dataplane's lives here.
import type { Route } from '../api/types.js';
import {
  HOST_MAC,
  type KernelRoute,
  prepareNetns,
  prepareTcpSockets,
  RouteTable,
  RTPROT_BGP,
  RTPROT_TSROUTE_BLOCK,
  setNatOutgoing,
  VethWiring,
} from '../dataplane/index.js';
import type { LearnedRoute } from './announcements.js';
import { containerMac, type EndpointWiring, type WiringSpec } from './endpoints.js';
import type { Logger } from './logger.js';
import type { Dataplane, RouteProgrammer } from './ports.js';

class NetlinkWiring implements EndpointWiring {
  constructor(private readonly veths: VethWiring) {}

  async add(spec: WiringSpec): Promise<{ mac: string; containerIfindex: number }> {
    const mac = spec.mac ?? containerMac();
    const { containerIfindex } = await this.veths.add({ ...spec, mac });
    return { mac, containerIfindex };
  }

  remove(spec: { hostIfName: string; addresses: string[] }): Promise<boolean> {
    return this.veths.remove(spec.hostIfName);
  }

  check(spec: WiringSpec): Promise<string[]> {
    return this.veths.check({ ...spec, mac: spec.mac ?? HOST_MAC });
  }
}

function apiRoute(r: KernelRoute): Route {
  return {
    prefix: r.prefix,
    nextHops: r.nextHops,
    asPath: [],
    communities: [],
    largeCommunities: [],
    localPref: 0,
    med: 0,
    source: '',
    best: true,
    origin: '',
    stale: false,
    protocol: r.protocol === RTPROT_BGP ? 'bgp' : r.protocol === RTPROT_TSROUTE_BLOCK ? 'block' : 'endpoint',
    dev: r.dev ?? '',
    type: r.type,
  };
}

class NetlinkRoutes implements RouteProgrammer {
  constructor(private readonly table: RouteTable) {}

  start(): Promise<{ preserved: boolean }> {
    return this.table.start();
  }

  setBlackholes(prefixes: string[]): void {
    this.table.setBlackholes(prefixes);
  }

  setLearned(routes: LearnedRoute[], authoritative: boolean): void {
    this.table.setLearned(routes, authoritative);
  }

  updateLearned(changes: ReadonlyMap<string, readonly string[] | undefined>): void {
    this.table.updateLearned(changes);
  }

  setNatOutgoing(natPools: string[], allPools: string[]): Promise<void> {
    return setNatOutgoing(natPools, allPools);
  }

  connectedPrefixes(): Promise<string[]> {
    return this.table.connectedPrefixes();
  }

  async kernelRoutes(): Promise<Route[]> {
    return (await this.table.kernelRoutes()).map(apiRoute);
  }

  ownedRouteCount(): number {
    return this.table.ownedRouteCount();
  }

  stop(): Promise<void> {
    return this.table.stop();
  }
}

export async function openDataplane(opts: { log: Logger; resyncIntervalMs: number }): Promise<Dataplane> {
  // Fails here, at start, with a clear message if an addon (netns, BGP socket options) is not built.
  prepareNetns();
  prepareTcpSockets();
  return {
    wiring: new NetlinkWiring(new VethWiring()),
    routes: new NetlinkRoutes(new RouteTable({ resyncIntervalMs: opts.resyncIntervalMs, log: opts.log })),
  };
}
