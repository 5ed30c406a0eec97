// Realizes a containerlab topology on this machine with network namespaces: every node a namespace,
// every link a veth, `exec` lines run in the node, routers started from their bound configs, one etcd,
// `tsroute node run` on every host, the topology's tsroute.yaml applied, test containers wired
// through each host's agent. The state (namespace names, API sockets, containers) goes to a JSON
// file so `tsroute lab status|exec|down` work from other processes; each node gets a folder of
// wrappers (`tsroute`, `vtysh`, `birdc`) that `lab exec` puts on PATH; the logs are kept in the
// lab's state folder until `lab down --purge`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { parseAllDocuments } from 'yaml';
import { startAgent } from './agent.js';
import { Bird } from './bird.js';
import { addContainer, apply, type Container, type Host } from './cluster.js';
import type { LabNode, LabTopology } from './containerlab.js';
import { startEtcd } from './etcd.js';
import { Frr } from './frr.js';
import { Lab } from './lab.js';
import { writeNodeWrappers } from './lab-wrappers.js';
import type { Netns } from './netns.js';
import { waitFor } from './wait.js';

export const LAB_STATE_ROOT = process.env.TSROUTE_LAB_STATE_DIR || '/run/tsroute-lab';

/** Port of every lab agent's Prometheus /metrics (one agent per namespace, so one port serves all). */
export const LAB_METRICS_PORT = 9091;

export interface LabState {
  name: string;
  file: string;
  /** The process holding the lab; `lab down` stops it and it removes everything. */
  pid: number;
  ready: boolean;
  error?: string;
  etcd?: string;
  /** etcd's unix socket endpoint, reachable from inside every namespace. */
  etcdSocket?: string;
  namespaces: Record<string, string>;
  /** Per node: the folder `lab exec` puts first on PATH (its `tsroute`, `vtysh`, `birdc`). */
  bins: Record<string, string>;
  /** The logs of every daemon; a link to the live folder while up, a copy after `lab down`. */
  logDir: string;
  hosts: { name: string; ns: string; address: string; apiSocket: string; metrics: string }[];
  /** The routers, with the socket their control tool needs (FRR: vty folder, BIRD: control socket). */
  routers: { name: string; kind: 'frr' | 'bird'; ns: string; control: string }[];
  containers: { name: string; host: string; ns: string; address: string }[];
}

export const labDir = (name: string) => `${LAB_STATE_ROOT}/${name}`;
export const statePath = (name: string) => `${labDir(name)}/state.json`;

export function readState(name: string): LabState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(name), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export function writeState(state: LabState): void {
  mkdirSync(`${LAB_STATE_ROOT}/${state.name}`, { recursive: true });
  writeFileSync(statePath(state.name), `${JSON.stringify(state, null, 2)}\n`);
}

function label(node: LabNode, key: string): string | undefined {
  return node.labels[`tsroute.io/${key}`];
}

function boundFile(node: LabNode, ending: string[]): string {
  const bind = node.binds.find((b) => ending.some((e) => b.node.endsWith(e)));
  if (!bind) throw new Error(`node "${node.name}": no bind for ${ending.join(' or ')} (its router configuration)`);
  return readFileSync(bind.host, 'utf8');
}

export interface RunningLab {
  lab: Lab;
  state: LabState;
  hosts: Host[];
  containers: Container[];
}

/** The routingMode of the lab's default BGPConfiguration (tsroute.yaml), if it sets one. */
function routingMode(manifests: string): unknown {
  for (const doc of parseAllDocuments(manifests)) {
    const r = doc.toJS() as { kind?: string; metadata?: { name?: string }; spec?: { routingMode?: unknown } } | null;
    if (r?.kind === 'BGPConfiguration' && r.metadata?.name === 'default') return r.spec?.routingMode;
  }
  return undefined;
}

export async function runLab(topology: LabTopology, progress: (line: string) => void): Promise<RunningLab> {
  const dir = labDir(topology.name);
  mkdirSync(dir, { recursive: true });
  const lab = await Lab.create(`lab-${topology.name}`, { keepLogsIn: `${dir}/logs` });
  const state: LabState = {
    name: topology.name,
    file: topology.file,
    pid: process.pid,
    ready: false,
    namespaces: {},
    bins: {},
    logDir: `${dir}/logs`,
    hosts: [],
    routers: [],
    containers: [],
  };
  const wrappers = (node: string, tools: Parameters<typeof writeNodeWrappers>[1]) => {
    state.bins[node] = `${dir}/bin/${node}`;
    writeNodeWrappers(state.bins[node], { etcdEndpoint: state.etcdSocket, ...tools });
  };
  try {
    progress(`etcd for the lab`);
    const etcd = await startEtcd(lab);
    state.etcd = etcd.endpoint;
    state.etcdSocket = etcd.socketEndpoint;
    const ns = new Map<string, Netns>();
    for (const node of topology.nodes) {
      const n = await lab.namespace(node.name, { forwarding: node.role !== 'bridge' });
      ns.set(node.name, n);
      state.namespaces[node.name] = n.name;
    }
    progress(`${topology.nodes.length} nodes as namespaces`);
    for (const node of topology.nodes.filter((x) => x.role === 'bridge')) await lab.bridge(ns.get(node.name)!, 'br0');
    const bridgeNodes = new Set(topology.nodes.filter((x) => x.role === 'bridge').map((x) => x.name));
    for (const link of topology.links) {
      await lab.link(ns.get(link.a.node)!, [], ns.get(link.b.node)!, [], { aIf: link.a.ifname, bIf: link.b.ifname });
      for (const end of [link.a, link.b])
        if (bridgeNodes.has(end.node)) await ns.get(end.node)!.ip('link', 'set', end.ifname, 'master', 'br0');
    }
    progress(`${topology.links.length} links`);
    for (const node of topology.nodes) for (const cmd of node.exec) await ns.get(node.name)!.exec(['sh', '-c', cmd]);

    for (const node of topology.nodes) {
      const spec = { routerId: label(node, 'router-id') ?? '0.0.0.0', as: Number(label(node, 'as') ?? 0), peers: [] };
      const n = ns.get(node.name)!;
      if (node.role === 'frr') {
        const frr = await Frr.startWithConfig(lab, n, spec, boundFile(node, ['frr.conf', 'bgpd.conf']));
        state.routers.push({ name: node.name, kind: 'frr', ns: n.name, control: frr.vtyDir });
        wrappers(node.name, { vtyDir: frr.vtyDir });
      } else if (node.role === 'bird') {
        const bird = await Bird.startWithConfig(lab, n, spec, boundFile(node, ['bird.conf']));
        state.routers.push({ name: node.name, kind: 'bird', ns: n.name, control: bird.socket });
        wrappers(node.name, { birdSocket: bird.socket });
      } else if (node.role !== 'tsroute-host') {
        wrappers(node.name, {});
      }
    }
    progress('routers started from their bound configurations');
    if (topology.manifests) await apply(lab, etcd, topology.manifests);
    progress('tsroute.yaml applied (pools, peers, BGP configuration)');

    const hostNodes = topology.nodes.filter((x) => x.role === 'tsroute-host');
    const hosts: Host[] = await Promise.all(
      hostNodes.map(async (node) => {
        const address = label(node, 'bgp-address');
        if (!address || !isIPv4(address))
          throw new Error(`host "${node.name}": label tsroute.io/bgp-address must be its IPv4 address`);
        const as = label(node, 'as') ? Number(label(node, 'as')) : undefined;
        const agent = await startAgent(lab, ns.get(node.name)!, {
          name: node.name,
          etcd,
          bgpAddress: address,
          as,
          logLevel: 'info',
          // all hosts start at once; with six of them on a loaded 2-core machine one took 56 s
          startTimeoutMs: 150_000,
          // every address of the namespace: `lab exec NODE -- curl 127.0.0.1:PORT`, or from other nodes
          extraArgs: ['--metrics-port', String(LAB_METRICS_PORT), '--metrics-host', '0.0.0.0'],
        });
        state.hosts.push({
          name: node.name,
          ns: ns.get(node.name)!.name,
          address,
          apiSocket: agent.apiSocket,
          metrics: `http://${address}:${LAB_METRICS_PORT}/metrics`,
        });
        wrappers(node.name, { apiSocket: agent.apiSocket });
        return { name: node.name, ns: ns.get(node.name)!, address, as: as ?? 64512, agent };
      }),
    );
    // in the file's order (they started at once and registered in whatever order they came up)
    state.hosts.sort((a, b) => hosts.findIndex((h) => h.name === a.name) - hosts.findIndex((h) => h.name === b.name));
    progress(`tsroute node run on ${hosts.length} hosts`);
    const staticMode = routingMode(topology.manifests) === 'Static';
    await waitFor(
      'every host to have all its BGP sessions Established',
      async () => {
        if (staticMode) return true; // no BGP: nothing to wait for
        for (const h of hosts) {
          const s = await h.agent.status();
          if (s.peers.length === 0 || s.peers.some((p) => p.state !== 'Established')) return false;
        }
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    progress(staticMode ? 'routing mode Static: no BGP sessions to wait for' : 'every BGP session Established');
    const containers: Container[] = [];
    for (const h of hosts) {
      const node = hostNodes.find((x) => x.name === h.name)!;
      const count = Number(label(node, 'containers') ?? 2);
      for (let i = 1; i <= count; i++) {
        const c = await addContainer(lab, h, `${h.name}-c${i}`);
        containers.push(c);
        state.containers.push({ name: c.ns.label, host: h.name, ns: c.ns.name, address: c.address });
      }
    }
    progress(`${containers.length} test containers wired through the agents`);
    state.ready = true;
    writeState(state);
    return { lab, state, hosts, containers };
  } catch (err) {
    state.error = (err as Error).message;
    writeState(state);
    await lab.destroy();
    throw err;
  }
}
