// The dataplane alone (src/dataplane, no agent, no BGP), printed by `npm run bench -- dataplane`:
//  1. programming N learned routes (default 100,000 /32s via one gateway, then the same with two
//     ECMP next hops) through RouteTable into a fresh namespace, then deleting them, beside
//     `ip -batch` of the same routes into another fresh namespace, in the same run, alternating;
//  2. wiring one endpoint (veth into a new namespace, addresses, routes, neighbour entries,
//     sysctls) through VethWiring, beside the same wiring by hand with `ip`, alternating.
import { writeFileSync } from 'node:fs';
import { RouteTable, RTPROT_BGP, readRoutes, VethWiring } from '../src/dataplane/index.js';
import { NetlinkChannel } from '../src/dataplane/netlink-channel.js';
import { Lab, type Netns, run } from '../src/lab/index.js';
import { wireByHand } from './wire-by-hand.js';

const ROUTES = Number(process.env.BENCH_ROUTES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ENDPOINTS = Number(process.env.BENCH_WIRING ?? 200);
const GATEWAYS = ['10.0.0.1', '10.0.0.3'];

const ms = (n: number) => `${n.toFixed(1)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

/** The same prefixes the agent benchmark announces from BIRD. */
function prefixes(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`10.${128 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`);
  return out;
}

/** A namespace with an uplink on which the gateways are reachable. */
async function routedNamespace(lab: Lab, label: string): Promise<Netns> {
  const ns = await lab.namespace(label);
  const peer = await lab.namespace(`${label}-peer`);
  await lab.link(ns, '10.0.0.2/24', peer, ['10.0.0.1/24', '10.0.0.3/24'], { aIf: 'uplink', bIf: 'gw' });
  return ns;
}

async function countLearned(ns: Netns): Promise<number> {
  const channel = NetlinkChannel.open(ns.path);
  try {
    return (await readRoutes(channel, new Set([RTPROT_BGP]))).length;
  } finally {
    channel.close();
  }
}

async function timeTsroute(lab: Lab, label: string, list: string[], hops: string[]) {
  const ns = await routedNamespace(lab, label);
  const table = new RouteTable({ resyncIntervalMs: 3_600_000, netnsPath: ns.path });
  await table.start();
  const routes = list.map((prefix) => ({ prefix, nextHops: hops }));
  const t0 = performance.now();
  table.setLearned(routes, true);
  await table.flush();
  const addMs = performance.now() - t0;
  const installed = await countLearned(ns);
  const t1 = performance.now();
  table.setLearned([], true);
  await table.flush();
  const delMs = performance.now() - t1;
  await table.stop();
  if (installed !== list.length) throw new Error(`tsroute installed ${installed} of ${list.length} routes`);
  return { addMs, delMs };
}

async function timeIpBatch(lab: Lab, label: string, list: string[], hops: string[]) {
  const ns = await routedNamespace(lab, label);
  const via = hops.length === 1 ? `via ${hops[0]}` : hops.map((h) => `nexthop via ${h}`).join(' ');
  const add = lab.path(`${label}.add`);
  const del = lab.path(`${label}.del`);
  writeFileSync(add, `${list.map((p) => `route add ${p} proto bgp ${via}`).join('\n')}\n`);
  writeFileSync(del, `${list.map((p) => `route del ${p} proto bgp`).join('\n')}\n`);
  const t0 = performance.now();
  await run(['ip', '-n', ns.name, '-batch', add], { timeoutMs: 300_000 });
  const addMs = performance.now() - t0;
  const installed = await countLearned(ns);
  const t1 = performance.now();
  await run(['ip', '-n', ns.name, '-batch', del], { timeoutMs: 300_000 });
  const delMs = performance.now() - t1;
  if (installed !== list.length) throw new Error(`ip -batch installed ${installed} of ${list.length} routes`);
  return { addMs, delMs };
}

async function routeProgramming(): Promise<void> {
  const list = prefixes(ROUTES);
  for (const hops of [GATEWAYS.slice(0, 1), GATEWAYS]) {
    const lab = await Lab.create('bench-dataplane-routes');
    try {
      const ours = { add: [] as number[], del: [] as number[] };
      const ref = { add: [] as number[], del: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        // alternate who goes first: neither side always gets the warmer machine
        const order = round % 2 === 0 ? ['t', 'i'] : ['i', 't'];
        for (const who of order) {
          const r =
            who === 't'
              ? await timeTsroute(lab, `t${round}`, list, hops)
              : await timeIpBatch(lab, `i${round}`, list, hops);
          const into = who === 't' ? ours : ref;
          into.add.push(r.addMs);
          into.del.push(r.delMs);
        }
      }
      const kind = hops.length === 1 ? 'one next hop' : `${hops.length} ECMP next hops`;
      console.log(`programming ${ROUTES} learned /32 routes (${kind}) into a fresh namespace, median of ${ROUNDS}`);
      const row = (what: string, a: number[], b: number[]) =>
        console.log(
          `  ${what}  tsroute RouteTable ${ms(median(a)).padStart(10)}   ip -batch ${ms(median(b)).padStart(10)}   ratio ${(median(a) / median(b)).toFixed(2)}×   (tsroute runs: ${a.map((x) => x.toFixed(0)).join(', ')}; ip: ${b.map((x) => x.toFixed(0)).join(', ')})`,
        );
      row('add   ', ours.add, ref.add);
      row('delete', ours.del, ref.del);
    } finally {
      await lab.destroy();
    }
  }
}

const containerAddress = (i: number) => `10.96.${Math.floor(i / 250)}.${(i % 250) + 1}`;

async function endpointWiring(): Promise<void> {
  const lab = await Lab.create('bench-dataplane-wiring');
  try {
    const host = await lab.namespace('host', { forwarding: true });
    // namespaces are made before the clock runs: creating them is the runtime's work, not ours
    const ours: Netns[] = [];
    const refs: Netns[] = [];
    for (let i = 0; i < ENDPOINTS; i++) {
      ours.push(await lab.namespace(`w${i}`));
      refs.push(await lab.namespace(`r${i}`));
    }
    const veths = new VethWiring({ hostNetnsPath: host.path });
    const tsroute: number[] = [];
    const byHand: number[] = [];
    try {
      for (let i = 0; i < ENDPOINTS; i++) {
        const t0 = performance.now();
        await veths.add({
          hostIfName: `tsr${i.toString(16).padStart(11, '0')}`,
          ifName: 'eth0',
          mac: `02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
          netnsPath: ours[i]!.path,
          addresses: [containerAddress(i)],
        });
        tsroute.push(performance.now() - t0);

        const ns = refs[i]!;
        const addr = containerAddress(i + ENDPOINTS);
        const t1 = performance.now();
        await wireByHand(host, ns, `ref${i}`, addr);
        byHand.push(performance.now() - t1);
      }
    } finally {
      veths.close();
    }
    console.log(
      `endpoint wiring alone (veth into its namespace, address, routes, gateway entry, sysctls), ${ENDPOINTS} endpoints`,
    );
    console.log(
      `  tsroute VethWiring (netlink, no process)   p50 ${ms(pct(tsroute, 50))}  p99 ${ms(pct(tsroute, 99))}`,
    );
    console.log(`  by hand with ip (4 processes)              p50 ${ms(pct(byHand, 50))}  p99 ${ms(pct(byHand, 99))}`);
  } finally {
    await lab.destroy();
  }
}

export async function runDataplaneBench(): Promise<void> {
  await routeProgramming();
  await endpointWiring();
}

if (import.meta.url === `file://${process.argv[1]}`) await runDataplaneBench();
