// Idle memory, `npm run bench -- idle-rss`: a host namespace with three BIRD peers on its segment
// (one session each, no routes), and in the host in turn: `tsroute node run` (etcd, three BGPPeers,
// as the harness runs it), a bare tsroute speaker (the built bgp/ module in a plain Node process, the
// three peers added), BIRD 2 (with its kernel protocol), GoBGP and FRR (bgpd + zebra). Once all three
// sessions are Established and a settle time has passed, the RSS of the target's processes; for the
// agent also what that RSS is made of (/proc/PID/smaps_rollup: file-backed pages, i.e. the node binary
// and libraries, against anonymous memory; and V8's heap from a Node diagnostic report), and after the
// runs, the RSS each area of the code adds alone (idle-rss-areas.ts).
// Env: TSROUTE_BENCH_TARGETS (agent,speaker,bird,gobgp,frr), TSROUTE_BENCH_RUNS (3),
// TSROUTE_BENCH_SETTLE_S (10), TSROUTE_BENCH_AREAS (1: print the by-area table, 0: not).
// TSROUTE_BENCH_AGENTS compares agents in the same interleaved runs, `;`-separated `label=node args`:
// e.g. `new=dist/cli/main.js;old=/tmp/old/dist/cli/main.js;semi1=--max-semi-space-size=1 dist/cli/main.js`
// (the last word is the CLI, a relative path is from the repository; leading NAME=value words are its
// environment, e.g. `arena2=MALLOC_ARENA_MAX=2 dist/cli/main.js`). Default: the agent as installed,
// `agent=MALLOC_ARENA_MAX=2 --max-semi-space-size=2 dist/cli/main.js`.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bird, Frr, Gobgp, Lab, type Netns, sleep, startEtcd, waitFor } from '../src/lab/index.js';
import { apply, bgpConfigYaml, peerYaml, poolYaml } from '../test/helpers/cluster.js';
import { measureAreas, printAreas } from './idle-rss-areas.js';
import { rssOf } from './speaker.js';

type Target = 'agent' | 'speaker' | 'bird' | 'gobgp' | 'frr';
/** One agent build and its Node flags, as in TSROUTE_BENCH_AGENTS. */
interface AgentVariant {
  label: string;
  /** Leading `NAME=value` words: the agent's environment (MALLOC_ARENA_MAX=2, NODE_OPTIONS=…). */
  env: Record<string, string>;
  nodeArgs: string[];
  cli: string;
}
/** What one agent's RSS is made of (KB), taken the moment its RSS was. */
interface Breakdown {
  file: number;
  anon: number;
  heapCommitted?: number;
  heapUsed?: number;
}
const HOST = '10.0.0.1';
const AS = 64512;
const PEERS = [11, 12, 13].map((i, k) => ({ address: `10.0.0.${i}`, as: 65001 + k }));
const NAMES: Record<Target, string[]> = {
  agent: ['node'],
  speaker: ['node'],
  bird: ['bird'],
  gobgp: ['gobgpd'],
  frr: ['bgpd', 'zebra'],
};
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST_BGP = join(ROOT, 'dist', 'bgp', 'index.js');

/** The agent's Node settings as packaging/tsroute-node.service and src/lab/agent.ts give them. */
const INSTALLED = 'MALLOC_ARENA_MAX=2 --max-semi-space-size=2';

function agentVariants(): AgentVariant[] {
  const spec = process.env.TSROUTE_BENCH_AGENTS ?? `agent=${INSTALLED} dist/cli/main.js`;
  return spec
    .split(';')
    .filter((e) => e.trim())
    .map((entry) => {
      const [label, args] = entry.split(/=(.*)/s) as [string, string | undefined];
      const words = (args ?? '').trim().split(/\s+/).filter(Boolean);
      const cli = words.pop();
      if (!cli) throw new Error(`TSROUTE_BENCH_AGENTS: "${entry}" names no CLI`);
      const env: Record<string, string> = {};
      while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) {
        const [k, v] = words.shift()!.split(/=(.*)/s) as [string, string];
        env[k] = v;
      }
      return { label: label.trim(), env, nodeArgs: words, cli: isAbsolute(cli) ? cli : join(ROOT, cli) };
    });
}

/** smaps_rollup of `pid`, and V8's heap from a diagnostic report it writes on SIGUSR2 (--report-on-signal). */
async function breakdownOf(pid: number, reportDir: string): Promise<Breakdown> {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0);
  const out: Breakdown = { file: kb('Rss') - kb('Anonymous'), anon: kb('Anonymous') };
  process.kill(pid, 'SIGUSR2');
  // polled until the report parses: it appears before it is fully written
  const heap = await waitFor(
    "the agent's diagnostic report",
    async () => {
      const file = readdirSync(reportDir).find((f) => f.startsWith('report.') && f.endsWith('.json'));
      try {
        return file ? JSON.parse(readFileSync(join(reportDir, file), 'utf8')).javascriptHeap : undefined;
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  ).catch(() => undefined);
  if (heap) {
    out.heapCommitted = heap.totalCommittedMemory / 1024;
    out.heapUsed = heap.usedMemory / 1024;
  }
  return out;
}

/** A bare speaker: the built bgp/ module and three peers, nothing else loaded. */
function bareSpeakerScript(): string {
  const peers = PEERS.map((p) => `{ address: '${p.address}', asn: ${p.as}, localAddress: '${HOST}', connectRetry: 1 }`);
  return `import { BgpSpeaker } from ${JSON.stringify(DIST_BGP)};
const speaker = new BgpSpeaker({ asn: ${AS}, routerId: '${HOST}', listen: { address: '${HOST}', port: 179 } });
for (const p of [${peers.join(', ')}]) speaker.addPeer(p);
await speaker.start();
process.on('SIGTERM', () => speaker.stop().then(() => process.exit(0)));
`;
}

async function runOne(
  target: Target,
  settleS: number,
  variant?: AgentVariant,
): Promise<{ mb: number; breakdown?: Breakdown }> {
  const lab = await Lab.create(`idle-${target}`);
  try {
    const sw = await lab.namespace('switch');
    const bridge = await lab.bridge(sw, 'br0');
    const plug = async (label: string, address: string): Promise<Netns> => {
      const ns = await lab.namespace(label);
      await lab.link(sw, [], ns, `${address}/24`, { aIf: `port-${label}`, bIf: 'eth0' });
      await sw.ip('link', 'set', `port-${label}`, 'master', bridge);
      return ns;
    };
    const host = await plug('host', HOST);
    const peers = await Promise.all(
      PEERS.map(async (p, k) =>
        Bird.start(lab, await plug(`peer${k + 1}`, p.address), {
          routerId: p.address,
          as: p.as,
          kernel: false,
          peers: [{ address: HOST, as: AS, localAddress: p.address, holdTime: 90, keepalive: 30 }],
        }),
      ),
    );
    const spec = {
      routerId: HOST,
      as: AS,
      peers: PEERS.map((p) => ({ ...p, localAddress: HOST, holdTime: 90, keepalive: 30 })),
    };
    let agent: ReturnType<Netns['spawn']> | undefined;
    if (target === 'agent') {
      const etcd = await startEtcd(lab);
      await apply(
        lab,
        etcd,
        poolYaml('pool', '10.64.0.0/16', 26) +
          bgpConfigYaml(AS, false) +
          PEERS.map((p, k) => peerYaml(`peer${k + 1}`, { peerIP: p.address, asNumber: p.as })).join(''),
      );
      // as an operator runs it (default resync and log level), with a report on SIGUSR2 for the heap
      agent = host.spawn(
        'agent',
        [
          process.execPath,
          ...variant!.nodeArgs,
          '--report-on-signal',
          '--report-compact',
          `--report-directory=${lab.path('report')}`,
          variant!.cli,
          'node',
          'run',
          '--name',
          'host',
          '--etcd-endpoints',
          etcd.socketEndpoint,
          '--api-socket',
          lab.path('agent.sock'),
          '--bgp-address',
          HOST,
        ],
        { ...process.env, ...variant!.env },
      );
    } else if (target === 'speaker') {
      const file = lab.path('bare-speaker.mjs');
      writeFileSync(file, bareSpeakerScript());
      host.spawn('speaker', [process.execPath, file]);
    } else if (target === 'bird') await Bird.start(lab, host, { ...spec, kernel: true });
    else if (target === 'gobgp') await Gobgp.start(lab, host, spec);
    else await Frr.start(lab, host, spec);
    await waitFor(
      'three sessions Established',
      async () => {
        agent?.assertRunning();
        for (const p of peers) if (!(await p.sessions()).every((s) => s.state === 'Established')) return false;
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    await sleep(settleS * 1000);
    const mb = (await rssOf(host, NAMES[target])).rss / 1024;
    if (!agent) return { mb };
    mkdirSync(lab.path('report'), { recursive: true });
    return { mb, breakdown: await breakdownOf(agent.pid, lab.path('report')) };
  } finally {
    await lab.destroy();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const range = (xs: number[]) => (xs.length > 1 ? ` (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})` : '');

export async function runIdleRssBench(): Promise<void> {
  const targets = (process.env.TSROUTE_BENCH_TARGETS ?? 'agent,speaker,bird,gobgp,frr').split(',') as Target[];
  const runs = Number(process.env.TSROUTE_BENCH_RUNS ?? 3);
  const settleS = Number(process.env.TSROUTE_BENCH_SETTLE_S ?? 10);
  const variants = agentVariants();
  const label: Record<Target, string> = {
    agent: 'tsroute node run',
    speaker: 'bare tsroute speaker',
    bird: 'BIRD 2 (+ kernel protocol)',
    gobgp: 'GoBGP (gobgpd)',
    frr: 'FRR (bgpd + zebra)',
  };
  // every agent variant is its own row, run in turn with the others
  const rows = targets.flatMap((t): { target: Target; variant?: AgentVariant; name: string }[] =>
    t === 'agent'
      ? variants.map((v) => ({
          target: t,
          variant: v,
          name: variants.length > 1 ? `${label.agent} [${v.label}]` : label.agent,
        }))
      : [{ target: t, variant: undefined, name: label[t] }],
  );
  const results = rows.map(() => [] as { mb: number; breakdown?: Breakdown }[]);
  const loads: number[] = [];
  for (let i = 0; i < runs; i++)
    for (const [k, row] of rows.entries()) {
      try {
        const r = await runOne(row.target, settleS, row.variant);
        results[k]!.push(r);
        loads.push(os.loadavg()[0]!);
        console.log(`  ${row.name} run ${i + 1}/${runs}: ${r.mb.toFixed(1)} MB (load ${os.loadavg()[0]!.toFixed(1)})`);
      } catch (err) {
        console.log(`  ${row.name} run ${i + 1}: failed: ${(err as Error).message}`);
      }
    }
  console.log(`\n  idle RSS with three Established peers, ${settleS} s after they came up (median of ${runs}, range)`);
  for (const [k, row] of rows.entries()) {
    const xs = results[k]!.map((r) => r.mb);
    const med = median(xs);
    console.log(`  ${row.name.padEnd(34)} ${med === undefined ? 'failed' : `${med.toFixed(1)} MB`}${range(xs)}`);
  }
  const withBreakdown = rows.flatMap((row, k) => (row.target === 'agent' ? [{ row, rs: results[k]! }] : []));
  if (withBreakdown.length) {
    console.log(
      "\n  the agent's RSS, median MB: file-backed (node binary, libraries) + anonymous; V8 heap committed / used",
    );
    for (const { row, rs } of withBreakdown) {
      const m = (f: (b: Breakdown) => number | undefined) => {
        const xs = rs.flatMap((r) => (r.breakdown && f(r.breakdown) !== undefined ? [f(r.breakdown)! / 1024] : []));
        return xs.length ? median(xs)!.toFixed(1) : '?';
      };
      console.log(
        `  ${row.name.padEnd(34)} file ${m((b) => b.file)} + anon ${m((b) => b.anon)}; heap ${m((b) => b.heapCommitted)} / ${m((b) => b.heapUsed)}`,
      );
    }
  }
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(
    `  (${os.cpus().length} cores, load during the runs ${loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` : '?'}, now ${load}; target (issue 14): agent idle RSS ≤ 60 MB)`,
  );
  if (process.env.TSROUTE_BENCH_AREAS !== '0') {
    const areaRuns = Math.max(1, Math.min(runs, 3));
    printAreas(measureAreas(areaRuns), areaRuns);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runIdleRssBench();
