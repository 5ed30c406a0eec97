// A host dual-homed to two top-of-rack routers, with a destination behind both: the lab of BFD's
// failover test and benchmark (issue #16). Real routers everywhere but the host:
//
//                 spine (BIRD, AS 65100): 10.99.0.1 on lo, originates 10.99.0.0/24
//                10.0.11.2 /          \ 10.0.12.2
//         10.0.11.1 tor1 (FRR)     tor2 (BIRD) 10.0.12.1        both AS 65000
//          10.0.1.1 [to-h1]          [to-h1] 10.0.2.1
//                10.0.1.2 [up1]    [up2] 10.0.2.2
//                      h1: tsroute agent (AS 65001), container c1
//
// Both ToRs announce 10.99.0.0/24 with the same AS path, so the agent installs one ECMP route with
// both as next hops; the spine learns the container's block from both. With `bfd`, the host's two
// sessions run BFD on both ends (the agent's BGPPeer.spec.bfd, FRR's `neighbor bfd`, BIRD's `bfd on`).

import { startAgent } from './agent.js';
import { Bird } from './bird.js';
import { addContainer, apply, type Container, type Host, poolYaml } from './cluster.js';
import type { Etcd } from './etcd.js';
import { startEtcd } from './etcd.js';
import { Frr } from './frr.js';
import type { Lab } from './lab.js';
import { nft } from './link-cut.js';
import type { KernelRoute, Netns } from './netns.js';
import { waitFor } from './wait.js';

export const DESTINATION = '10.99.0.1';
export const DESTINATION_PREFIX = '10.99.0.0/24';
/** The ToR's interface towards the host (what a cut cuts). */
export const TOR_HOST_IF = 'to-h1';

export interface DualTorOptions {
  /** BFD on the host's two sessions, both ends (milliseconds, the BGPPeer.spec.bfd names); none: hold timer only. */
  bfd?: { transmitInterval: number; receiveInterval: number; detectMultiplier: number };
  /** BGP hold and keepalive time (seconds) on the host's sessions, both ends (default 90 / 30). */
  holdTime?: number;
  keepaliveTime?: number;
  /** The routers of tor1 and tor2 (default FRR and BIRD: both kinds on every run). */
  tors?: ['frr' | 'bird', 'frr' | 'bird'];
  /** Extra `tsroute node run` arguments for the host's agent (e.g. a metrics port). */
  agentArgs?: string[];
}

export interface DualTorRouter {
  name: 'tor1' | 'tor2';
  router: Frr | Bird;
  ns: Netns;
  /** The ToR's address on the host link: the next hop the host uses through it. */
  address: string;
}

export interface DualTor {
  etcd: Etcd;
  host: Host;
  container: Container;
  tors: [DualTorRouter, DualTorRouter];
  spine: Bird;
}

/** Builds the lab and waits until traffic flows: both sessions (and BFD) up, ECMP in the host. */
export async function dualTor(lab: Lab, opts: DualTorOptions = {}): Promise<DualTor> {
  const { bfd, holdTime = 90, keepaliveTime = 30, tors: kinds = ['frr', 'bird'], agentArgs = [] } = opts;
  const etcd = await startEtcd(lab);
  const hostNs = await lab.namespace('h1', { forwarding: true });
  const spineNs = await lab.namespace('spine', { forwarding: true });
  await spineNs.ip('addr', 'add', `${DESTINATION}/32`, 'dev', 'lo');
  const routerBfd = bfd && { peers: [], intervalMs: bfd.transmitInterval, multiplier: bfd.detectMultiplier };
  const tors = [] as unknown as [DualTorRouter, DualTorRouter];
  for (const i of [1, 2] as const) {
    const ns = await lab.namespace(`tor${i}`, { forwarding: true });
    await lab.link(ns, `10.0.${i}.1/24`, hostNs, `10.0.${i}.2/24`, { aIf: TOR_HOST_IF, bIf: `up${i}` });
    await lab.link(ns, `10.0.1${i}.1/24`, spineNs, `10.0.1${i}.2/24`, { aIf: 'to-spine', bIf: `to-tor${i}` });
    const spec = {
      routerId: `10.0.1${i}.1`,
      as: 65000,
      peers: [
        {
          address: `10.0.${i}.2`,
          as: 65001,
          localAddress: `10.0.${i}.1`,
          holdTime,
          keepalive: keepaliveTime,
          bfd: !!bfd,
        },
        { address: `10.0.1${i}.2`, as: 65100, localAddress: `10.0.1${i}.1` },
      ],
      ...(routerBfd ? { bfd: routerBfd } : {}),
    };
    const router = kinds[i - 1] === 'frr' ? await Frr.start(lab, ns, spec) : await Bird.start(lab, ns, spec);
    tors[i - 1] = { name: `tor${i}`, router, ns, address: `10.0.${i}.1` };
  }
  const spine = await Bird.start(lab, spineNs, {
    routerId: '10.0.11.2',
    as: 65100,
    peers: [1, 2].map((i) => ({ address: `10.0.1${i}.1`, as: 65000, localAddress: `10.0.1${i}.2` })),
    originate: [DESTINATION_PREFIX],
  });

  const peer = (i: number) =>
    `apiVersion: tsroute.io/v1\nkind: BGPPeer\nmetadata:\n  name: tor${i}\nspec: ${JSON.stringify({
      node: 'h1',
      peerIP: `10.0.${i}.1`,
      asNumber: 65000,
      // Not the node's address (10.0.1.2, on up1): the kernel picks this link's own address, so BGP
      // and the single-hop BFD session (RFC 5881 §4) both run from 10.0.i.2.
      sourceAddress: 'None',
      ...(bfd ? { bfd: { enabled: true } } : {}),
    })}\n---\n`;
  const config = `apiVersion: tsroute.io/v1\nkind: BGPConfiguration\nmetadata:\n  name: default\nspec: ${JSON.stringify(
    {
      asNumber: 64512,
      nodeToNodeMeshEnabled: false,
      holdTime,
      keepaliveTime,
      ...(bfd ? { bfd } : {}),
    },
  )}\n---\n`;
  await apply(lab, etcd, poolYaml('pool4', '10.65.0.0/16', 26) + config + peer(1) + peer(2));
  const agent = await startAgent(lab, hostNs, {
    name: 'h1',
    etcd,
    bgpAddress: '10.0.1.2',
    as: 65001,
    extraArgs: agentArgs,
  });
  const host: Host = { name: 'h1', ns: hostNs, address: '10.0.1.2', as: 65001, agent };
  const container = await addContainer(lab, host, 'c1');
  for (const t of tors) await nft(t.ns, ['-f', '-'], countScript(container.address));
  const fabric: DualTor = { etcd, host, container, tors, spine };
  await converged(fabric, !!bfd);
  return fabric;
}

/** Counts the echo requests from the container that a ToR forwards: which ToR carries the traffic. */
function countScript(from: string): string {
  return `table ip tsroute_count {\n  chain counting { type filter hook forward priority 0; ip saddr ${from} icmp type echo-request counter; }\n}\n`;
}

/** How many of the container's echo requests `tor` has forwarded so far. */
export async function echoRequestsForwarded(tor: DualTorRouter): Promise<number> {
  const stdout = await nft(tor.ns, ['-j', 'list', 'table', 'ip', 'tsroute_count']);
  const items = (JSON.parse(stdout) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] })
    .nftables;
  for (const item of items) for (const e of item.rule?.expr ?? []) if (e.counter) return e.counter.packets;
  throw new Error(`no counter in ${tor.name}'s tsroute_count table`);
}

/** The next hops of the host's kernel route to the destination (sorted; empty without a route). */
export function nextHopsOf(route: KernelRoute | undefined): string[] {
  if (!route) return [];
  const hops = route.nexthops?.map((n) => n.gateway) ?? [route.gateway];
  return hops.filter((h): h is string => !!h).sort();
}

/**
 * Waits until the fabric is whole: both host sessions Established (and BFD Up with `bfd`), the host's
 * kernel routes the destination over both ToRs, and the container reaches the destination.
 */
export async function converged(f: DualTor, bfd: boolean, timeoutMs = 90_000): Promise<void> {
  const both = f.tors.map((t) => t.address).sort();
  await waitFor(
    `both host sessions Established${bfd ? ' with BFD Up' : ''}`,
    async () => {
      const peers = (await f.host.agent.status()).peers;
      return f.tors.every((t) => {
        const p = peers.find((x) => x.address === t.address);
        return p?.state === 'Established' && (!bfd || p.bfd === 'Up');
      });
    },
    { timeoutMs, intervalMs: 200 },
  );
  await waitFor(
    `the host's route to ${DESTINATION_PREFIX} over both ToRs`,
    async () => nextHopsOf(await f.host.ns.route(DESTINATION_PREFIX)).join() === both.join(),
    { timeoutMs, intervalMs: 200 },
  );
  await waitFor(
    `the container's block at the spine from both ToRs`,
    async () => {
      const block = (await f.spine.routes()).filter((r) => r.prefix.startsWith('10.65.'));
      return new Set(block.map((r) => r.nextHop)).size === 2;
    },
    { timeoutMs, intervalMs: 200 },
  );
  await waitFor(`the container reaching ${DESTINATION}`, () => f.container.ns.ping(DESTINATION), {
    timeoutMs,
    intervalMs: 200,
  });
}
