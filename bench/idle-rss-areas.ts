// Where the agent's idle memory goes, by area: each area is imported (and set up the way the agent sets
// it up) alone in a fresh Node process, after a settled baseline; the figure is the RSS it adds once
// garbage is collected, and how much of that is V8's heap. Areas share dependencies (etcd3 and the
// agent's API both bring @grpc/grpc-js), so the parts add up to more than the whole; the last rows,
// what `tsroute node run` loads, are the whole. Cheap: one short process per area, no namespaces.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p: string) => JSON.stringify(pathToFileURL(join(ROOT, 'dist', p)).href);

/** Each area: a label and the module text that loads it (top-level await allowed). */
export const AREAS: { label: string; code: string }[] = [
  { label: 'commander', code: `await import('commander');` },
  {
    label: 'CLI program, node group only (now)',
    code: `const { buildProgram } = await import(${dist('cli/program.js')}); await buildProgram(['node', 'tsroute', 'node', 'run']);`,
  },
  {
    label: 'CLI program, every group',
    code: `const { buildProgram } = await import(${dist('cli/program.js')}); await buildProgram();`,
  },
  {
    label: 'pino (a logger to stderr)',
    code: `const { createLogger } = await import(${dist('src/agent/logger.js')}); createLogger('info', 'n').info('x');`,
  },
  {
    label: 'prom-client + process defaults',
    code: `const { defaultMetrics } = await import(${dist('src/agent/default-metrics.js')}); await defaultMetrics('tsroute_')();`,
  },
  { label: 'yaml', code: `await import('yaml');` },
  { label: 'etcd3 (+ grpc-js)', code: `await import('etcd3');` },
  {
    label: 'agent API: grpc-js, agent.proto, reflection',
    code: `const { agentProto } = await import(${dist('src/api/load.js')}); await import(${dist('src/api/server.js')}); agentProto();`,
  },
  { label: 'bgp/ (the speaker)', code: `await import(${dist('bgp/index.js')});` },
  { label: 'src/dataplane (netlink)', code: `await import(${dist('src/dataplane/index.js')});` },
  { label: 'src/lab', code: `await import(${dist('src/lab/index.js')});` },
  { label: 'src/fabric-view', code: `await import(${dist('src/fabric-view/index.js')});` },
  {
    label: 'node run: run.js and all it imports',
    code: `await import(${dist('cli/program.js')}).then((m) => m.buildProgram(['node', 'tsroute', 'node', 'run'])); await import(${dist('src/agent/run.js')});`,
  },
];

const PROBE = (code: string) => `
import { readFileSync } from 'node:fs';
const settle = async () => { for (let i = 0; i < 4; i++) { gc(); await new Promise((r) => setTimeout(r, 50)); } };
const kb = (k) => Number(new RegExp('^' + k + ':\\\\s+(\\\\d+)', 'm').exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1] ?? 0);
const take = () => ({ rss: kb('Rss'), anon: kb('Anonymous'), heap: process.memoryUsage().heapUsed / 1024 });
await settle();
const before = take();
${code}
await settle();
const after = take();
process.stdout.write(JSON.stringify({ base: before.rss, rss: after.rss - before.rss, anon: after.anon - before.anon, heap: after.heap - before.heap }));
process.exit(0);
`;

export interface AreaCost {
  label: string;
  /** KB each, over the settled bare process. */
  rss: number;
  anon: number;
  heap: number;
  /** RSS of the bare process (KB). */
  base: number;
}

export function measureArea(code: string): Omit<AreaCost, 'label'> {
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', PROBE(code)], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`area probe failed: ${r.stderr.split('\n').slice(0, 3).join(' ')}`);
  return JSON.parse(r.stdout);
}

/** Median per area over `runs` interleaved rounds. */
export function measureAreas(runs: number): AreaCost[] {
  const all = AREAS.map(() => [] as Omit<AreaCost, 'label'>[]);
  for (let i = 0; i < runs; i++) for (const [k, a] of AREAS.entries()) all[k]!.push(measureArea(a.code));
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  return AREAS.map((a, k) => ({
    label: a.label,
    rss: med(all[k]!.map((x) => x.rss)),
    anon: med(all[k]!.map((x) => x.anon)),
    heap: med(all[k]!.map((x) => x.heap)),
    base: med(all[k]!.map((x) => x.base)),
  }));
}

export function printAreas(costs: AreaCost[], runs: number): void {
  const mb = (kb: number) => `${(kb / 1024).toFixed(1)}`.padStart(6);
  console.log(
    `\n  by area: RSS each adds to a bare Node (${mb(costs[0]?.base ?? 0).trim()} MB), alone, median of ${runs}`,
  );
  console.log(`  ${'area'.padEnd(44)} ${'RSS MB'.padStart(6)} ${'anon'.padStart(6)} ${'V8 heap'.padStart(7)}`);
  for (const c of costs) console.log(`  ${c.label.padEnd(44)} ${mb(c.rss)} ${mb(c.anon)} ${mb(c.heap).padStart(7)}`);
}
