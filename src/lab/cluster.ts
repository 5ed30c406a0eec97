// Test clusters of real tsroute agents: hosts as namespaces, etcd, a ToR router or none, and
// container namespaces wired through each host's agent. Each builder returns plain data that the
// tests assert on; the lab from labFor(t) tears everything down.
import { writeFileSync } from 'node:fs';
import type { Endpoint } from '../api/types.js';
import { type LabAgent, startAgent, tsroute } from './agent.js';
import { Bird, type Etcd, Frr, type Lab, type Netns, startEtcd, waitFor } from './index.js';

export interface Host {
  name: string;
  ns: Netns;
  address: string;
  as: number;
  agent: LabAgent;
}

export interface Container {
  host: Host;
  ns: Netns;
  endpoint: Endpoint;
  address: string;
}

/** Applies manifests (YAML text) with the real CLI against the lab's etcd. */
export async function apply(lab: Lab, etcd: Etcd, yaml: string): Promise<void> {
  const file = lab.path(`manifest-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  const res = await tsroute(['apply', '-f', file, '--etcd-endpoints', etcd.endpoint]);
  if (res.code !== 0) throw new Error(`tsroute apply failed (${res.code}): ${res.stderr}`);
}

export function poolYaml(name: string, cidr: string, blockSize: number, extra = ''): string {
  return `apiVersion: tsroute.io/v1
kind: IPPool
metadata:
  name: ${name}
spec:
  cidr: ${cidr}
  blockSize: ${blockSize}
${extra}---
`;
}

export function bgpConfigYaml(asNumber: number, mesh: boolean, routingMode?: 'BGP' | 'Static'): string {
  return `apiVersion: tsroute.io/v1
kind: BGPConfiguration
metadata:
  name: default
spec:
  asNumber: ${asNumber}
  nodeToNodeMeshEnabled: ${mesh}
${routingMode ? `  routingMode: ${routingMode}\n` : ''}---
`;
}

export function peerYaml(name: string, spec: Record<string, string | number | boolean>): string {
  const lines = Object.entries(spec).map(([k, v]) => `  ${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`);
  return `apiVersion: tsroute.io/v1
kind: BGPPeer
metadata:
  name: ${name}
spec:
${lines.join('\n')}
---
`;
}

/** A container namespace on `host`, wired by the host's agent. */
export async function addContainer(
  lab: Lab,
  host: Host,
  label: string,
  { ipv6 = false }: { ipv6?: boolean } = {},
): Promise<Container> {
  const ns = await lab.namespace(label);
  const endpoint = await host.agent.client.addEndpoint({
    containerId: label,
    interface: 'eth0',
    netns: ns.path,
    ipv4Count: 1,
    ipv6Count: ipv6 ? 1 : 0,
  });
  const address = endpoint.addresses[0]?.split('/')[0];
  if (!address) throw new Error(`agent on ${host.name} gave ${label} no address`);
  return { host, ns, endpoint, address };
}

/** Every container pings every other one; returns the pairs that failed (empty when all pass). */
export async function reachability(containers: Container[], timeoutMs = 10_000): Promise<string[]> {
  const failed: string[] = [];
  await Promise.all(
    containers.flatMap((from) =>
      containers
        .filter((to) => to !== from)
        .map(async (to) => {
          try {
            await waitFor(`${from.ns.label} → ${to.address}`, () => from.ns.ping(to.address, { timeoutS: 1 }), {
              timeoutMs,
              intervalMs: 200,
            });
          } catch {
            failed.push(`${from.ns.label}(${from.host.name}) → ${to.ns.label}(${to.host.name}) ${to.address}`);
          }
        }),
    ),
  );
  return failed.sort();
}

export interface TorCluster {
  etcd: Etcd;
  tor: Bird | Frr;
  hosts: Host[];
}

/**
 * `count` hosts behind one top-of-rack router (AS 65000), eBGP with one AS per host (65001, ...),
 * as Calico's "AS per rack/host" design: host i is 10.0.i.2/24, the ToR 10.0.i.1 on its side.
 */
export async function torCluster(
  lab: Lab,
  {
    count = 3,
    router = 'bird' as 'bird' | 'frr',
    pool = '10.65.0.0/16',
    blockSize = 26,
    gracefulRestart = false,
    /** Extra `tsroute node run` arguments for every host's agent. */
    agentArgs = [] as string[],
  } = {},
): Promise<TorCluster> {
  const etcd = await startEtcd(lab);
  const torNs = await lab.namespace('tor', { forwarding: true });
  const hostNs: Netns[] = [];
  for (let i = 1; i <= count; i++) {
    const ns = await lab.namespace(`h${i}`, { forwarding: true });
    await lab.link(torNs, `10.0.${i}.1/24`, ns, `10.0.${i}.2/24`, { aIf: `to-h${i}`, bIf: 'uplink' });
    hostNs.push(ns);
  }
  const peers = hostNs.map((_, i) => ({
    address: `10.0.${i + 1}.2`,
    as: 65001 + i,
    localAddress: `10.0.${i + 1}.1`,
    ...(gracefulRestart ? { gracefulRestart: { restartTime: 120 } } : {}),
  }));
  const spec = { routerId: '10.0.1.1', as: 65000, peers };
  const tor = router === 'bird' ? await Bird.start(lab, torNs, spec) : await Frr.start(lab, torNs, spec);

  let manifests = poolYaml('pool4', pool, blockSize) + bgpConfigYaml(64512, false);
  for (let i = 1; i <= count; i++)
    manifests += peerYaml(`tor-h${i}`, { node: `h${i}`, peerIP: `10.0.${i}.1`, asNumber: 65000 });
  await apply(lab, etcd, manifests);

  const hosts = await Promise.all(
    hostNs.map(async (ns, i) => {
      const name = `h${i + 1}`;
      const address = `10.0.${i + 1}.2`;
      const as = 65001 + i;
      const agent = await startAgent(lab, ns, { name, etcd, bgpAddress: address, as, extraArgs: agentArgs });
      return { name, ns, address, as, agent };
    }),
  );
  return { etcd, tor, hosts };
}

export interface MeshCluster {
  etcd: Etcd;
  hosts: Host[];
  /** The namespace holding the segment's bridge, to plug more routers in (`plugIntoSwitch`). */
  sw: Netns;
  bridge: string;
}

/** Plugs `ns` into a mesh cluster's segment with `addresses` (e.g. a BIRD at 10.0.0.9/24). */
export async function plugIntoSwitch(lab: Lab, c: MeshCluster, ns: Netns, addresses: string | string[]): Promise<void> {
  const port = `port-${ns.label}`.slice(0, 15);
  await lab.link(c.sw, [], ns, addresses, { aIf: port, bIf: 'eth0' });
  await c.sw.ip('link', 'set', port, 'master', c.bridge);
}

/**
 * `count` hosts on one layer-2 segment (a bridge in a "switch" namespace), 10.0.0.i/24, iBGP in
 * AS 64512: a full mesh, or route reflection when `reflectors` names hosts with a cluster ID.
 */
export async function meshCluster(
  lab: Lab,
  {
    count = 3,
    mesh = true,
    pool = '10.65.0.0/16',
    blockSize = 26,
    reflectors = [] as number[],
    /** Also give hosts fd00:0::i/64, IPv6 BGP sessions and an IPv6 pool (fd00:65::/64, /122 blocks). */
    ipv6 = false,
    extraManifests = '',
    /** Extra `tsroute node run` arguments for every host's agent. */
    agentArgs = [] as string[],
    /** An etcd (or a cluster's asEtcd()) to use instead of starting one. */
    etcd: given = undefined as Etcd | undefined,
    /** Extra environment for every host's agent (e.g. TSROUTE_EMPTY_BLOCK_GRACE). */
    agentEnv = {} as NodeJS.ProcessEnv,
    /** The default BGPConfiguration's routingMode (unset: BGP). */
    routingMode = undefined as 'BGP' | 'Static' | undefined,
  } = {},
): Promise<MeshCluster> {
  const etcd = given ?? (await startEtcd(lab));
  const sw = await lab.namespace('switch');
  const bridge = await lab.bridge(sw, 'br0');
  const hostNs: Netns[] = [];
  for (let i = 1; i <= count; i++) {
    const ns = await lab.namespace(`h${i}`, { forwarding: true });
    await lab.link(sw, [], ns, ipv6 ? [`10.0.0.${i}/24`, `fd00::${i}/64`] : `10.0.0.${i}/24`, {
      aIf: `port${i}`,
      bIf: 'eth0',
    });
    await sw.ip('link', 'set', `port${i}`, 'master', bridge);
    hostNs.push(ns);
  }
  let manifests = poolYaml('pool4', pool, blockSize) + bgpConfigYaml(64512, mesh, routingMode) + extraManifests;
  if (ipv6) manifests += poolYaml('pool6', 'fd00:65::/64', 122);
  for (const i of reflectors)
    manifests += `apiVersion: tsroute.io/v1
kind: Node
metadata:
  name: h${i}
spec:
  bgp:
    ipv4Address: 10.0.0.${i}
    routeReflectorClusterId: 224.0.0.1
---
`;
  await apply(lab, etcd, manifests);
  const hosts = await Promise.all(
    hostNs.map(async (ns, i) => {
      const name = `h${i + 1}`;
      const address = `10.0.0.${i + 1}`;
      const agent = await startAgent(lab, ns, {
        name,
        etcd,
        bgpAddress: address,
        ...(ipv6 ? { bgpAddress6: `fd00::${i + 1}` } : {}),
        extraArgs: agentArgs,
        env: agentEnv,
      });
      return { name, ns, address, as: 64512, agent };
    }),
  );
  return { etcd, hosts, sw, bridge };
}

/** Waits until every host reports every one of its BGP sessions Established. */
export async function allSessionsUp(hosts: Host[], expectedPerHost: number, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    `every host to have ${expectedPerHost} Established sessions`,
    async () => {
      for (const h of hosts) {
        const s = await h.agent.status();
        if (s.peers.filter((p) => p.state === 'Established').length < expectedPerHost) return false;
      }
      return true;
    },
    { timeoutMs, intervalMs: 200 },
  );
}
