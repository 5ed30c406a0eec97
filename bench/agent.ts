// The node agent end to end (issue: node agent benchmarks), printed by `npm run bench`:
//  1. endpoint add latency, API call → container reachable (a ping from the host answers), p50/p99
//     over N endpoints on one host, beside the same wiring done by hand with `ip` for reference;
//  2. cross-host convergence: AddEndpoint on host A that needs a new block → the block's route in
//     host B's kernel, p50/p99;
//  3. programming learned routes: a BIRD peer announces N prefixes, time until all are in the
//     agent's kernel table, beside `ip -batch` installing the same N routes in a fresh namespace.
import { writeFileSync } from 'node:fs';
import { startAgent } from '../src/lab/agent.js';
import { Bird, Lab, run, startEtcd, waitFor } from '../src/lab/index.js';
import { allSessionsUp, apply, bgpConfigYaml, meshCluster, peerYaml, poolYaml } from '../test/helpers/cluster.js';

const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 500);
const CONVERGENCE_SAMPLES = Number(process.env.BENCH_CONVERGENCE ?? 40);
const ROUTES = Number(process.env.BENCH_ROUTES ?? 100_000);

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
    const samples: number[] = [];
    for (let i = 0; i < ENDPOINTS; i++) {
      const ns = await lab.namespace(`e${i}`);
      const t0 = performance.now();
      const ep = await host.agent.client.addEndpoint({ containerId: `e${i}`, netns: ns.path });
      const addr = ep.addresses[0]!.split('/')[0]!;
      await waitFor(`e${i} reachable`, () => host.ns.ping(addr, { timeoutS: 1 }), { intervalMs: 1 });
      samples.push(performance.now() - t0);
    }
    // reference: the same wiring by hand with ip, in one batch per endpoint
    const ref: number[] = [];
    for (let i = 0; i < Math.min(100, ENDPOINTS); i++) {
      const ns = await lab.namespace(`r${i}`);
      const addr = `10.99.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      const t0 = performance.now();
      await run([
        'ip',
        '-n',
        host.ns.name,
        'link',
        'add',
        `ref${i}`,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        ns.name,
      ]);
      await run(['ip', '-n', ns.name, '-batch', '-'], {
        input: `addr add ${addr}/32 dev eth0\nlink set eth0 up\nroute add 169.254.1.1 dev eth0 scope link\nneigh replace 169.254.1.1 lladdr ee:ee:ee:ee:ee:ee dev eth0 nud permanent\nroute add default via 169.254.1.1 dev eth0\n`,
      });
      await run(['ip', '-n', host.ns.name, '-batch', '-'], {
        input: `link set ref${i} address ee:ee:ee:ee:ee:ee\nlink set ref${i} up\nroute add ${addr}/32 dev ref${i} scope link\n`,
      });
      await host.ns.sysctl(`net.ipv4.conf.ref${i}.proxy_arp`, 1);
      await waitFor(`ref${i} reachable`, () => host.ns.ping(addr, { timeoutS: 1 }), { intervalMs: 1 });
      ref.push(performance.now() - t0);
    }
    console.log(`endpoint add → reachable, ${ENDPOINTS} endpoints on one host`);
    console.log(
      `  tsroute agent (API call, IPAM in etcd, veth, routes, record)  p50 ${ms(pct(samples, 50))}  p99 ${ms(pct(samples, 99))}`,
    );
    console.log(
      `  by hand with ip (veth, address, routes; no IPAM, no etcd)     p50 ${ms(pct(ref, 50))}  p99 ${ms(pct(ref, 99))}`,
    );
    console.log('  targets: p50 ≤ 15 ms, p99 ≤ 50 ms');
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
    const samples: number[] = [];
    for (let i = 0; samples.length < CONVERGENCE_SAMPLES; i++) {
      const ns = await lab.namespace(`c${i}`);
      const before = new Set((await a.agent.status()).blocks.map((x) => x.cidr));
      const t0 = performance.now();
      await a.agent.client.addEndpoint({ containerId: `c${i}`, netns: ns.path });
      const after = (await a.agent.status()).blocks.map((x) => x.cidr).filter((c) => !before.has(c));
      if (after.length === 0) continue; // this one fitted in an existing block
      const block = after[0]!;
      await waitFor(
        `${block} at B`,
        async () =>
          (await b.ns.routes(4)).some(
            (r) => r.dst === block || (r.dst.includes('/') && block.startsWith(r.dst.split('/')[0]!)),
          ),
        {
          intervalMs: 2,
          timeoutMs: 10_000,
        },
      );
      samples.push(performance.now() - t0);
    }
    console.log(
      `cross-host convergence: AddEndpoint on A needing a new block → route in B's kernel (${samples.length} samples)`,
    );
    console.log(`  p50 ${ms(pct(samples, 50))}  p99 ${ms(pct(samples, 99))}  (target p99 ≤ 100 ms)`);
  } finally {
    await lab.destroy();
  }
}

function prefixes(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`10.${128 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`);
  return out;
}

async function routeProgramming(): Promise<void> {
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
    const list = prefixes(ROUTES);
    const agent = await startAgent(lab, host, { name: 'host', etcd, bgpAddress: '10.0.0.2', logLevel: 'info' });
    const t0 = performance.now();
    await Bird.start(lab, peer, {
      routerId: '10.0.0.1',
      as: 65000,
      kernel: false,
      peers: [{ address: '10.0.0.2', as: 64512, localAddress: '10.0.0.1' }],
      originate: list,
    });
    let first = 0;
    await waitFor(
      `${ROUTES} routes in the agent's kernel`,
      async () => {
        const { stdout } = await run(['ip', '-n', host.name, 'route', 'show', 'proto', 'bgp']);
        const n = stdout.split('\n').length - 1;
        if (n > 0 && !first) first = performance.now();
        return n >= ROUTES;
      },
      { timeoutMs: 300_000, intervalMs: 250 },
    );
    const agentMs = performance.now() - t0;
    const done = performance.now();
    const status = await agent.status();
    const fresh = await lab.namespace('ref', { forwarding: true });
    await lab.link(fresh, '10.0.0.1/24', await lab.namespace('ref-peer'), '10.0.0.2/24', { aIf: 'uplink', bIf: 'x' });
    const file = lab.path('routes.batch');
    writeFileSync(file, `${list.map((p) => `route add ${p} via 10.0.0.2 proto bgp`).join('\n')}\n`);
    const t1 = performance.now();
    await run(['ip', '-n', fresh.name, '-batch', file], { timeoutMs: 300_000 });
    const ipMs = performance.now() - t1;
    console.log(`programming ${ROUTES} learned routes into the kernel`);
    const programMs = done - first;
    console.log(`  tsroute, BIRD start → all in the kernel (BIRD start, session, BGP, kernel)  ${ms(agentMs)}`);
    console.log(`  tsroute, first route in the kernel → all in the kernel                       ${ms(programMs)}`);
    console.log(`  ip -batch of the same routes into a fresh namespace                          ${ms(ipMs)}`);
    console.log(
      `  ratio (first → all) / ip -batch: ${(programMs / ipMs).toFixed(2)}× (target ≤ 1.5×); agent owns ${status.kernelRouteCount} routes`,
    );
  } finally {
    await lab.destroy();
  }
}

export async function runAgentBench(): Promise<void> {
  await endpointLatency();
  await convergence();
  await routeProgramming();
}

if (import.meta.url === `file://${process.argv[1]}`) await runAgentBench();
