// The agent end to end into the kernel, `npm run bench -- agent-fib`: a BIRD generator announces N
// attribute-diverse /24s (groups of K share a set, bench/speaker.ts's generator) to `tsroute node run`
// in a namespace, as the harness runs it (etcd, a BGPPeer, the built CLI), and the clock stops when
// the namespace's kernel holds all N (seen by route notifications, bench/route-watch.ts). Beside it,
// in the same run and interleaved, BIRD doing the same job: the same generator, BIRD in the host
// namespace with `protocol kernel` exporting every BGP route.
//
// Per run: time from `birdc enable` to N routes in the kernel, peak RSS of the receiving process(es)
// and bytes per route ((peak − RSS before) / N), CPU seconds (user + system) they used meanwhile.
// With TSROUTE_BENCH_CYCLES=c, each run then withdraws the table and announces it again c times
// (`birdc disable/enable "orig*"`), and reports the RSS after each withdrawal: is memory given back?
// TSROUTE_BENCH_SIGNAL=SIGUSR2 sends that signal to the receiver once it holds the table, or with
// cycles after the last withdrawal (for a heap snapshot: NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2).
// Env: TSROUTE_BENCH_ROUTES (100000,1000000), TSROUTE_BENCH_K (4), TSROUTE_BENCH_TARGETS
// (tsroute,bird), TSROUTE_BENCH_RUNS (3), TSROUTE_BENCH_CYCLES (0), TSROUTE_BENCH_SIGNAL,
// TSROUTE_BENCH_WATCH (notify below 500k routes, else dump: how the kernel's count is seen).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { RTPROT_BGP } from '../src/dataplane/index.js';
import { startAgent } from '../src/lab/agent.js';
import { type Group, groupLabel, parseGroups } from '../src/lab/attr-table.js';
import { Bird, Lab, type Netns, run, sleep, startEtcd, waitFor } from '../src/lab/index.js';
import { apply, bgpConfigYaml, peerYaml, poolYaml } from '../test/helpers/cluster.js';
import { LearnedRouteWatch } from './route-watch.js';
import { GEN_AS, genAddr, generatorConfig, inAddr, rssOf, type Scenario } from './speaker.js';

type Target = 'tsroute' | 'bird';
const HOST_AS = 64512;
/** The protocol number BIRD's kernel protocol gives the routes it installs (RTPROT_BIRD). */
const RTPROT_BIRD = 12;
const NAMES: Record<Target, string[]> = { tsroute: ['node'], bird: ['bird'] };

interface Result {
  seconds: number;
  peakMb: number;
  bytesPerRoute: number;
  cpuSeconds: number;
  /** RSS (MB) before the table, and after each withdrawal of a TSROUTE_BENCH_CYCLES cycle. */
  cycles?: { baseMb: number; afterWithdrawMb: number[] };
}

/** The processes in `ns` named `names`. */
async function pidsOf(ns: Netns, names: string[]): Promise<number[]> {
  const { stdout } = await run(['ip', 'netns', 'pids', ns.name]);
  return stdout
    .split(/\s+/)
    .filter(Boolean)
    .filter((pid) => {
      try {
        const name = /^Name:\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
        return names.some((n) => name.startsWith(n));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** user + system CPU seconds of the processes in `ns` named `names` (clock ticks of 1/100 s). */
async function cpuOf(ns: Netns, names: string[]): Promise<number> {
  const { stdout } = await run(['ip', 'netns', 'pids', ns.name]);
  let ticks = 0;
  for (const pid of stdout.split(/\s+/).filter(Boolean)) {
    try {
      const name = /^Name:\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
      if (!names.some((n) => name.startsWith(n))) continue;
      // fields after the command's closing parenthesis: state is field 3, utime 14, stime 15
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

async function runOne(target: Target, n: number, k: Group): Promise<Result> {
  const lab = await Lab.create(`fib-${target}`);
  try {
    const gen = await lab.namespace('gen');
    const host = await lab.namespace('host', { forwarding: true });
    await lab.link(gen, `${genAddr(0)}/24`, host, `${inAddr(0)}/24`, { aIf: 'to-host', bIf: 'uplink' });
    const s: Scenario = { peers: 1, routesPerPeer: n, k };
    let established: () => Promise<boolean>;
    if (target === 'tsroute') {
      const etcd = await startEtcd(lab);
      await apply(
        lab,
        etcd,
        poolYaml('pool', '10.64.0.0/16', 26) +
          bgpConfigYaml(HOST_AS, false) +
          peerYaml('gen', { peerIP: genAddr(0), asNumber: GEN_AS(0) }),
      );
      const agent = await startAgent(lab, host, { name: 'host', etcd, bgpAddress: inAddr(0), logLevel: 'info' });
      established = async () => (await agent.status()).peers.some((p) => p.state === 'Established');
    } else {
      const bird = await Bird.start(lab, host, {
        routerId: inAddr(0),
        as: HOST_AS,
        kernel: true,
        peers: [{ address: genAddr(0), as: GEN_AS(0), localAddress: inAddr(0), holdTime: 90, keepalive: 30 }],
      });
      established = async () => (await bird.sessions()).some((p) => p.state === 'Established');
    }
    const generator = await Bird.startWithConfig(
      lab,
      gen,
      { routerId: genAddr(0), as: GEN_AS(0), peers: [] },
      generatorConfig(s, HOST_AS, `${lab.logDir}/bird-gen.log`),
      { startTimeoutMs: 300_000 },
    );
    await waitFor('the generator session', established, { timeoutMs: 60_000, intervalMs: 200 });
    // notifications give the exact end time; from 500k routes up, dumps (see route-watch.ts)
    const notify = (process.env.TSROUTE_BENCH_WATCH ?? (n >= 500_000 ? 'dump' : 'notify')) === 'notify';
    const watch = new LearnedRouteWatch(host, target === 'tsroute' ? RTPROT_BGP : RTPROT_BIRD, notify);
    lab.onDestroy(() => watch.close());
    await sleep(1000);
    const names = NAMES[target];
    const base = await rssOf(host, names);
    const cpu0 = await cpuOf(host, names);
    const t0 = performance.now();
    // BIRD answers `enable` only after it has run a million static routes through their filters
    // (a minute on a loaded machine): not awaited here, the routes flow meanwhile.
    const enabling = generator.ns.exec(['birdc', '-s', generator.socket, 'enable', '"orig*"'], { timeoutMs: 900_000 });
    enabling.catch(() => {});
    let peak = base.hwm;
    let done = false;
    const sampler = (async () => {
      while (!done) {
        // a failed sample is skipped: a rejection left pending here would abort the whole bench
        peak = Math.max(peak, (await rssOf(host, names).catch(() => base)).hwm);
        await sleep(200);
      }
    })();
    const end = await watch.until(n, 600_000).finally(() => {
      done = true;
    });
    await sampler;
    peak = Math.max(peak, (await rssOf(host, names)).hwm);
    const result: Result = {
      seconds: (end - t0) / 1000,
      peakMb: peak / 1024,
      bytesPerRoute: Math.round(((peak - base.rss) * 1024) / n),
      cpuSeconds: (await cpuOf(host, names)) - cpu0,
    };
    const cycles = Number(process.env.TSROUTE_BENCH_CYCLES ?? 0);
    const signal = process.env.TSROUTE_BENCH_SIGNAL;
    const sendSignal = async () => {
      // e.g. SIGUSR2 to an agent started with NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2: the full table's heap
      for (const pid of await pidsOf(host, names)) process.kill(pid, signal as NodeJS.Signals);
      await sleep(20_000);
    };
    // with cycles, the signal comes after the last withdrawal (what is left), else at the full table
    if (signal && !cycles) await sendSignal();
    if (cycles > 0) {
      await enabling;
      watch.dumpsOnly();
      const afterWithdrawMb: number[] = [];
      const birdc = (verb: string) =>
        generator.ns.exec(['birdc', '-s', generator.socket, verb, '"orig*"'], { timeoutMs: 900_000 });
      for (let c = 0; c < cycles; c++) {
        await birdc('disable');
        await watch.untilAtMost(0, 600_000);
        await sleep(3000); // the receiver's collector runs
        afterWithdrawMb.push((await rssOf(host, names)).rss / 1024);
        if (c === cycles - 1) break;
        const filling = birdc('enable');
        filling.catch(() => {});
        await watch.until(n, 600_000);
        await filling;
      }
      result.cycles = { baseMb: base.rss / 1024, afterWithdrawMb };
      if (signal) await sendSignal();
    }
    return result;
  } finally {
    await lab.destroy();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? Number.NaN;
const range = (xs: number[], d = 2) =>
  xs.length > 1 ? ` (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})` : '';

export async function runAgentFibBench(): Promise<void> {
  // A rejection nobody handled is thrown from inside whatever native callback drained the microtask
  // queue — at 1M routes that was the route watcher's netlink socket, which aborted the process with
  // "Error in native callback" and left the lab behind. Say what it was and keep measuring.
  process.on('unhandledRejection', (reason) =>
    console.log(`  (unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)})`),
  );
  const sizes = (process.env.TSROUTE_BENCH_ROUTES ?? '100000,1000000').split(',').map(Number);
  const groups = parseGroups(process.env.TSROUTE_BENCH_K ?? '4');
  const targets = (process.env.TSROUTE_BENCH_TARGETS ?? 'tsroute,bird').split(',') as Target[];
  const runs = Number(process.env.TSROUTE_BENCH_RUNS ?? 3);
  const rows: string[] = [];
  for (const n of sizes)
    for (const k of groups) {
      const results = new Map<Target, Result[]>(targets.map((t) => [t, []]));
      // interleaved: target after target, run after run, so every target sees the same drift
      for (let i = 0; i < runs; i++)
        for (const target of targets) {
          try {
            const r = await runOne(target, n, k);
            results.get(target)!.push(r);
            console.log(
              `  ${target} ${n} ${groupLabel(k)} run ${i + 1}/${runs}: ${r.seconds.toFixed(2)} s, ${r.peakMb.toFixed(0)} MB, ${r.cpuSeconds.toFixed(1)} s CPU`,
            );
            if (r.cycles)
              console.log(
                `    RSS before the table ${r.cycles.baseMb.toFixed(1)} MB; after each withdrawal: ${r.cycles.afterWithdrawMb
                  .map((m) => m.toFixed(1))
                  .join(', ')} MB`,
              );
          } catch (err) {
            console.log(`  ${target} ${n} ${groupLabel(k)} run ${i + 1}: failed: ${(err as Error).message}`);
          }
        }
      const bird = results.get('bird') ?? [];
      for (const target of targets) {
        const rs = results.get(target)!;
        if (!rs.length) {
          rows.push(`  ${`${n} ${groupLabel(k)}`.padEnd(16)} ${target.padEnd(8)} failed`);
          continue;
        }
        const t = rs.map((r) => r.seconds);
        const ratio = bird.length ? (median(t) / median(bird.map((r) => r.seconds))).toFixed(2) : '-';
        const b = rs.map((r) => r.bytesPerRoute);
        const bRatio = bird.length ? (median(b) / median(bird.map((r) => r.bytesPerRoute))).toFixed(2) : '-';
        rows.push(
          `  ${`${n} ${groupLabel(k)}`.padEnd(16)} ${target.padEnd(8)} ${`${median(t).toFixed(2)} s${range(t)}`.padEnd(
            26,
          )} ${ratio.padStart(5)}  ${`${median(rs.map((r) => r.peakMb)).toFixed(0)} MB`.padStart(8)}  ${String(
            median(b),
          ).padStart(9)}  ${bRatio.padStart(5)}  ${`${median(rs.map((r) => r.cpuSeconds)).toFixed(1)} s`.padStart(8)}`,
        );
      }
    }
  console.log(
    `\n  N into the kernel of a namespace (BIRD generator → receiver → kernel), median of ${runs} interleaved runs`,
  );
  console.log(
    `  ${'table'.padEnd(16)} ${'receiver'.padEnd(8)} ${'time (range)'.padEnd(26)} ×BIRD  peak RSS  bytes/route  ×BIRD       CPU`,
  );
  for (const r of rows) console.log(r);
  console.log(
    `  (tsroute: \`tsroute node run\`; bird: BIRD 2 with protocol kernel; ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end)`,
  );
  console.log('  targets (issue 14): ≤ 1.0× BIRD at 100k and 1M, ≤ 150 bytes per learned route');
}

if (import.meta.url === `file://${process.argv[1]}`) await runAgentFibBench();
