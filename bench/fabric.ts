// A fabric of N hosts on one machine, `npm run bench -- fabric`: N `tsroute node run` agents, each in
// its own namespace on one layer-2 segment, one etcd, the node-to-node mesh off and two route
// reflectors — two of the agents (Node routeReflectorClusterId), or, as the comparison, two BIRDs
// with every host as an `rr client`. One test container per host. Printed per variant:
//   - cold start: every agent started at once → every host's kernel holds a route to every other
//     host's container block (seen by route notifications from a netlink socket in each host's
//     namespace), then a ring of pings between the containers as the check;
//   - a new block on one host → the route in every other host's kernel: p50/p99 of the time until the
//     last host has it, and over all (sample, host) pairs;
//   - RSS per agent (median, max) and per reflector;
//   - etcd at rest: gRPC messages received per second over 20 s with nothing happening.
// Env: TSROUTE_BENCH_HOSTS (100), TSROUTE_BENCH_REFLECTORS (tsroute,bird), TSROUTE_BENCH_SAMPLES (40).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import netlink from 'netlink';
import { RTPROT_BGP } from '../src/dataplane/index.js';
import { messages } from '../src/dataplane/message-reader.js';
import { inNetns } from '../src/dataplane/netns.js';
import { decodeRoute } from '../src/dataplane/route-codec.js';
import { NETLINK_ROUTE, RTM_NEWROUTE } from '../src/dataplane/rtnetlink.js';
import { type LabAgent, startAgent } from '../src/lab/agent.js';
import { Bird, type Etcd, Lab, type Netns, run, sleep, startEtcd, waitFor } from '../src/lab/index.js';
import { apply, bgpConfigYaml, peerYaml, poolYaml } from '../test/helpers/cluster.js';

type Reflectors = 'tsroute' | 'bird';
/** linux/rtnetlink.h */
const RTNLGRP_IPV4_ROUTE = 7;
const AS = 64512;
const CLUSTER_ID = '224.0.0.1';
const BLOCK = 31; // two addresses per block: every second endpoint on a host needs a new block
const hostAddr = (i: number) => `10.0.0.${i + 1}`;
const BIRD_RR = ['10.0.0.251', '10.0.0.252'];

/** When each learned route first appeared in one namespace's kernel (performance.now()). */
class KernelWatch {
  readonly seen = new Map<string, number>();
  private readonly socket;
  constructor(ns: Netns) {
    this.socket = inNetns(
      ns.path,
      () => new netlink.RawNetlinkSocket(NETLINK_ROUTE, { recvBufferSize: 8 << 20, sendBufferSize: 0 }),
    );
    this.socket.on('error', () => {
      // an overrun loses notifications: the waits below time out and say so
    });
    this.socket.on('message', (datagram: Buffer) => {
      const now = performance.now();
      for (const m of messages(datagram)) {
        if (m.type !== RTM_NEWROUTE || m.payload[5] !== RTPROT_BGP) continue;
        const r = decodeRoute(m);
        if (r && !this.seen.has(r.prefix)) this.seen.set(r.prefix, now);
      }
    });
    this.socket.addMembership(RTNLGRP_IPV4_ROUTE);
  }
  close(): void {
    this.socket.close();
  }
}

function blockOf(address: string): string {
  const n = address.split('.').reduce((a, o) => (a << 8) | Number(o), 0) >>> 0;
  const masked = (n & (~0 << (32 - BLOCK))) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (masked >>> s) & 255).join('.')}/${BLOCK}`;
}

/** VmRSS (kB) of the processes in `ns` whose name starts with one of `names`. */
async function rssKb(ns: Netns, names: string[]): Promise<number> {
  const { stdout } = await run(['ip', 'netns', 'pids', ns.name]);
  let kb = 0;
  for (const pid of stdout.split(/\s+/).filter(Boolean)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '';
      if (names.some((n) => name.startsWith(n))) kb += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb;
}

/** etcd's gRPC messages received so far, from its /metrics. */
async function etcdMessages(etcd: Etcd): Promise<number> {
  const text = await (await fetch(`${etcd.endpoint}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^grpc_server_msg_received_total\{[^}]*\} (\S+)$/gm)) sum += Number(m[1]);
  return sum;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}
const median = (xs: number[]) => pct(xs, 50);

interface FabricResult {
  reflectors: Reflectors;
  hosts: number;
  coldStartS: number;
  pings: string;
  allP50: number;
  allP99: number;
  eachP50: number;
  eachP99: number;
  samples: number;
  agentRssMb: [number, number];
  reflectorRssMb: number[];
  etcdPerS: number;
  /** etcd gRPC messages received from the start of the agents until every route was in place, per agent. */
  etcdColdPerAgent: number;
}

async function runFabric(reflectors: Reflectors, n: number, samples: number): Promise<FabricResult> {
  const lab = await Lab.create(`fabric-${reflectors}`);
  const watches: KernelWatch[] = [];
  lab.onDestroy(() => {
    for (const w of watches) w.close();
  });
  try {
    const etcd = await startEtcd(lab);
    const sw = await lab.namespace('switch');
    const bridge = await lab.bridge(sw, 'br0');
    const plug = async (ns: Netns, address: string, port: string) => {
      await lab.link(sw, [], ns, `${address}/24`, { aIf: port, bIf: 'eth0' });
      await sw.ip('link', 'set', port, 'master', bridge);
    };
    const hostNs: Netns[] = [];
    for (let i = 0; i < n; i++) {
      const ns = await lab.namespace(`h${i + 1}`, { forwarding: true });
      await plug(ns, hostAddr(i), `port${i + 1}`);
      hostNs.push(ns);
      watches.push(new KernelWatch(ns));
    }
    let manifests = poolYaml('pool4', '10.64.0.0/16', BLOCK) + bgpConfigYaml(AS, false);
    const rrNs: Netns[] = [];
    if (reflectors === 'tsroute')
      for (const i of [0, 1])
        manifests += `apiVersion: tsroute.io/v1
kind: Node
metadata:
  name: h${i + 1}
spec:
  bgp:
    ipv4Address: ${hostAddr(i)}
    routeReflectorClusterId: ${CLUSTER_ID}
---
`;
    else {
      for (const [k, address] of BIRD_RR.entries()) {
        const ns = await lab.namespace(`rr${k + 1}`);
        await plug(ns, address, `rrport${k + 1}`);
        rrNs.push(ns);
        manifests += peerYaml(`rr${k + 1}`, { peerIP: address, asNumber: AS });
      }
      for (const [k, ns] of rrNs.entries())
        await Bird.start(lab, ns, {
          routerId: BIRD_RR[k]!,
          as: AS,
          kernel: false,
          clusterId: CLUSTER_ID,
          peers: [
            ...hostNs.map((_, i) => ({
              address: hostAddr(i),
              as: AS,
              localAddress: BIRD_RR[k],
              routeReflectorClient: true,
              holdTime: 90,
              keepalive: 30,
            })),
            { address: BIRD_RR[1 - k]!, as: AS, localAddress: BIRD_RR[k], holdTime: 90, keepalive: 30 },
          ],
          // iBGP next hops resolve against the connected segment
          extraConfig: 'protocol direct { ipv4; }',
        });
    }
    await apply(lab, etcd, manifests);

    // cold start: every agent at once, a container on each as soon as its API answers
    const coldMessages0 = await etcdMessages(etcd);
    const t0 = performance.now();
    const agents: LabAgent[] = [];
    const blocks: string[] = new Array(n);
    const containers: { ns: Netns; address: string }[] = new Array(n);
    await Promise.all(
      hostNs.map(async (ns, i) => {
        const agent = await startAgent(lab, ns, {
          name: `h${i + 1}`,
          etcd,
          bgpAddress: hostAddr(i),
          logLevel: 'warn',
          startTimeoutMs: 900_000,
        });
        agents[i] = agent;
        const cns = await lab.namespace(`c${i + 1}`);
        const ep = await agent.client.addEndpoint({ containerId: `c${i + 1}`, netns: cns.path, interface: 'eth0' });
        const address = ep.addresses[0]!.split('/')[0]!;
        blocks[i] = blockOf(address);
        containers[i] = { ns: cns, address };
      }),
    );
    const missing = () => {
      let count = 0;
      for (let h = 0; h < n; h++) for (let o = 0; o < n; o++) if (o !== h && !watches[h]!.seen.has(blocks[o]!)) count++;
      return count;
    };
    await waitFor('every host to route to every other host’s container', () => missing() === 0, {
      timeoutMs: 900_000,
      intervalMs: 50,
    }).catch((err) => {
      throw new Error(`${(err as Error).message} (${missing()} host/block pairs missing)`);
    });
    const etcdColdPerAgent = ((await etcdMessages(etcd)) - coldMessages0) / n;
    const coldStartS =
      (Math.max(...watches.flatMap((w, h) => blocks.filter((_, o) => o !== h).map((b) => w.seen.get(b)!))) - t0) / 1000;
    // a ring of pings: container i → container i+1 (on the next host)
    let ok = 0;
    for (let i = 0; i < n; i += 8) {
      const batch = containers.slice(i, i + 8).map(async (c, j) => {
        const to = containers[(i + j + 1) % n]!.address;
        return (await c.ns.ping(to, { timeoutS: 2 })) || (await c.ns.ping(to, { timeoutS: 2 }));
      });
      ok += (await Promise.all(batch)).filter(Boolean).length;
    }

    // new blocks, one host at a time, round robin
    const last: number[] = [];
    const each: number[] = [];
    const known = new Set(blocks);
    for (let s = 0, e = 0; last.length < samples; e++) {
      const h = (s * 7 + 3) % n;
      const cns = await lab.namespace(`s${e}`);
      const t = performance.now();
      const ep = await agents[h]!.client.addEndpoint({ containerId: `s${e}`, netns: cns.path, interface: 'eth0' });
      const block = blockOf(ep.addresses[0]!.split('/')[0]!);
      if (known.has(block)) continue; // it fitted the host's open block
      known.add(block);
      s++;
      const others = watches.filter((_, i) => i !== h);
      await waitFor(`${block} in every other host's kernel`, () => others.every((w) => w.seen.has(block)), {
        timeoutMs: 60_000,
        intervalMs: 1,
      });
      const times = others.map((w) => w.seen.get(block)! - t);
      each.push(...times);
      last.push(Math.max(...times));
    }

    await sleep(2000);
    const hostRss = await Promise.all(hostNs.map((ns) => rssKb(ns, ['node'])));
    const rrRss =
      reflectors === 'tsroute' ? hostRss.slice(0, 2) : await Promise.all(rrNs.map((ns) => rssKb(ns, ['bird'])));
    const plain = reflectors === 'tsroute' ? hostRss.slice(2) : hostRss;
    const m0 = await etcdMessages(etcd);
    const r0 = performance.now();
    await sleep(20_000);
    const etcdPerS = ((await etcdMessages(etcd)) - m0) / ((performance.now() - r0) / 1000);
    return {
      reflectors,
      hosts: n,
      coldStartS,
      pings: `${ok}/${n}`,
      allP50: median(last),
      allP99: pct(last, 99),
      eachP50: median(each),
      eachP99: pct(each, 99),
      samples: last.length,
      agentRssMb: [median(plain) / 1024, Math.max(...plain) / 1024],
      reflectorRssMb: rrRss.map((kb) => kb / 1024),
      etcdPerS,
      etcdColdPerAgent,
    };
  } finally {
    await lab.destroy();
  }
}

export async function runFabricBench(): Promise<void> {
  const n = Number(process.env.TSROUTE_BENCH_HOSTS ?? 100);
  const samples = Number(process.env.TSROUTE_BENCH_SAMPLES ?? 40);
  const variants = (process.env.TSROUTE_BENCH_REFLECTORS ?? 'tsroute,bird').split(',') as Reflectors[];
  const results: FabricResult[] = [];
  for (const v of variants) {
    try {
      const r = await runFabric(v, n, samples);
      results.push(r);
      console.log(`  ${v} reflectors: done (${r.coldStartS.toFixed(1)} s cold start)`);
    } catch (err) {
      console.log(`  ${v} reflectors: failed: ${(err as Error).message}`);
    }
  }
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  console.log(`\n  ${n} hosts (tsroute node run each, one container each), one etcd, two route reflectors, mesh off`);
  console.log(
    '  reflectors  cold start → all routes  pings  new block → last host p50/p99  → each host p50/p99  agent RSS median/max  reflector RSS  etcd msgs/s at rest  etcd msgs per agent in the cold start',
  );
  for (const r of results)
    console.log(
      `  ${r.reflectors.padEnd(10)}  ${`${r.coldStartS.toFixed(1)} s`.padStart(22)}  ${r.pings.padStart(5)}  ${`${ms(r.allP50)} / ${ms(r.allP99)}`.padStart(30)}  ${`${ms(r.eachP50)} / ${ms(r.eachP99)}`.padStart(18)}  ${`${r.agentRssMb[0].toFixed(0)} / ${r.agentRssMb[1].toFixed(0)} MB`.padStart(20)}  ${r.reflectorRssMb
        .map((x) => `${x.toFixed(0)}`)
        .join(', ')
        .padStart(10)} MB  ${r.etcdPerS.toFixed(1).padStart(8)}  ${r.etcdColdPerAgent.toFixed(0).padStart(8)}`,
    );
  console.log(
    `  (${results[0]?.samples ?? 0} new-block samples; ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end)`,
  );
  console.log('  targets (issue 14): cold start ≤ 30 s; new block p99 ≤ 200 ms at every host; ≤ 60 MB per agent');
}

if (import.meta.url === `file://${process.argv[1]}`) await runFabricBench();
