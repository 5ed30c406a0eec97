// The agent's gRPC API, implemented on the running Agent: thin, so that the CLI, the CNI plugin and
// the Docker driver see exactly what the agent itself knows.

import { isIPv4, isIPv6 } from 'node:net';
import {
  type AddEndpointRequest,
  type AddPathRequest,
  AgentError,
  type AgentService,
  type AllocateAddressesRequest,
  type CheckEndpointRequest,
  type DeleteEndpointRequest,
  type DeletePathRequest,
  type EnablePeerRequest,
  type Event,
  type ListRoutesRequest,
  type ReleaseAddressesRequest,
  type ResetPeerRequest,
  type ShutdownPeerRequest,
  type Status,
  type WatchEventsRequest,
} from '../api/types.js';
import { bareAddress, hostPrefix } from '../model/index.js';
import type { Agent } from './agent.js';
import type { BgpController } from './bgp-controller.js';
import { cidrOf } from './prefixes.js';

/** The sessions a name stands for (see BgpController.resolvePeers); NOT_FOUND when none. */
function peersNamed(agent: Agent, name: string): { bgp: BgpController; addresses: string[] } {
  const bgp = agent.bgp;
  const addresses = bgp?.resolvePeers(name) ?? [];
  if (!bgp || addresses.length === 0)
    throw new AgentError(
      'NOT_FOUND',
      `no BGP session on this node for "${name}" (give a BGPPeer name, a peer address or a node name)`,
    );
  return { bgp, addresses };
}

function ifName(name: string | undefined): string {
  const n = name || 'eth0';
  if (n.length > 15 || !/^[A-Za-z0-9_.-]+$/.test(n))
    throw new AgentError('INVALID_ARGUMENT', `interface "${n}" is not a valid Linux interface name`);
  return n;
}

export function agentService(agent: Agent): AgentService {
  const { ipam, dataplane, config, version } = agent.parts;
  return {
    async addEndpoint(req: AddEndpointRequest) {
      const started = process.hrtime.bigint();
      if (req.netns && !req.netns.startsWith('/'))
        throw new AgentError('INVALID_ARGUMENT', `netns must be a path, got "${req.netns}"`);
      const both0 = !req.ipv4Count && !req.ipv6Count;
      const e = await agent.endpoints.add({
        containerId: req.containerId,
        ifName: ifName(req.interface),
        netnsPath: req.netns ?? '',
        handle: req.handleId || undefined,
        ipv4Count: both0 && !(req.addresses ?? []).length ? 1 : (req.ipv4Count ?? 0),
        ipv6Count: req.ipv6Count ?? 0,
        addresses: req.addresses ?? [],
        pools: req.pools ?? [],
        mtu: req.mtu || undefined,
        workload: req.workload,
        labels: req.labels,
      });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      agent.parts.metrics.endpointAddSeconds.observe(seconds);
      agent.log.debug(
        { endpoint: `${e.containerId}/${e.interface}`, apiMs: +(seconds * 1000).toFixed(1) },
        'AddEndpoint',
      );
      return e;
    },
    deleteEndpoint: (req: DeleteEndpointRequest) => agent.endpoints.delete(req.containerId, ifName(req.interface)),
    async checkEndpoint(req: CheckEndpointRequest) {
      const r = await agent.endpoints.check(req.containerId, ifName(req.interface));
      if (req.netns && r.endpoint && r.endpoint.netns !== req.netns)
        r.problems.push(`endpoint is in ${r.endpoint.netns}, not ${req.netns}`);
      return { ok: r.problems.length === 0, problems: r.problems, endpoint: r.endpoint ?? null };
    },
    listEndpoints: async () => ({ endpoints: agent.endpoints.list() }),
    async allocateAddresses(req: AllocateAddressesRequest) {
      if (!req.handleId) throw new AgentError('INVALID_ARGUMENT', 'handle_id is required');
      for (const a of req.addresses ?? [])
        if (!isIPv4(bareAddress(a)) && !isIPv6(bareAddress(a)))
          throw new AgentError('INVALID_ARGUMENT', `"${a}" is not an IP address`);
      const change = await ipam.allocate({
        handle: req.handleId,
        ipv4Count: req.ipv4Count ?? 0,
        ipv6Count: req.ipv6Count ?? 0,
        addresses: (req.addresses ?? []).map(bareAddress),
        pools: req.pools ?? [],
        attrs: { node: config.nodeName, ...(req.attributes ?? {}) },
      });
      agent.applyIpamChange(change);
      return { addresses: change.addresses.map(hostPrefix) };
    },
    async releaseAddresses(req: ReleaseAddressesRequest) {
      const change = req.handleId
        ? await ipam.releaseHandle(req.handleId)
        : await ipam.releaseAddresses((req.addresses ?? []).map(bareAddress));
      agent.applyIpamChange(change);
      return { released: change.addresses };
    },
    async getStatus(): Promise<Status> {
      const blocks = await ipam.blockUsage(config.nodeName).catch(() => []);
      return {
        node: config.nodeName,
        version,
        asNumber: agent.asNumber(),
        routerId: agent.routerId(),
        blocks,
        endpointCount: agent.endpoints.list().length,
        kernelRouteCount: dataplane.routes.ownedRouteCount(),
        peers: agent.bgp?.peers() ?? [],
        startedUnixMs: agent.startedAt,
        datastoreConnected: agent.cluster.connected,
        bgpAddresses: [config.bgpAddress4, config.bgpAddress6].filter((x): x is string => !!x),
        rejectedResources: agent.rejectedResources(),
        routingMode: agent.staticRoutes.active ? 'Static' : 'BGP',
      };
    },
    listPeers: async () => ({ peers: agent.bgp?.peers() ?? [] }),
    async listRoutes(req: ListRoutesRequest) {
      const view = req.view || 'LOC_RIB';
      if (req.prefix && !cidrOf(req.prefix))
        throw new AgentError('INVALID_ARGUMENT', `"${req.prefix}" is not a prefix`);
      if (view === 'KERNEL') {
        let routes = await dataplane.routes.kernelRoutes();
        if (req.prefix) routes = routes.filter((r) => r.prefix === req.prefix);
        return { routes };
      }
      if ((view === 'ADJ_RIB_IN' || view === 'ADJ_RIB_OUT') && !req.peer)
        throw new AgentError('INVALID_ARGUMENT', `the ${view} view needs a peer address`);
      const peers = agent.bgp?.peers() ?? [];
      if (req.peer && !peers.some((p) => p.address === req.peer))
        throw new AgentError(
          'NOT_FOUND',
          `no BGP peer ${req.peer} on node ${config.nodeName} (its peers: ${peers.map((p) => p.address).join(', ') || 'none'})`,
        );
      return { routes: agent.bgp?.routes(view, req.prefix ?? '', req.peer ?? '', !!req.longer) ?? [] };
    },
    async addPath(req: AddPathRequest) {
      if (!cidrOf(req.prefix)) throw new AgentError('INVALID_ARGUMENT', `"${req.prefix}" is not a prefix`);
      agent.addPath(req.prefix, req.communities ?? [], req.med || undefined);
      return {};
    },
    async deletePath(req: DeletePathRequest) {
      return { existed: agent.deletePath(req.prefix) };
    },
    async resetPeer(req: ResetPeerRequest) {
      const { bgp, addresses } = peersNamed(agent, req.name);
      for (const a of addresses) {
        if (bgp.shutdowns.has(a))
          throw new AgentError('FAILED_PRECONDITION', `BGP peer ${a} is shut down: enable it first`);
        if (!bgp.resetPeer(a, !!req.soft, req.message || undefined))
          throw new AgentError('FAILED_PRECONDITION', `BGP peer ${a} is not Established with route refresh`);
      }
      agent.log.info({ peers: addresses, soft: !!req.soft }, 'BGP peer reset by admin');
      return { addresses };
    },
    async shutdownPeer(req: ShutdownPeerRequest) {
      const { bgp, addresses } = peersNamed(agent, req.name);
      if (Buffer.byteLength(req.message ?? '', 'utf8') > 255)
        throw new AgentError('INVALID_ARGUMENT', 'the shutdown message is longer than 255 bytes (RFC 9003 §2)');
      for (const a of addresses) bgp.shutdownPeer(a, req.message ?? '');
      agent.log.info({ peers: addresses, message: req.message }, 'BGP peer shut down by admin');
      return { addresses };
    },
    async enablePeer(req: EnablePeerRequest) {
      const { bgp, addresses } = peersNamed(agent, req.name);
      for (const a of addresses) bgp.enablePeer(a);
      agent.log.info({ peers: addresses }, 'BGP peer enabled by admin');
      return { addresses };
    },
    watchEvents(req: WatchEventsRequest, emit: (e: Event) => void, signal: AbortSignal) {
      const all = !req.peers && !req.routes && !req.endpoints && !req.ipam;
      const unsubscribe = agent.events.subscribe((e) => {
        if (
          all ||
          (e.event === 'peer' && req.peers) ||
          (e.event === 'route' && req.routes) ||
          (e.event === 'endpoint' && req.endpoints) ||
          (e.event === 'ipam' && req.ipam)
        )
          emit(e);
      });
      signal.addEventListener('abort', unsubscribe, { once: true });
    },
  };
}
