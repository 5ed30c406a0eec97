// The four topologies, brought up with `tsroute lab up` exactly as a user would (the lab is held by a
// background process), checked with `lab status` / `lab exec`, and removed with `lab down`, which
// must leave no namespace and no process behind.
import { existsSync, readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { type CliResult, tsroute } from '../../src/lab/agent.js';
import { isAlive } from '../../src/lab/daemon.js';
import { run } from '../../src/lab/index.js';
import type { LabState } from '../../src/lab/lab-runner.js';
import { labFor } from '../helpers/lab.js';

const file = (name: string) => `topology/${name}/${name}.clab.yml`;

async function namespaces(): Promise<string[]> {
  return (await run(['ip', 'netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!);
}

/** Brings `name` up under `stateDir`; registers `lab down` as teardown so a failure leaves nothing. */
async function up(
  t: ExecutionContext,
  name: string,
  env: NodeJS.ProcessEnv,
): Promise<{ res: CliResult; state: LabState }> {
  t.teardown(async () => {
    await tsroute(['lab', 'down', file(name)], { env });
  });
  const res = await tsroute(['lab', 'up', file(name)], { env });
  const state = JSON.parse(readFileSync(`${env.TSROUTE_LAB_STATE_DIR}/${name}/state.json`, 'utf8')) as LabState;
  return { res, state };
}

async function down(t: ExecutionContext, name: string, env: NodeJS.ProcessEnv, state: LabState) {
  const res = await tsroute(['lab', 'down', file(name)], { env });
  t.is(res.code, 0, res.stderr);
  t.false(isAlive(state.pid), `the ${name} lab process is gone`);
  const left = (await namespaces()).filter(
    (n) => Object.values(state.namespaces).includes(n) || state.containers.some((c) => c.ns === n),
  );
  t.deepEqual(left, [], `no namespace of ${name} is left`);
  t.false(existsSync(`${env.TSROUTE_LAB_STATE_DIR}/${name}`));
}

test('quickstart and mesh run at once; each passes its reachability matrix; down leaves nothing', async (t) => {
  const lab = await labFor(t);
  const env = { TSROUTE_LAB_STATE_DIR: lab.path('state') };
  const [q, m] = await Promise.all([up(t, 'quickstart', env), up(t, 'mesh', env)]);
  for (const [name, r] of [
    ['quickstart', q],
    ['mesh', m],
  ] as const) {
    t.is(r.res.code, 0, `${name}: ${r.res.stderr}${r.res.stdout}`);
    t.regex(r.res.stdout, /PASS: all \d+ container pairs reach each other/);
  }
  t.is(q.state.containers.length, 6);
  t.is(m.state.containers.length, 8);
  // the two labs share nothing
  t.deepEqual(
    Object.values(q.state.namespaces).filter((n) => Object.values(m.state.namespaces).includes(n)),
    [],
  );

  const status = await tsroute(['lab', 'status', file('quickstart')], { env });
  t.is(status.code, 0, status.stderr);
  t.regex(status.stdout, /10\.0\.1\.1\s+65000\s+node\s+Established/);
  t.regex(status.stdout, /PASS/);
  const exec = await tsroute(['lab', 'exec', file('mesh'), 'h1', '--', 'ip', 'route'], { env });
  t.is(exec.code, 0, exec.stderr);
  await down(t, 'quickstart', env, q.state);
  await down(t, 'mesh', env, m.state);
});

test('route-reflectors: six hosts, two reflectors; every pair reaches each other; clients have two sessions', async (t) => {
  const lab = await labFor(t);
  const env = { TSROUTE_LAB_STATE_DIR: lab.path('state') };
  const { res, state } = await up(t, 'route-reflectors', env);
  t.is(res.code, 0, `${res.stderr}${res.stdout}`);
  t.regex(res.stdout, /PASS: all 132 container pairs reach each other/);
  const status = await tsroute(['lab', 'status', file('route-reflectors')], { env });
  // h3 (a client) peers only with the two reflectors
  const h3 = status.stdout.split('== ').find((s) => s.startsWith('h3'))!;
  t.is((h3.match(/reflector\s+Established/g) ?? []).length, 2, h3);
  await down(t, 'route-reflectors', env, state);
});

test('leaf-spine: BIRD and FRR leaves, ECMP over both spines, every pair reaches each other', async (t) => {
  const lab = await labFor(t);
  const env = { TSROUTE_LAB_STATE_DIR: lab.path('state') };
  const { res, state } = await up(t, 'leaf-spine', env);
  t.is(res.code, 0, `${res.stderr}${res.stdout}`);
  t.regex(res.stdout, /PASS: all 12 container pairs reach each other/);
  for (const leaf of ['leaf1', 'leaf2']) {
    const routes = await tsroute(['lab', 'exec', file('leaf-spine'), leaf, '--', 'ip', 'route'], { env });
    // the other leaf's host blocks: one route, two next hops (one per spine)
    t.true((routes.stdout.match(/nexthop via 10\.[12]\.1[12]\.1/g) ?? []).length >= 4, `${leaf}:\n${routes.stdout}`);
  }
  await down(t, 'leaf-spine', env, state);
});

test('a bad topology file is one clear line', async (t) => {
  const lab = await labFor(t);
  const env = { TSROUTE_LAB_STATE_DIR: lab.path('state') };
  const missing = await tsroute(['lab', 'up', 'topology/nope/nope.clab.yml'], { env });
  t.is(missing.code, 1);
  t.regex(missing.stderr.trim(), /^tsroute: topology\/nope\/nope\.clab\.yml: ENOENT/);
  const notUp = await tsroute(['lab', 'status', file('mesh')], { env });
  t.is(notUp.code, 1);
  t.regex(notUp.stderr, /lab "mesh" is not up/);
});
