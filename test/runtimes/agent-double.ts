// A TEST DOUBLE of the tsroute agent (not the real `tsroute node run`): it serves the real gRPC API
// with the minimum behind it — addresses from a fixed list, handles, and a veth pair made with `ip`
// whose host end lives in one lab namespace (the "host"). It lets the CNI plugin and the Docker
// driver be tested against real podman and dockerd before the real agent exists.
import { createHash } from 'node:crypto';
import {
  type AddEndpointRequest,
  AgentError,
  type AgentServer,
  type AgentService,
  type Endpoint,
  serveAgent,
} from '../../src/api/index.js';
import { type Lab, type Netns, run } from '../../src/lab/index.js';

const GATEWAY = '169.254.1.1';

interface Held {
  handleId: string;
  address: string;
}

export class AgentDouble implements AgentService {
  private readonly free: string[];
  private readonly held: Held[] = [];
  private readonly endpoints = new Map<string, Endpoint & { preallocated: boolean }>();
  /** Every call by method name, for tests that check what the runtime asked for. */
  readonly calls: { method: string; request: unknown }[] = [];
  /** How long each addEndpoint took (ms): the double's own share of a container start. */
  readonly addEndpointMs: number[] = [];

  constructor(
    /** The namespace that plays the host: the host ends of veths and their routes go here. */
    private readonly host: Netns,
    addresses: string[],
  ) {
    this.free = [...addresses];
  }

  /** Address (bare) → handle for everything allocated now. */
  holdings(): Record<string, string> {
    return Object.fromEntries(this.held.map((h) => [h.address.split('/')[0]!, h.handleId]));
  }

  private take(handleId: string, exact?: string): string {
    const index = exact ? this.free.findIndex((a) => a.split('/')[0] === exact.split('/')[0]) : 0;
    const address = this.free[index];
    if (index < 0 || !address) {
      throw exact
        ? new AgentError('ALREADY_EXISTS', `address ${exact} is not free`)
        : new AgentError('RESOURCE_EXHAUSTED', 'the test pool is exhausted');
    }
    this.free.splice(index, 1);
    this.held.push({ handleId, address });
    return address;
  }

  private releaseWhere(pred: (h: Held) => boolean): string[] {
    const gone = this.held.filter(pred);
    for (const h of gone) {
      this.held.splice(this.held.indexOf(h), 1);
      this.free.push(h.address);
    }
    return gone.map((h) => h.address);
  }

  async allocateAddresses(req: Parameters<AgentService['allocateAddresses']>[0]) {
    this.calls.push({ method: 'allocateAddresses', request: req });
    if (!req.handleId) throw new AgentError('INVALID_ARGUMENT', 'handle_id is required');
    const exact = req.addresses ?? [];
    const addresses = exact.length ? exact.map((a) => this.take(req.handleId, a)) : [this.take(req.handleId)];
    return { addresses };
  }

  async releaseAddresses(req: Parameters<AgentService['releaseAddresses']>[0]) {
    this.calls.push({ method: 'releaseAddresses', request: req });
    const bare = new Set((req.addresses ?? []).map((a) => a.split('/')[0]));
    const released = req.handleId
      ? this.releaseWhere((h) => h.handleId === req.handleId)
      : this.releaseWhere((h) => bare.has(h.address.split('/')[0]));
    return { released };
  }

  private key = (containerId: string, ifname: string) => `${containerId}/${ifname}`;

  async addEndpoint(req: AddEndpointRequest): Promise<Endpoint> {
    const started = performance.now();
    const ep = await this.wire(req);
    this.addEndpointMs.push(performance.now() - started);
    return ep;
  }

  private async wire(req: AddEndpointRequest): Promise<Endpoint> {
    this.calls.push({ method: 'addEndpoint', request: req });
    const ifname = req.interface || 'eth0';
    const existing = this.endpoints.get(this.key(req.containerId, ifname));
    if (existing) return existing;
    const handleId = req.handleId || `${req.containerId}.${ifname}`;
    const preallocated = (req.addresses ?? []).length > 0;
    const addresses = preallocated ? req.addresses! : [this.take(handleId)];
    const hostIf = `tsr${createHash('sha1').update(`${req.containerId}.${ifname}`).digest('hex').slice(0, 11)}`;
    const h = this.host.name;
    if (req.netns) {
      // CNI: the container end is born inside the container's namespace and configured there.
      await run(['ip', '-n', h, 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', ifname, 'netns', req.netns]);
      const inNs = (...args: string[]) => run(['nsenter', `--net=${req.netns}`, 'ip', ...args]);
      for (const a of addresses) await inNs('addr', 'add', a.includes('/') ? a : `${a}/32`, 'dev', ifname);
      await inNs('link', 'set', ifname, 'up');
      await inNs('route', 'add', GATEWAY, 'dev', ifname, 'scope', 'link');
      await inNs('route', 'add', 'default', 'via', GATEWAY, 'dev', ifname);
    } else {
      // Docker: both ends in the host namespace; Docker moves, renames and addresses the peer.
      await run(['ip', '-n', h, 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', ifname]);
    }
    await this.host.sysctl(`net.ipv4.conf.${hostIf}.proxy_arp`, 1);
    await this.host.sysctl(`net.ipv4.neigh.${hostIf}.proxy_delay`, 0);
    await this.host.ip('link', 'set', hostIf, 'up');
    for (const a of addresses) await this.host.ip('route', 'add', `${a.split('/')[0]}/32`, 'dev', hostIf);
    let mac = '';
    let ifindex = 0;
    if (req.netns) {
      const { stdout } = await run(['nsenter', `--net=${req.netns}`, 'ip', '-j', 'link', 'show', ifname]);
      const [link] = JSON.parse(stdout) as { address: string; ifindex: number }[];
      mac = link?.address ?? '';
      ifindex = link?.ifindex ?? 0;
    }
    const ep: Endpoint & { preallocated: boolean } = {
      containerId: req.containerId,
      interface: ifname,
      netns: req.netns,
      handleId,
      addresses,
      hostInterface: hostIf,
      mac,
      containerIfindex: ifindex,
      gatewayIpv4: GATEWAY,
      gatewayIpv6: '',
      node: this.host.label,
      workload: req.workload ?? '',
      labels: req.labels ?? {},
      createdUnixMs: Date.now(),
      preallocated,
    };
    this.endpoints.set(this.key(req.containerId, ifname), ep);
    return ep;
  }

  async deleteEndpoint(req: Parameters<AgentService['deleteEndpoint']>[0]) {
    this.calls.push({ method: 'deleteEndpoint', request: req });
    const key = this.key(req.containerId, req.interface || 'eth0');
    const ep = this.endpoints.get(key);
    if (!ep) return { existed: false, released: [] };
    this.endpoints.delete(key);
    await this.host.ip('link', 'del', ep.hostInterface).catch(() => undefined); // gone with its netns
    // Pre-allocated addresses belong to the runtime's IPAM handle (Docker releases them itself).
    const released = ep.preallocated ? [] : this.releaseWhere((held) => held.handleId === ep.handleId);
    return { existed: true, released };
  }

  async checkEndpoint(req: Parameters<AgentService['checkEndpoint']>[0]) {
    this.calls.push({ method: 'checkEndpoint', request: req });
    const ep = this.endpoints.get(this.key(req.containerId, req.interface || 'eth0'));
    if (!ep) return { ok: false, problems: [`no endpoint ${req.containerId}/${req.interface}`], endpoint: null };
    const problems: string[] = [];
    try {
      const ns = req.netns || ep.netns;
      const { stdout } = await run(['nsenter', `--net=${ns}`, 'ip', '-j', 'addr', 'show', 'dev', ep.interface]);
      const [link] = JSON.parse(stdout) as { addr_info: { local: string }[] }[];
      for (const a of ep.addresses) {
        if (!link?.addr_info.some((i) => i.local === a.split('/')[0])) problems.push(`${a} missing on ${ep.interface}`);
      }
    } catch (err) {
      problems.push(`interface ${ep.interface} not found: ${(err as Error).message}`);
    }
    return { ok: problems.length === 0, problems, endpoint: ep };
  }

  async listEndpoints() {
    return { endpoints: [...this.endpoints.values()] };
  }

  async getStatus() {
    return {
      node: this.host.label,
      version: 'test-double',
      asNumber: 64512,
      routerId: '192.0.2.1',
      blocks: [],
      endpointCount: this.endpoints.size,
      kernelRouteCount: 0,
      peers: [],
      startedUnixMs: Date.now(),
      datastoreConnected: true,
      bgpAddresses: [],
      rejectedResources: [],
    };
  }

  private notHere = async (): Promise<never> => {
    throw new AgentError('FAILED_PRECONDITION', 'not implemented by the test double');
  };
  listPeers = this.notHere;
  listRoutes = this.notHere;
  addPath = this.notHere;
  deletePath = this.notHere;
  resetPeer = this.notHere;
  shutdownPeer = this.notHere;
  enablePeer = this.notHere;
  watchEvents(): void {}

  /** Serves this double on `socketPath` with the real gRPC server. */
  serve(socketPath: string): Promise<AgentServer> {
    return serveAgent(this, socketPath);
  }
}

/**
 * A lab namespace that looks like a container host to the double: forwarding on, an address of its
 * own and a default route out of an uplink. Proxy ARP on a container's veth answers for
 * 169.254.1.1 only when the host routes that address out of another interface, as real hosts do.
 */
export async function labHost(lab: Lab, label = 'host', address = '10.123.255.1'): Promise<Netns> {
  const host = await lab.namespace(label, { forwarding: true });
  const upstream = await lab.namespace(`${label}up`);
  await lab.link(host, `${address}/30`, upstream, `${nextAddress(address)}/30`, { aIf: 'uplink', bIf: 'tohost' });
  await host.ip('route', 'add', 'default', 'via', nextAddress(address), 'dev', 'uplink');
  return host;
}

function nextAddress(address: string): string {
  const parts = address.split('.').map(Number);
  parts[3]! += 1;
  return parts.join('.');
}
