// The node agent end to end (issue: node agent benchmarks), printed by `npm run bench`:
//  1. endpoint add latency, API call → container reachable (it answers a probe from the host's
//     namespace: one long-lived prober process, see bench/probe.ts, whose own cost is printed),
//     p50/p99 over N endpoints on one host, beside the same wiring done by hand with `ip`;
//  2. cross-host convergence: AddEndpoint on host A that needs a new block → the block's route in
//     host B's kernel (looked up over netlink every millisecond), p50/p99;
//  2b. a burst: N concurrent AddEndpoint calls on one host, then N concurrent DeleteEndpoint calls of
//     the same endpoints (a node drained or filled at once): wall time of each burst and the calls'
//     p50/p99, so deletes are seen beside the adds;
//  3. programming learned routes: a BIRD peer announces N prefixes, time until all are in the
//     agent's kernel table (seen by route notifications), beside `ip -batch` installing the same N
//     routes in a fresh namespace.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { RTPROT_BGP } from '../src/dataplane/index.js';
import { MessageWriter } from '../src/dataplane/message-writer.js';
import { NetlinkChannel } from '../src/dataplane/netlink-channel.js';
import { decodeRoute, writeRouteLookup } from '../src/dataplane/route-codec.js';
import { startAgent } from '../src/lab/agent.js';
import { Bird, birdConfig, Lab, type Netns, run, startEtcd, waitFor } from '../src/lab/index.js';
import { allSessionsUp, apply, bgpConfigYaml, meshCluster, peerYaml, poolYaml } from '../test/helpers/cluster.js';
import { Prober } from './probe.js';
import { LearnedRouteWatch } from './route-watch.js';
import { wireByHand } from './wire-by-hand.js';

const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 500);
const CONVERGENCE_SAMPLES = Number(process.env.BENCH_CONVERGENCE ?? 40);
const ROUTES = Number(process.env.BENCH_ROUTES ?? 100_000);
const BURST = Number(process.env.BENCH_BURST ?? 200);
const BURST_RUNS = Number(process.env.BENCH_BURST_RUNS ?? 3);
/** The protocol number BIRD's kernel protocol gives the routes it installs (RTPROT_BIRD). */
const RTPROT_BIRD = 12;

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function endpointLatency(): Promise<void> {
  const lab = await Lab.create('bench-endpoints');
  try {
    const { hosts } = await meshCluster(lab, { count: 1, pool: '10.64.0.0/14', blockSize: 26 });
    const host = hosts[0]!;
    const prober = await Prober.start(lab, host.ns);
    const samples: number[] = [];
    const apiOnly: number[] = [];
    let lastAddress = '';
    for (let i = 0; i < ENDPOINTS; i++) {
      const ns = await lab.namespace(`e${i}`);
      const t0 = performance.now();
      const ep = await host.agent.client.addEndpoint({ containerId: `e${i}`, netns: ns.path });
      apiOnly.push(performance.now() - t0);
      lastAddress = ep.addresses[0]!.split('/')[0]!;
      if (!(await prober.reachable(lastAddress))) throw new Error(`e${i} (${lastAddress}) never became reachable`);
      samples.push(performance.now() - t0);
    }
    const overhead = await prober.overhead(lastAddress);
    // reference: the same wiring by hand with ip, in one batch per side
    const ref: number[] = [];
    for (let i = 0; i < Math.min(100, ENDPOINTS); i++) {
      const ns = await lab.namespace(`r${i}`);
      const addr = `10.99.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      const t0 = performance.now();
      await wireByHand(host.ns, ns, `ref${i}`, addr);
      if (!(await prober.reachable(addr))) throw new Error(`ref${i} (${addr}) never became reachable`);
      ref.push(performance.now() - t0);
    }
    console.log(`endpoint add → reachable, ${ENDPOINTS} endpoints on one host`);
    console.log(
      `  tsroute agent (API call, IPAM in etcd, veth, routes, record)  p50 ${ms(pct(samples, 50))}  p99 ${ms(pct(samples, 99))}`,
    );
    console.log(
      `    of which the API call alone (until AddEndpoint returns)       p50 ${ms(pct(apiOnly, 50))}  p99 ${ms(pct(apiOnly, 99))}`,
    );
    console.log(
      `  by hand with ip (veth, address, routes; no IPAM, no etcd)     p50 ${ms(pct(ref, 50))}  p99 ${ms(pct(ref, 99))}`,
    );
    console.log(
      `  the probe's own cost (pipe to the prober, one SYN/RST round trip), included above: p50 ${ms(pct(overhead, 50))}  p99 ${ms(pct(overhead, 99))}`,
    );
    console.log(`  targets: p50 ≤ 5 ms, p99 ≤ 15 ms (issue 14); load average ${loadAverage()}`);
  } finally {
    await lab.destroy();
  }
}

async function convergence(): Promise<void> {
  const lab = await Lab.create('bench-convergence');
  try {
    // blocks of 2 addresses: every second endpoint on A needs a new block
    const { hosts } = await meshCluster(lab, { count: 2, pool: '10.64.0.0/16', blockSize: 31 });
    const [a, b] = hosts as [(typeof hosts)[0], (typeof hosts)[0]];
    await allSessionsUp(hosts, 1);
    const atB = NetlinkChannel.open(b.ns.path);
    lab.onDestroy(() => atB.close());
    const samples: number[] = [];
    for (let i = 0; samples.length < CONVERGENCE_SAMPLES; i++) {
      const ns = await lab.namespace(`c${i}`);
      const before = new Set((await a.agent.status()).blocks.map((x) => x.cidr));
      const t0 = performance.now();
      await a.agent.client.addEndpoint({ containerId: `c${i}`, netns: ns.path });
      const after = (await a.agent.status()).blocks.map((x) => x.cidr).filter((c) => !before.has(c));
      if (after.length === 0) continue; // this one fitted in an existing block
      const block = after[0]!;
      await waitFor(`${block} at B`, () => learnedRouteCovers(atB, block.split('/')[0]!), {
        intervalMs: 1,
        timeoutMs: 10_000,
      });
      samples.push(performance.now() - t0);
    }
    console.log(
      `cross-host convergence: AddEndpoint on A needing a new block → route in B's kernel (${samples.length} samples)`,
    );
    console.log(
      `  p50 ${ms(pct(samples, 50))}  p99 ${ms(pct(samples, 99))}  (target p99 ≤ 30 ms); load average ${loadAverage()}`,
    );
  } finally {
    await lab.destroy();
  }
}

/** The load average, to print beside figures taken on a shared machine. */
function loadAverage(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
}

async function burst(): Promise<void> {
  const lab = await Lab.create('bench-burst');
  try {
    const { hosts } = await meshCluster(lab, { count: 1, pool: '10.64.0.0/14', blockSize: 26 });
    const host = hosts[0]!;
    const namespaces = [];
    for (let i = 0; i < BURST; i++) namespaces.push(await lab.namespace(`b${i}`));
    console.log(`a burst of ${BURST} concurrent AddEndpoint, then ${BURST} concurrent DeleteEndpoint, one host`);
    for (let run = 0; run < BURST_RUNS; run++) {
      const timed = async <T>(fn: () => Promise<T>): Promise<number> => {
        const t = performance.now();
        await fn();
        return performance.now() - t;
      };
      const t0 = performance.now();
      const adds = await Promise.all(
        namespaces.map((ns, i) =>
          timed(() => host.agent.client.addEndpoint({ containerId: `b${run}-${i}`, netns: ns.path })),
        ),
      );
      const addWall = performance.now() - t0;
      const load = loadAverage();
      const t1 = performance.now();
      const deletes = await Promise.all(
        namespaces.map((_, i) => timed(() => host.agent.client.deleteEndpoint({ containerId: `b${run}-${i}` }))),
      );
      const delWall = performance.now() - t1;
      const left = (await host.agent.client.listEndpoints()).endpoints.length;
      if (left !== 0) throw new Error(`${left} endpoints left after the deletes`);
      console.log(
        `  run ${run + 1}: adds ${(addWall / 1000).toFixed(2)} s (each p50 ${ms(pct(adds, 50))}, p99 ${ms(pct(adds, 99))}); ` +
          `deletes ${(delWall / 1000).toFixed(2)} s (each p50 ${ms(pct(deletes, 50))}, p99 ${ms(pct(deletes, 99))}); load ${load}`,
      );
    }
    console.log("  target: the deletes at the adds' rate");
  } finally {
    await lab.destroy();
  }
}

function prefixes(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`10.${128 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`);
  return out;
}

const GENERATOR = { routerId: '10.0.0.1', as: 65000, kernel: false } as const;

/**
 * BIRD announcing `list` to `receiver`, with its static routes off until the session is up: then
 * `birdc enable` starts the stream, so the clock measures routes, not connect delays. (Routes BIRD
 * feeds as a session comes up can have their last UPDATE held until its next keepalive, seconds.)
 */
async function startGenerator(lab: Lab, ns: Netns, receiver: string, receiverAs: number, list: string[]) {
  const spec = {
    ...GENERATOR,
    peers: [{ address: receiver, as: receiverAs, localAddress: GENERATOR.routerId }],
    originate: list,
  };
  const conf = birdConfig(
    spec,
    `${lab.logDir}/bird-${ns.label}.log`,
    list.map((prefix) => ({ prefix })),
  ).replace('protocol static orig4 {', 'protocol static orig4 {\n  disabled;');
  return Bird.startWithConfig(lab, ns, spec, conf);
}

async function routeProgramming(): Promise<void> {
  const list = prefixes(ROUTES);
  const lab = await Lab.create('bench-routes');
  try {
    const etcd = await startEtcd(lab);
    const peer = await lab.namespace('peer', { forwarding: true });
    const host = await lab.namespace('host', { forwarding: true });
    await lab.link(peer, '10.0.0.1/24', host, '10.0.0.2/24', { aIf: 'to-host', bIf: 'uplink' });
    await apply(
      lab,
      etcd,
      poolYaml('pool', '10.64.0.0/16', 26) +
        bgpConfigYaml(64512, false) +
        peerYaml('gen', { peerIP: '10.0.0.1', asNumber: 65000 }),
    );
    const agent = await startAgent(lab, host, {
      name: 'host',
      etcd,
      bgpAddress: '10.0.0.2',
      logLevel: process.env.BENCH_AGENT_LOG ?? 'info',
    });
    const watch = new LearnedRouteWatch(host);
    lab.onDestroy(() => watch.close());
    const generator = await startGenerator(lab, peer, '10.0.0.2', 64512, list);
    await waitFor('the generator session', async () =>
      (await agent.status()).peers.some((p) => p.state === 'Established'),
    );
    const t0 = performance.now();
    await generator.birdc('enable orig4');
    const done = await watch.until(ROUTES, 300_000);
    const programMs = done - watch.first;
    const status = await agent.status();

    // reference 1: ip -batch of the same routes into a fresh namespace
    const fresh = await lab.namespace('ref', { forwarding: true });
    await lab.link(fresh, '10.0.0.1/24', await lab.namespace('ref-peer'), '10.0.0.2/24', { aIf: 'uplink', bIf: 'x' });
    const file = lab.path('routes.batch');
    writeFileSync(file, `${list.map((p) => `route add ${p} via 10.0.0.2 proto bgp`).join('\n')}\n`);
    const t1 = performance.now();
    await run(['ip', '-n', fresh.name, '-batch', file], { timeoutMs: 300_000 });
    const ipMs = performance.now() - t1;

    // reference 2: BIRD doing the agent's job (BGP in, kernel out) from the same generator
    const birdHost = await lab.namespace('bird-host', { forwarding: true });
    const birdPeer = await lab.namespace('bird-peer', { forwarding: true });
    await lab.link(birdPeer, '10.0.0.1/24', birdHost, '10.0.0.2/24', { aIf: 'to-host', bIf: 'uplink' });
    const receiver = await Bird.start(lab, birdHost, {
      routerId: '10.0.0.2',
      as: 64512,
      kernel: true,
      peers: [{ address: '10.0.0.1', as: 65000, localAddress: '10.0.0.2' }],
    });
    const birdWatch = new LearnedRouteWatch(birdHost, RTPROT_BIRD);
    lab.onDestroy(() => birdWatch.close());
    const birdGenerator = await startGenerator(lab, birdPeer, '10.0.0.2', 64512, list);
    await waitFor('the BIRD receiver session', async () =>
      (await receiver.sessions()).some((p) => p.state === 'Established'),
    );
    await birdGenerator.birdc('enable orig4');
    const birdDone = await birdWatch.until(ROUTES, 300_000);
    const birdMs = birdDone - birdWatch.first;

    console.log(
      `programming ${ROUTES} learned routes into the kernel (BIRD generator; kernel watched by route notifications)`,
    );
    console.log(`  tsroute agent, generator enabled → all in the kernel (BGP, kernel)   ${ms(done - t0)}`);
    console.log(`  tsroute agent, first route in the kernel → all in the kernel        ${ms(programMs)}`);
    console.log(`  ip -batch of the same routes into a fresh namespace                 ${ms(ipMs)}`);
    console.log(`  BIRD 2 receiving the same stream, first → all in its kernel table   ${ms(birdMs)}`);
    console.log(
      `  ratio (first → all) / ip -batch: ${(programMs / ipMs).toFixed(2)}× (target ≤ 1.5×); / BIRD: ${(programMs / birdMs).toFixed(2)}×; agent owns ${status.kernelRouteCount} routes${watch.fellBack ? ' (notifications overran: end time from dumps, ±100 ms)' : ''}`,
    );
  } finally {
    await lab.destroy();
  }
}

/** Whether B's kernel routes `address` by a learned route (a FIB lookup over netlink, ~50 µs). */
async function learnedRouteCovers(channel: NetlinkChannel, address: string): Promise<boolean> {
  const w = new MessageWriter(64);
  const seq = channel.nextSeq();
  writeRouteLookup(w, seq, address);
  const { replies } = await channel.transact(w);
  const [msg] = replies.get(seq) ?? [];
  return msg !== undefined && decodeRoute(msg)?.protocol === RTPROT_BGP;
}

/** BENCH_AGENT_PARTS=endpoints,burst,convergence,routes picks parts (default all). */
export async function runAgentBench(): Promise<void> {
  const parts = (process.env.BENCH_AGENT_PARTS ?? 'endpoints,burst,convergence,routes').split(',');
  if (parts.includes('endpoints')) await endpointLatency();
  if (parts.includes('burst')) await burst();
  if (parts.includes('convergence')) await convergence();
  if (parts.includes('routes')) await routeProgramming();
}

if (import.meta.url === `file://${process.argv[1]}`) await runAgentBench();
