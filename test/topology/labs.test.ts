// The five topologies, brought up with `tsroute lab up` exactly as a user would (the lab is held by a
// background process), checked with `lab status` / `lab exec`, and removed with `lab down`, which
// must leave no namespace and no process behind, and keep the logs until `lab down --purge`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
  flags: string[] = [],
): Promise<{ res: CliResult; state: LabState }> {
  t.teardown(async () => {
    await tsroute(['lab', 'down', '--purge', file(name)], { env });
  });
  // `lab up` waits up to 180 s for its lab (agents start slowly on a loaded machine)
  const res = await tsroute(['lab', 'up', ...flags, file(name)], { env, timeoutMs: 240_000 });
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
  // the logs stay (a copy of the live folder, now the lab's temp folder is gone) until --purge
  const dir = `${env.TSROUTE_LAB_STATE_DIR}/${name}`;
  t.regex(res.stdout, new RegExp(`its logs stay in ${dir}`));
  t.false(existsSync(`${dir}/state.json`));
  const logs = readdirSync(`${dir}/logs`);
  t.true(logs.includes(`${state.hosts[0]!.name}-agent-${state.hosts[0]!.name}.log`), logs.join(' '));
  t.regex(readFileSync(`${dir}/logs/etcd.log`, 'utf8'), /etcd/);
  const purge = await tsroute(['lab', 'down', '--purge', file(name)], { env });
  t.is(purge.code, 0, purge.stderr);
  t.false(existsSync(dir));
}

test('quickstart and mesh run at once; each passes its reachability matrix; down leaves nothing', async (t) => {
  t.timeout(600_000, 'two labs up at once on a loaded machine, then status, exec and down');
  const lab = await labFor(t);
  const env = { TSROUTE_LAB_STATE_DIR: lab.path('state') };
  // --no-hint is what the demo passes unless --keep: it takes the lab down itself
  const [q, m] = await Promise.all([up(t, 'quickstart', env), up(t, 'mesh', env, ['--no-hint'])]);
  t.regex(q.res.stdout, /Look around:[\s\S]*h1 -- tsroute node status/);
  t.notRegex(m.res.stdout, /Look around/);
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

  const svg = lab.path('quickstart.svg');
  const status = await tsroute(['lab', 'status', file('quickstart'), '--svg', svg], { env });
  t.is(status.code, 0, status.stderr);
  // the picture: the FRR ToR by its lab name (its three addresses), three hosts with their blocks,
  // three Established lines that both ends (agent and FRR) report
  t.regex(status.stdout, new RegExp(`picture: ${svg} \\(4 nodes, 3 sessions`));
  const picture = readFileSync(svg, 'utf8');
  const boxes = [...picture.matchAll(/<g class="fabric-node" data-node="([^"]+)" data-kind="(\w+)"/g)];
  t.deepEqual(boxes.map((m) => `${m[1]} ${m[2]}`).sort(), ['h1 host', 'h2 host', 'h3 host', 'tor router']);
  const lines = [
    ...picture.matchAll(
      /<path class="fabric-session"[^>]*data-session-a="(\w+)" data-session-b="(\w+)" data-session-state="(\w+)"[^>]*><title>([^<]*)</g,
    ),
  ];
  t.deepEqual(lines.map((m) => `${[m[1], m[2]].sort().join('-')} ${m[3]}`).sort(), [
    'h1-tor Established',
    'h2-tor Established',
    'h3-tor Established',
  ]);
  for (const m of lines) t.regex(m[4]!, /tor: Established/, "the router's own view is in the line");
  t.is(picture.match(/class="fabric-block" data-block="10\.65\./g)?.length, 3, 'each host lists its block');
  t.regex(status.stdout, /10\.0\.1\.1\s+65000\s+node\s+Established/);
  t.regex(status.stdout, /PASS/);
  // the FRR top-of-rack router's own view: three sessions, each with the host's block received
  const tor = status.stdout.split('== ').find((s) => s.startsWith('tor (FRR router)'));
  t.truthy(tor, status.stdout);
  t.is((tor!.match(/^10\.0\.[123]\.2\s+6500[123]\s+Established\s+1$/gm) ?? []).length, 3, tor);
  t.regex(status.stdout, /metrics: http:\/\/10\.0\.1\.2:9091\/metrics/);
  const exec = await tsroute(['lab', 'exec', file('mesh'), 'h1', '--', 'ip', 'route'], { env });
  t.is(exec.code, 0, exec.stderr);

  // inside a node: `tsroute` reaches that node's agent, `vtysh` the node's FRR, the agent serves metrics
  const inside = (node: string, ...cmd: string[]) =>
    tsroute(['lab', 'exec', file('quickstart'), node, '--', ...cmd], { env });
  for (const h of ['h1', 'h2']) {
    const ns = await inside(h, 'tsroute', 'node', 'status');
    t.is(ns.code, 0, ns.stderr);
    t.regex(ns.stdout, new RegExp(`node ${h} `), `${h}'s own agent answers`);
    t.regex(ns.stdout, /65000\s+node\s+Established/);
  }
  const vtysh = await inside('tor', 'vtysh', '-c', 'show bgp summary');
  t.is(vtysh.code, 0, vtysh.stderr);
  t.regex(vtysh.stdout, /Total number of neighbors 3/);
  const metrics = await inside('h1', 'curl', '-sf', 'http://127.0.0.1:9091/metrics');
  t.is(metrics.code, 0, metrics.stderr);
  t.regex(metrics.stdout, /^tsroute_bgp_peers\{state="Established"\} 1$/m);
  // and from another node of the lab, at the address `lab status` shows
  const fromTor = await inside('tor', 'curl', '-sf', 'http://10.0.2.2:9091/metrics');
  t.regex(fromTor.stdout, /^tsroute_bgp_peers\{state="Established"\} 1$/m);
  await down(t, 'quickstart', env, q.state);
  await down(t, 'mesh', env, m.state);
});

test('route-reflectors: six hosts, two reflectors; every pair reaches each other; clients have two sessions', async (t) => {
  t.timeout(600_000, 'six agents starting at once on a loaded machine');
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
  t.timeout(600_000, 'a lab up on a loaded machine, then status, exec and down');
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
  // the BIRD leaf's sessions through birdc (in `lab status` and with `birdc` on PATH inside leaf1)
  // (--svg draws the whole lab whatever --node narrows the text to)
  const svg = lab.path('leaf-spine.svg');
  const status = await tsroute(['lab', 'status', file('leaf-spine'), '--node', 'leaf1', '--svg', svg], { env });
  const leaf1 = status.stdout.split('== ').find((s) => s.startsWith('leaf1 (BIRD router)'));
  // the picture: spines above the leaves (their sessions all end at routers), hosts below, all up
  const picture = readFileSync(svg, 'utf8');
  const boxes = [...picture.matchAll(/<g class="fabric-node" data-node="([^"]+)" data-kind="(\w+)"/g)];
  t.deepEqual(boxes.map((m) => `${m[1]} ${m[2]}`).sort(), [
    'h1 host',
    'h2 host',
    'h3 host',
    'h4 host',
    'leaf1 router',
    'leaf2 router',
    'spine1 spine',
    'spine2 spine',
  ]);
  const states = [...picture.matchAll(/<path class="fabric-session"[^>]*data-session-state="(\w+)"/g)].map((m) => m[1]);
  t.deepEqual(states, Array(8).fill('Established'), 'four host-leaf and four leaf-spine sessions, all Established');
  t.truthy(leaf1, status.stdout);
  t.true((leaf1!.match(/\bEstablished\s+[1-9]\d*$/gm) ?? []).length >= 4, leaf1);
  const birdc = await tsroute(['lab', 'exec', file('leaf-spine'), 'leaf1', '--', 'birdc', 'show', 'protocols'], {
    env,
  });
  t.is(birdc.code, 0, birdc.stderr);
  t.regex(birdc.stdout, /Established/);
  await down(t, 'leaf-spine', env, state);
});

test('leaf-spine-unnumbered: no IPv4 on any fabric link; link-local sessions, IPv4 via inet6 fe80::, every pair reaches each other', async (t) => {
  t.timeout(600_000, 'a lab up on a loaded machine, then exec and down');
  const lab = await labFor(t);
  const env = { TSROUTE_LAB_STATE_DIR: lab.path('state') };
  const name = 'leaf-spine-unnumbered';
  const { res, state } = await up(t, name, env);
  t.is(res.code, 0, `${res.stderr}${res.stdout}`);
  t.regex(res.stdout, /PASS: all 12 container pairs reach each other/);
  const exec = async (node: string, ...cmd: string[]) =>
    (await tsroute(['lab', 'exec', file(name), node, '--', ...cmd], { env })).stdout;
  // no router has an IPv4 address at all; a host only its /32 on lo
  for (const node of ['spine1', 'spine2', 'leaf1', 'leaf2'])
    t.is((await exec(node, 'ip', '-4', '-o', 'addr', 'show', 'scope', 'global')).trim(), '', node);
  t.regex(await exec('h1', 'ip', '-4', '-o', 'addr', 'show', 'scope', 'global'), /^\d+: lo\s+inet 10\.255\.0\.1\/32/);
  // the host reaches the other host's block through its leaf's link-local address (our RFC 8950 route)
  t.regex(await exec('h1', 'ip', 'route', 'show', 'proto', 'bgp'), /via inet6 fe80::[0-9a-f:]+ dev eth1/);
  // each leaf reaches the other leaf's host blocks over both spines: two link-local next hops
  for (const leaf of ['leaf1', 'leaf2']) {
    const routes = await exec(leaf, 'ip', 'route');
    t.true((routes.match(/nexthop via inet6 fe80::[0-9a-f:]+ dev eth[12] /g) ?? []).length >= 2, `${leaf}:\n${routes}`);
  }
  t.regex(await exec('h1', 'tsroute', 'node', 'status'), /fe80::[0-9a-f:]+%eth1\s+65201\s+node\s+Established/);
  await down(t, name, env, state);
});

test('static: three hosts, no BGP (routingMode Static); every pair reaches each other over static routes', async (t) => {
  const lab = await labFor(t);
  const env = { TSROUTE_LAB_STATE_DIR: lab.path('state') };
  const { res, state } = await up(t, 'static', env);
  t.is(res.code, 0, `${res.stderr}${res.stdout}`);
  t.regex(res.stdout, /routing mode Static: no BGP sessions to wait for/);
  t.regex(res.stdout, /PASS: all 30 container pairs reach each other/);
  // h1 routes each other host's block via that host, and nothing listens for BGP
  const routes = await tsroute(['lab', 'exec', file('static'), 'h1', '--', 'ip', 'route', 'show', 'proto', 'bgp'], {
    env,
  });
  t.is((routes.stdout.match(/via 10\.0\.2\.[23] /g) ?? []).length, 2, routes.stdout);
  const listen = await tsroute(['lab', 'exec', file('static'), 'h1', '--', 'ss', '-ltnH', 'sport = :179'], { env });
  t.is(listen.stdout.trim(), '');
  await down(t, 'static', env, state);
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
