// BGP speaker benchmark: BIRD generator → target → BIRD sink, each in its own namespace, with the
// target being tsroute, BIRD 2, GoBGP and FRR in turn — and no target at all (generator → sink), to
// show that the generator and the sink are not the limit.
//
// Every session is Established before the clock starts; then the generator turns its static routes
// on (`birdc enable`), and the clock stops when the sink holds every route. So the time is route
// propagation through the target, not connect delays. Scenarios:
//   - one generator peer announcing N prefixes (TSROUTE_BENCH_ROUTES, default 100000,1000000) where
//     groups of K prefixes share an attribute set (TSROUTE_BENCH_K, default all,4,1,64; "bare" for
//     routes without attributes of their own): bench/attr-table.ts makes the sets, BIRD sends them;
//   - bgperf2's shapes (TSROUTE_BENCH_SHAPES, default 10x100000,50x20000; K from
//     TSROUTE_BENCH_SHAPE_K, default 4): every peer announces the same prefixes with its own paths,
//     one peer's path the shortest. The sink keeps only those winners; the clock runs until it has
//     all of them and the target has taken in every path;
//   - 50 generator peers (one AS each) × 2,000 distinct bare prefixes (TSROUTE_BENCH_FANIN=0 skips
//     it): the target takes in 50 feeds and, as any eBGP speaker does, sends every route to every
//     other peer as well as to the sink.
// For each: the time, the target's peak RSS and bytes per path ((peak − RSS before) / paths), the
// ratios to BIRD in the same run, and for tsroute the worst event-loop lag. TSROUTE_BENCH_TARGETS
// picks targets (none,tsroute,bird,gobgp,frr); TSROUTE_BENCH_RUNS sets how many interleaved runs each
// figure is the median of (5); TSROUTE_BENCH_SEED changes the attribute sets (1).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import {
  type AttrSet,
  attrSetOf,
  birdStatements,
  type Group,
  groupLabel,
  groupOf,
  parseGroups,
} from '../src/lab/attr-table.js';
import { Bird, Frr, Gobgp, Lab, type Netns, type PeerSpec, run, sleep, waitFor } from '../src/lab/index.js';
import { TsrouteNode } from '../test/bgp/interop/tsroute-node.js';

type Target = 'none' | 'tsroute' | 'bird' | 'gobgp' | 'frr';

export interface Scenario {
  peers: number;
  routesPerPeer: number;
  /** Groups of K prefixes share an attribute set (bench/attr-table.ts); undefined: bare routes. */
  k?: Group;
  /** Every peer announces the same prefixes, each with its own paths (bgperf2's shape). */
  shared?: boolean;
}

const T_AS = 65020;
const SINK_AS = 65030;
export const GEN_AS = (i: number) => 65100 + i;
const TARGET_OUT = '10.97.2.1';
const SINK_ADDR = '10.97.2.2';
export const genAddr = (i: number) => `10.97.1.${i + 1}`;
// BIRD will not run two sessions to one neighbour address, so each generator peer has its own
// address on the target's side too.
export const inAddr = (i: number) => `10.97.1.${i + 101}`;
const TIMERS = { holdTime: 90, keepalive: 30 };
const DEADLINE_MS = 600_000;

interface Result {
  target: Target;
  scenario: Scenario;
  seconds: number;
  peakRssMb?: number;
  bytesPerRoute?: number;
  lagMaxMs?: number;
  note?: string;
}

/** Paths the target takes in. */
const total = (s: Scenario) => s.peers * s.routesPerPeer;
/** Routes the sink ends up with: one per prefix. */
const atSink = (s: Scenario) => (s.shared ? s.routesPerPeer : total(s));

/** /24s: peer i gets the i-th run of `routesPerPeer` (all peers the first run when shared). */
function prefixesOf(s: Scenario, peer: number): string[] {
  const out = new Array<string>(s.routesPerPeer);
  for (let j = 0; j < s.routesPerPeer; j++) {
    const i = (s.shared ? 0 : peer) * s.routesPerPeer + j;
    out[j] = `${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`;
  }
  return out;
}

const SEED = Number(process.env.TSROUTE_BENCH_SEED ?? 1);
// On shared prefixes one peer's path is the unique best (the shortest), marked with this community
// so that the sink counts winners only: it holds all N when every winner made it through the target.
const WINNER = '65000:65000';

/** The attributes peer `p` gives its `j`-th prefix (undefined: a bare route). */
function attrsOf(s: Scenario, p: number, j: number): AttrSet | undefined {
  if (s.k === undefined) return undefined;
  const set = attrSetOf(SEED + p * 7919, groupOf(j, s.k));
  if (!s.shared) return set;
  const winner = (s.k === 'all' ? j : groupOf(j, s.k)) % s.peers;
  if (p === winner) return { ...set, asPath: set.asPath.slice(0, 1), communities: [...set.communities, WINNER] };
  // The others stay at least 3 ASNs long; equally long losers are ECMP candidates for each other.
  const asPath = [...set.asPath];
  while (asPath.length < 3) asPath.push(64_512 + asPath.length);
  return { ...set, asPath };
}

/**
 * The generator: one static protocol and one session per peer, the static protocols disabled until
 * the clock starts. It imports nothing, so what the target sends back costs it only the parsing.
 * Attributes go on every static route; one attribute set for a whole table (K=all) goes in the
 * export filter instead, which spares BIRD a million filter blocks to parse.
 */
export function generatorConfig(s: Scenario, neighborAs: number, logFile: string): string {
  const lines = [`log "${logFile}" { error, fatal };`, `router id ${genAddr(0)};`, 'protocol device { scan time 10; }'];
  const inFilter = s.k === 'all' && !s.shared;
  for (let p = 0; p < s.peers; p++) {
    // Shared prefixes: each peer's routes in a table of their own, or BIRD would send only the one
    // static route per prefix that wins in a common table.
    const table = s.shared ? `t${p}` : undefined;
    if (table) lines.push(`ipv4 table ${table};`);
    const channel = table ? `ipv4 { table ${table};` : 'ipv4 {';
    lines.push(`protocol static orig${p} {`, table ? `  ${channel} };` : '  ipv4;', '  disabled;');
    const prefixes = prefixesOf(s, p);
    for (let j = 0; j < prefixes.length; j++) {
      const attrs = inFilter ? undefined : attrsOf(s, p, j);
      lines.push(`  route ${prefixes[j]} blackhole${attrs ? ` { ${birdStatements(attrs)} }` : ''};`);
    }
    lines.push('}');
    const exp = inFilter
      ? `export filter { if proto = "orig${p}" then { ${birdStatements(attrsOf(s, p, 0)!)} accept; } reject; };`
      : s.k === undefined
        ? `export where proto = "orig${p}";`
        : // BIRD sends an eBGP peer a MED only when the export filter set it: set it again there.
          `export filter { if proto = "orig${p}" then { if defined(bgp_med) then bgp_med = bgp_med; accept; } reject; };`;
    lines.push(
      `protocol bgp gen${p} {`,
      `  local ${genAddr(p)} as ${GEN_AS(p)};`,
      `  neighbor ${inAddr(p)} as ${neighborAs};`,
      `  hold time ${TIMERS.holdTime}; keepalive time ${TIMERS.keepalive};`,
      '  connect retry time 1; connect delay time 1; error wait time 1, 5;',
      `  ${channel} import none; ${exp} };`,
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The sink: takes every route from its peers (only winners when `winners`) and keeps it; sends nothing. */
function sinkConfig(
  peers: { address: string; as: number; localAddress: string }[],
  logFile: string,
  winners: boolean,
): string {
  const imp = winners ? `import where (${WINNER.replace(':', ',')}) ~ bgp_community;` : 'import all;';
  const lines = [`log "${logFile}" { error, fatal };`, `router id ${SINK_ADDR};`, 'protocol device { scan time 10; }'];
  for (const [i, p] of peers.entries())
    lines.push(
      `protocol bgp peer${i + 1} {`,
      `  local ${p.localAddress} as ${SINK_AS};`,
      `  neighbor ${p.address} as ${p.as};`,
      `  hold time ${TIMERS.holdTime}; keepalive time ${TIMERS.keepalive};`,
      '  connect retry time 1; connect delay time 1; error wait time 1, 5;',
      `  ipv4 { ${imp} export none; };`,
      '}',
    );
  return `${lines.join('\n')}\n`;
}

/** Peak and current RSS (kB) of the processes in `ns` whose command is one of `names`. */
export async function rssOf(ns: Netns, names: string[]): Promise<{ hwm: number; rss: number }> {
  const { stdout } = await run(['ip', 'netns', 'pids', ns.name]);
  let hwm = 0;
  let rss = 0;
  for (const pid of stdout.split(/\s+/).filter(Boolean)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '';
      if (!names.some((n) => name.startsWith(n))) continue;
      hwm += Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      rss += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return { hwm, rss };
}

/** BIRD's per-protocol counters: [established sessions, routes imported over all of them]. */
async function birdTotals(bird: Bird): Promise<{ established: number; imported: number }> {
  const text = await bird.birdc('show protocols all');
  let established = 0;
  let imported = 0;
  for (const block of text.split(/\n(?=\S)/)) {
    if (/BGP state:\s+Established/.test(block)) established++;
    imported += Number(/Routes:\s+(\d+) imported/.exec(block)?.[1] ?? 0);
  }
  return { established, imported };
}

const PROCESS_NAMES: Record<Target, string[]> = {
  tsroute: ['node'],
  bird: ['bird'],
  gobgp: ['gobgpd'],
  frr: ['bgpd', 'zebra'],
  none: [],
};

interface Started {
  ts?: TsrouteNode;
  /** Paths the target has taken in from its peers so far. */
  received(): Promise<number>;
}

async function startTarget(lab: Lab, target: Target, mid: Netns, peers: PeerSpec[]): Promise<Started> {
  const spec = { routerId: TARGET_OUT, as: T_AS, kernel: false, peers };
  const sum = (xs: { received?: number }[]) => xs.reduce((a, x) => a + (x.received ?? 0), 0);
  if (target === 'tsroute') {
    // TSROUTE_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the speaker process.
    const nodeArgs = (process.env.TSROUTE_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const ts = await TsrouteNode.start(lab, mid, { asn: T_AS, routerId: TARGET_OUT, events: false }, { nodeArgs });
    for (const p of peers)
      await ts.addPeer({
        address: p.address,
        asn: p.as,
        localAddress: p.localAddress,
        families: ['ipv4'],
        ...TIMERS,
        connectRetry: 1,
      });
    const received = async () =>
      ((await ts.call('peers')) as { counters: { prefixesReceived: number } }[]).reduce(
        (a, p) => a + p.counters.prefixesReceived,
        0,
      );
    return { ts, received };
  }
  const router =
    target === 'bird'
      ? await Bird.start(lab, mid, spec)
      : target === 'gobgp'
        ? await Gobgp.start(lab, mid, spec)
        : // bgp no-rib: FRR keeps the routes to itself, as the other targets do (no kernel, no zebra RIB).
          await Frr.start(lab, mid, { ...spec, extraConfig: 'bgp no-rib' });
  return { received: async () => sum(await router.sessions()) };
}

async function runOne(target: Target, s: Scenario): Promise<Result> {
  const n = total(s);
  const lab = await Lab.create(`bench-${target}`);
  try {
    const gen = await lab.namespace('gen');
    const sinkNs = await lab.namespace('sink');
    const gens = Array.from({ length: s.peers }, (_, i) => genAddr(i));
    const ins = Array.from({ length: s.peers }, (_, i) => inAddr(i));
    // Without a target the sink stands where the target would, on the generator's link.
    const mid = target === 'none' ? undefined : await lab.namespace('mid');
    await lab.link(
      gen,
      gens.map((a) => `${a}/24`),
      mid ?? sinkNs,
      ins.map((a) => `${a}/24`),
    );
    if (mid) await lab.link(mid, `${TARGET_OUT}/24`, sinkNs, `${SINK_ADDR}/24`);
    const sinkPeers = mid
      ? [{ address: TARGET_OUT, as: T_AS, localAddress: SINK_ADDR }]
      : gens.map((address, i) => ({ address, as: GEN_AS(i), localAddress: ins[i]! }));
    const sink = await Bird.startWithConfig(
      lab,
      sinkNs,
      { routerId: SINK_ADDR, as: SINK_AS, peers: sinkPeers },
      sinkConfig(sinkPeers, `${lab.logDir}/bird-sink.log`, !!s.shared),
    );
    const started = mid
      ? await startTarget(lab, target, mid, [
          ...gens.map((address, i) => ({ address, as: GEN_AS(i), localAddress: ins[i]!, ...TIMERS })),
          { address: SINK_ADDR, as: SINK_AS, localAddress: TARGET_OUT, ...TIMERS },
        ])
      : undefined;
    const ts = started?.ts;
    // A million routes with attributes take BIRD a minute or more to parse on a loaded machine.
    const generator = await Bird.startWithConfig(
      lab,
      gen,
      { routerId: genAddr(0), as: GEN_AS(0), peers: [] },
      generatorConfig(s, mid ? T_AS : SINK_AS, `${lab.logDir}/bird-gen.log`),
      { startTimeoutMs: 300_000 },
    );
    await waitFor(
      'every session Established',
      async () =>
        (await birdTotals(generator)).established === s.peers &&
        (await birdTotals(sink)).established === sinkPeers.length,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await sleep(500);
    const names = PROCESS_NAMES[target];
    const base = mid ? await rssOf(mid, names) : { hwm: 0, rss: 0 };
    await ts?.call('resetLag');
    const t0 = Date.now();
    // BIRD answers `enable` only after it has run a million static routes through their filters
    // (a minute on a loaded machine): not awaited here, the routes flow meanwhile.
    const enabling = generator.ns.exec(['birdc', '-s', generator.socket, 'enable', '"orig*"'], { timeoutMs: 900_000 });
    enabling.catch(() => {});
    let peak = 0;
    const poll = async (what: string, done: () => Promise<boolean>) => {
      for (;;) {
        if (mid) peak = Math.max(peak, (await rssOf(mid, names)).hwm);
        if (await done()) return;
        if (Date.now() - t0 > DEADLINE_MS) throw new Error(`${what} not in 10 min`);
        await sleep(50);
      }
    };
    await poll(`${atSink(s)} routes at the sink`, async () => (await birdTotals(sink)).imported >= atSink(s));
    // With shared prefixes the winners can be through while losing paths are still queued at the
    // target: the clock runs until the target has taken in every path as well.
    if (s.shared && started) await poll(`${n} paths into the target`, async () => (await started.received()) >= n);
    const result: Result = { target, scenario: s, seconds: (Date.now() - t0) / 1000 };
    if (mid) {
      peak = Math.max(peak, (await rssOf(mid, names)).hwm);
      result.peakRssMb = peak / 1024;
      result.bytesPerRoute = Math.round(((peak - base.rss) * 1024) / n);
    }
    if (ts) result.lagMaxMs = ((await ts.call('stats')) as { lagMaxMs: number }).lagMaxMs;
    if (target === 'none') result.note = 'generator → sink directly';
    if (target === 'frr') result.note = 'bgpd + zebra (bgp no-rib)';
    return result;
  } finally {
    await lab.destroy();
  }
}

const label = (s: Scenario) =>
  `${s.peers === 1 ? `${s.routesPerPeer} routes` : `${s.peers}×${s.routesPerPeer}${s.shared ? ' same' : ''}`}${
    s.k === undefined ? '' : ` ${groupLabel(s.k)}`
  }`;

/** The run with the median time; its range and the worst loop lag of all runs go with it. */
function summarize(runs: Result[]): Result & { range?: [number, number] } {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const lags = runs.map((r) => r.lagMaxMs).filter((x): x is number => x !== undefined);
  return {
    ...median,
    range: runs.length > 1 ? [sorted[0]!.seconds, sorted.at(-1)!.seconds] : undefined,
    lagMaxMs: lags.length ? Math.max(...lags) : undefined,
  };
}

export async function runSpeakerBench(): Promise<void> {
  const sizes = (process.env.TSROUTE_BENCH_ROUTES ?? '100000,1000000').split(',').map(Number);
  const targets = (process.env.TSROUTE_BENCH_TARGETS ?? 'none,tsroute,bird,gobgp,frr').split(',') as Target[];
  // Times on a shared 2-core machine wander by ±20 % from run to run (the generator's start most of
  // all): each figure is the median of several runs.
  const runs = Number(process.env.TSROUTE_BENCH_RUNS ?? 5);
  // K: how many prefixes share an attribute set ("bare": routes with no attributes of their own).
  const groups = (process.env.TSROUTE_BENCH_K ?? 'all,4,1,64')
    .split(',')
    .map((k) => (k.trim() === 'bare' ? undefined : parseGroups(k)[0]));
  const scenarios: Scenario[] = sizes.flatMap((n) => groups.map((k) => ({ peers: 1, routesPerPeer: n, k })));
  // bgperf2's shapes: P peers × N prefixes, the same N from every peer, each with its own paths.
  const shapeK = parseGroups(process.env.TSROUTE_BENCH_SHAPE_K ?? '4')[0];
  const shapes = process.env.TSROUTE_BENCH_SHAPES ?? '10x100000,50x20000';
  for (const shape of shapes === '0' ? [] : shapes.split(',')) {
    const [peers, routesPerPeer] = shape.split('x').map(Number);
    if (!peers || !routesPerPeer) throw new Error(`TSROUTE_BENCH_SHAPES: "${shape}" is not PEERSxPREFIXES`);
    scenarios.push({ peers, routesPerPeer, k: shapeK, shared: true });
  }
  if (process.env.TSROUTE_BENCH_FANIN !== '0') scenarios.push({ peers: 50, routesPerPeer: 2000 });
  const results: ReturnType<typeof summarize>[] = [];
  for (const s of scenarios) {
    // Round robin over the targets, run after run: this machine's speed drifts over minutes (it is
    // a VM with neighbours), and interleaving lets every target see the same drift.
    const done = new Map<Target, Result[]>(targets.map((t) => [t, []]));
    const failed = new Set<Target>();
    for (let i = 0; i < runs; i++)
      for (const target of targets) {
        // GoBGP takes minutes for a million routes: once is enough to see where it stands.
        if (failed.has(target) || (target === 'gobgp' && total(s) >= 1_000_000 && i > 0)) continue;
        try {
          const r = await runOne(target, s);
          done.get(target)!.push(r);
          console.log(`  ${target} ${label(s)} run ${i + 1}/${runs}: ${r.seconds.toFixed(2)} s`);
        } catch (err) {
          console.log(`  ${target} ${label(s)}: failed: ${(err as Error).message}`);
          done.get(target)!.push({
            target,
            scenario: s,
            seconds: Number.NaN,
            note: `failed: ${(err as Error).message.slice(0, 80)}`,
          });
          failed.add(target);
        }
      }
    for (const target of targets) results.push(summarize(done.get(target)!));
  }
  console.log(
    `\n  ${'scenario'.padEnd(24)} ${'target'.padEnd(8)} ${`time (median of ${runs}, range)`.padEnd(28)} ×BIRD  peak RSS  bytes/path  ×BIRD  max loop lag  note`,
  );
  for (const r of results) {
    const bird = results.find((b) => b.target === 'bird' && b.scenario === r.scenario);
    const ratio = (a?: number, b?: number) => (a && b && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}` : '-');
    const time = `${r.seconds.toFixed(2)} s${r.range ? ` (${r.range[0].toFixed(2)}–${r.range[1].toFixed(2)})` : ''}`;
    const rss = r.peakRssMb === undefined ? '-' : `${r.peakRssMb.toFixed(0)} MB`;
    const lag = r.lagMaxMs === undefined ? '-' : `${r.lagMaxMs.toFixed(0)} ms`;
    console.log(
      `  ${label(r.scenario).padEnd(24)} ${r.target.padEnd(8)} ${time.padEnd(28)} ${ratio(r.seconds, bird?.seconds).padStart(5)} ${rss.padStart(
        9,
      )} ${String(r.bytesPerRoute ?? '-').padStart(11)}  ${ratio(r.bytesPerRoute, bird?.bytesPerRoute).padStart(5)} ${lag.padStart(
        13,
      )}  ${r.note ?? ''}`,
    );
  }
  console.log(
    `  (${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end; bytes/path = (peak RSS − RSS before) / paths taken in)`,
  );
  console.log(
    '  targets (issue 14): K=4 at 1M ≤ 1.0× BIRD in time and bytes/path; one attribute set ≤ 1.0× BIRD at 100k, ≤ 0.8× at 1M; 10×100k ≤ 1.0× BIRD',
  );
}
