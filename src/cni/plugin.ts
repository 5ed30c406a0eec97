// The tsroute CNI plugin's verbs, each a thin translation onto the agent's gRPC API: the agent does
// the wiring and IPAM; the plugin turns CNI's environment and JSON into calls and back.
import { existsSync } from 'node:fs';
// client.js, not the API's index: the plugin never needs the server side (and its reflection).
import {
  AgentCallError,
  type AgentClient,
  AgentDatastoreUnavailableError,
  AgentUnavailableError,
} from '../api/client.js';
import type { Endpoint } from '../api/types.js';
import { type CniResult, compareVersions, type Invocation, versionResult } from './config.js';
import { CNI_ERR, CniError } from './errors.js';

/** The IPAM handle of one attachment: CNI keys state by (network name, container ID, interface). */
export const handleOf = (network: string, containerId: string, ifname: string) =>
  `cni.${network}.${containerId}.${ifname}`;

/** Maps the agent's failures onto CNI error codes a runtime knows how to treat. */
function agentFailure(err: unknown): CniError {
  if (err instanceof AgentUnavailableError || err instanceof AgentDatastoreUnavailableError)
    return new CniError(CNI_ERR.TRY_AGAIN_LATER, err.message);
  if (err instanceof AgentCallError) {
    if (err.code === 'RESOURCE_EXHAUSTED') return new CniError(CNI_ERR.NO_ADDRESSES, err.message);
    return new CniError(CNI_ERR.AGENT_ERROR, err.message, err.code);
  }
  if (err instanceof CniError) return err;
  return new CniError(CNI_ERR.IO_FAILURE, (err as Error).message ?? String(err));
}

/** The ADD result for one endpoint, appended to a previous plugin's result when chained. */
export function resultFor(inv: Invocation, ep: Endpoint): CniResult {
  const prev = inv.conf.prevResult;
  const interfaces = [...(prev?.interfaces ?? [])];
  // The host side is listed without a sandbox, as the spec asks for host interfaces.
  interfaces.push({ name: ep.hostInterface, mac: 'ee:ee:ee:ee:ee:ee' });
  const containerIndex = interfaces.push({ name: inv.ifname, mac: ep.mac, sandbox: inv.netns }) - 1;
  const legacy = compareVersions(inv.conf.cniVersion, '1.0.0') < 0; // 0.3.x/0.4.0 results carry "version"
  const ips = [...(prev?.ips ?? [])];
  const routes = [...(prev?.routes ?? [])];
  for (const address of ep.addresses) {
    const v6 = address.includes(':');
    const gateway = v6 ? ep.gatewayIpv6 : ep.gatewayIpv4;
    ips.push({ ...(legacy ? { version: v6 ? '6' : '4' } : {}), address, gateway, interface: containerIndex });
    const dst = v6 ? '::/0' : '0.0.0.0/0';
    if (!routes.some((r) => r.dst === dst)) routes.push({ dst, gw: gateway });
  }
  return {
    cniVersion: inv.conf.cniVersion,
    interfaces,
    ips,
    routes,
    ...(inv.conf.dns || prev?.dns ? { dns: inv.conf.dns ?? prev?.dns } : {}),
  };
}

async function add(inv: Invocation, agent: AgentClient): Promise<CniResult> {
  if (!existsSync(inv.netns)) {
    throw new CniError(CNI_ERR.UNKNOWN_CONTAINER, `network namespace ${inv.netns} does not exist`);
  }
  const workload = inv.args.K8S_POD_NAME ?? inv.args.K8S_POD_NAMESPACE ?? '';
  const labels = (inv.conf.args?.labels as Record<string, string> | undefined) ?? {};
  try {
    const ep = await agent.addEndpoint({
      containerId: inv.containerId,
      interface: inv.ifname,
      netns: inv.netns,
      handleId: handleOf(inv.conf.name, inv.containerId, inv.ifname),
      ipv4Count: inv.conf.ipv4 === false ? 0 : 1,
      ipv6Count: inv.conf.ipv6 ? 1 : 0,
      pools: inv.conf.pools ?? [],
      mtu: inv.conf.mtu ?? 0,
      workload,
      labels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])),
    });
    return resultFor(inv, ep);
  } catch (err) {
    throw agentFailure(err);
  }
}

async function del(inv: Invocation, agent: AgentClient): Promise<void> {
  // Idempotent by design: the agent answers existed=false for an endpoint it no longer has.
  try {
    await agent.deleteEndpoint({ containerId: inv.containerId, interface: inv.ifname });
  } catch (err) {
    throw agentFailure(err);
  }
}

async function check(inv: Invocation, agent: AgentClient): Promise<void> {
  const prev = inv.conf.prevResult;
  if (!prev) throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, 'CHECK needs prevResult (the result of the ADD)');
  let answer: Awaited<ReturnType<AgentClient['checkEndpoint']>>;
  try {
    answer = await agent.checkEndpoint({ containerId: inv.containerId, interface: inv.ifname, netns: inv.netns });
  } catch (err) {
    throw agentFailure(err);
  }
  const problems = [...answer.problems];
  const have = new Set(answer.endpoint?.addresses ?? []);
  const sandboxIndexes = new Set(
    (prev.interfaces ?? []).flatMap((i, n) => (i.sandbox && i.name === inv.ifname ? [n] : [])),
  );
  for (const ip of prev.ips ?? []) {
    if (ip.interface !== undefined && sandboxIndexes.size && !sandboxIndexes.has(ip.interface)) continue; // another plugin's
    if (!have.has(ip.address)) problems.push(`address ${ip.address} from the ADD result is not held by the endpoint`);
  }
  if (!answer.ok || problems.length) {
    throw new CniError(
      CNI_ERR.AGENT_ERROR,
      `endpoint ${inv.containerId}/${inv.ifname} is not as ADD left it`,
      [...new Set(problems)].join('; '),
    );
  }
}

async function status(agent: AgentClient): Promise<void> {
  let s: Awaited<ReturnType<AgentClient['getStatus']>>;
  try {
    s = await agent.getStatus(3000);
  } catch (err) {
    if (err instanceof AgentUnavailableError) throw new CniError(CNI_ERR.PLUGIN_NOT_AVAILABLE, err.message);
    throw agentFailure(err);
  }
  if (!s.datastoreConnected) {
    throw new CniError(
      CNI_ERR.PLUGIN_NOT_AVAILABLE,
      `agent on ${s.node} cannot reach etcd: new addresses cannot be allocated`,
    );
  }
  if (s.peers.length > 0 && !s.peers.some((p) => p.state === 'Established')) {
    throw new CniError(
      CNI_ERR.LIMITED_CONNECTIVITY,
      `agent on ${s.node} has no Established BGP session: containers reach only this host`,
    );
  }
}

async function gc(inv: Invocation, agent: AgentClient): Promise<void> {
  const valid = new Set(
    (inv.conf['cni.dev/valid-attachments'] ?? []).map((a) => handleOf(inv.conf.name, a.containerID, a.ifname)),
  );
  const mine = `cni.${inv.conf.name}.`;
  try {
    const { endpoints } = await agent.listEndpoints();
    for (const ep of endpoints) {
      if (ep.handleId.startsWith(mine) && !valid.has(ep.handleId)) {
        await agent.deleteEndpoint({ containerId: ep.containerId, interface: ep.interface });
      }
    }
  } catch (err) {
    throw agentFailure(err);
  }
}

/** Runs one invocation; resolves to what goes on stdout (undefined: nothing). */
export async function runCni(inv: Invocation, agent: () => AgentClient): Promise<object | undefined> {
  switch (inv.command) {
    case 'VERSION':
      return versionResult(inv.conf);
    case 'ADD':
      return add(inv, agent());
    case 'DEL':
      return del(inv, agent()).then(() => undefined);
    case 'CHECK':
      return check(inv, agent()).then(() => undefined);
    case 'STATUS':
      return status(agent()).then(() => undefined);
    case 'GC':
      return gc(inv, agent()).then(() => undefined);
  }
}
