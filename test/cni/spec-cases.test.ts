// The CNI plugin executable driven by hand, as a runtime drives it (CNI_* environment + the network
// configuration on stdin), through a table of spec cases in order: ADD/CHECK/DEL twice, DEL without
// ADD, unknown CNI_ARGS and runtimeConfig, chaining, bad JSON, missing netns, a missing agent.
// Behind the plugin: the real gRPC API served by an agent TEST DOUBLE (the protocol table is the
// subject here; the real agent's integration comes with it).
import { execFile } from 'node:child_process';
import test from 'ava';
import type { AgentServer } from '../../src/api/index.js';
import { installCniPlugin, Lab, type Netns } from '../../src/lab/index.js';
import { AgentDouble, labHost } from '../runtimes/agent-double.js';

interface Outcome {
  exit: number;
  out: Record<string, unknown> | undefined;
  raw: string;
}

let lab: Lab;
let host: Netns;
let ctr: Netns;
let agent: AgentDouble;
let server: AgentServer;
let plugin: string;
let socket: string;

test.before(async () => {
  lab = await Lab.create('cni-spec-cases');
  host = await labHost(lab);
  ctr = await lab.namespace('ctr');
  agent = new AgentDouble(host, ['10.125.0.2/32', '10.125.0.3/32', '10.125.0.4/32']);
  socket = lab.path('agent.sock');
  server = await agent.serve(socket);
  plugin = installCniPlugin(lab.path('cni-bin')).path;
});

test.after.always(async () => {
  await server?.close();
  await lab?.destroy();
});

const conf = (extra: Record<string, unknown> = {}) => ({
  cniVersion: '1.1.0',
  name: 'tsrnet',
  type: 'tsroute',
  agentSocket: socket,
  dns: { nameservers: ['10.0.0.53'], search: ['lab.example'] },
  ...extra,
});

function invoke(command: string, env: Record<string, string>, stdin: string | object): Promise<Outcome> {
  const { TSROUTE_API_SOCKET: _, ...base } = process.env; // the config's agentSocket must be what counts
  return new Promise((resolve) => {
    const child = execFile(
      plugin,
      [],
      {
        env: {
          ...base,
          CNI_COMMAND: command,
          CNI_CONTAINERID: 'ctr-1',
          CNI_NETNS: ctr.path,
          CNI_IFNAME: 'eth0',
          CNI_PATH: lab.path('cni-bin'),
          ...env,
        },
        timeout: 30_000,
      },
      (err, stdout) => {
        const exit = err ? Number((err as NodeJS.ErrnoException).code ?? 1) : 0;
        let out: Record<string, unknown> | undefined;
        try {
          out = stdout.trim() ? JSON.parse(stdout) : undefined;
        } catch {
          out = undefined;
        }
        resolve({ exit, out, raw: stdout });
      },
    );
    child.stdin?.end(typeof stdin === 'string' ? stdin : JSON.stringify(stdin));
  });
}

let firstResult: Record<string, unknown> | undefined;

test.serial('VERSION lists the spec versions it speaks', async (t) => {
  const r = await invoke('VERSION', {}, { cniVersion: '1.1.0' });
  t.is(r.exit, 0);
  t.deepEqual(r.out?.supportedVersions, ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
});

test.serial('ADD wires the container and returns interfaces, IPs with interface index, routes and DNS', async (t) => {
  const r = await invoke('ADD', { CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web' }, conf());
  t.is(r.exit, 0, r.raw);
  const out = r.out as {
    interfaces: { name: string; sandbox?: string }[];
    ips: { address: string; gateway: string; interface: number }[];
    routes: { dst: string; gw: string }[];
    dns: unknown;
  };
  t.is(out.ips.length, 1);
  t.is(out.ips[0]!.address, '10.125.0.2/32');
  t.is(out.ips[0]!.gateway, '169.254.1.1');
  const container = out.interfaces[out.ips[0]!.interface]!;
  t.deepEqual([container.name, container.sandbox], ['eth0', ctr.path], 'ips[].interface points at the sandbox end');
  t.true(
    out.interfaces.some((i) => i.name.startsWith('tsr') && !i.sandbox),
    'the host end is listed without a sandbox',
  );
  t.deepEqual(out.routes, [{ dst: '0.0.0.0/0', gw: '169.254.1.1' }]);
  t.deepEqual(out.dns, { nameservers: ['10.0.0.53'], search: ['lab.example'] }, 'DNS passed through');
  const eth0 = (await ctr.addresses()).find((l) => l.ifname === 'eth0');
  t.deepEqual(
    eth0?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
    ['10.125.0.2/32'],
    'the address is really in the namespace',
  );
  firstResult = r.out;
});

test.serial('ADD again for the same container is idempotent: same result, nothing more allocated', async (t) => {
  const r = await invoke('ADD', {}, conf());
  t.is(r.exit, 0, r.raw);
  t.deepEqual(r.out, firstResult);
  t.deepEqual(Object.keys(agent.holdings()), ['10.125.0.2']);
});

test.serial('CHECK with the ADD result succeeds, twice, printing nothing', async (t) => {
  for (let i = 0; i < 2; i++) {
    const r = await invoke('CHECK', {}, conf({ prevResult: firstResult }));
    t.is(r.exit, 0, r.raw);
    t.is(r.raw, '');
  }
});

test.serial('CHECK notices an address that is gone from the namespace', async (t) => {
  await ctr.ip('addr', 'del', '10.125.0.2/32', 'dev', 'eth0');
  const r = await invoke('CHECK', {}, conf({ prevResult: firstResult }));
  await ctr.ip('addr', 'add', '10.125.0.2/32', 'dev', 'eth0');
  t.is(r.exit, 1);
  t.is(r.out?.code, 100);
  t.regex(String(r.out?.details), /10\.125\.0\.2\/32 missing on eth0/);
});

test.serial('CHECK without prevResult is an invalid configuration (7)', async (t) => {
  const r = await invoke('CHECK', {}, conf());
  t.is(r.exit, 1);
  t.is(r.out?.code, 7);
});

test.serial('DEL removes the endpoint and releases the address; DEL again succeeds', async (t) => {
  const first = await invoke('DEL', {}, conf({ prevResult: firstResult }));
  t.is(first.exit, 0, first.raw);
  t.deepEqual(agent.holdings(), {});
  t.false(
    (await ctr.addresses()).some((l) => l.ifname === 'eth0'),
    'the veth is gone',
  );
  const second = await invoke('DEL', {}, conf({ prevResult: firstResult }));
  t.is(second.exit, 0, second.raw);
});

test.serial('DEL without any ADD succeeds (and without CNI_NETNS)', async (t) => {
  const r = await invoke('DEL', { CNI_CONTAINERID: 'never-added', CNI_NETNS: '' }, conf());
  t.is(r.exit, 0, r.raw);
});

test.serial('unknown CNI_ARGS (without IgnoreUnknown) and unknown runtimeConfig keys are tolerated', async (t) => {
  const r = await invoke(
    'ADD',
    { CNI_CONTAINERID: 'ctr-2', CNI_ARGS: 'FOO=bar;K8S_POD_INFRA_CONTAINER_ID=abc' },
    conf({ runtimeConfig: { portMappings: [], somethingNew: { x: 1 } } }),
  );
  t.teardown(() => invoke('DEL', { CNI_CONTAINERID: 'ctr-2' }, conf()));
  t.is(r.exit, 0, r.raw);
  t.regex((r.out as { ips: { address: string }[] }).ips[0]!.address, /^10\.125\.0\.\d+\/32$/);
});

test.serial('chained after another plugin, prevResult is kept and our interface indexes follow it', async (t) => {
  const prevResult = {
    cniVersion: '1.1.0',
    interfaces: [{ name: 'other0', sandbox: ctr.path }],
    ips: [{ address: '192.0.2.10/24', interface: 0 }],
    routes: [{ dst: '192.0.2.0/24' }],
  };
  const r = await invoke('ADD', { CNI_CONTAINERID: 'ctr-3' }, conf({ prevResult }));
  t.teardown(() => invoke('DEL', { CNI_CONTAINERID: 'ctr-3' }, conf()));
  t.is(r.exit, 0, r.raw);
  const out = r.out as { interfaces: { name: string }[]; ips: { address: string; interface: number }[] };
  t.is(out.interfaces[0]!.name, 'other0');
  t.deepEqual(out.ips[0], prevResult.ips[0]);
  t.is(out.interfaces[out.ips[1]!.interface]!.name, 'eth0');
});

test.serial('an 0.4.0 configuration gets an 0.4.0 result (ips carry "version")', async (t) => {
  const r = await invoke('ADD', { CNI_CONTAINERID: 'ctr-4' }, conf({ cniVersion: '0.4.0' }));
  t.teardown(() => invoke('DEL', { CNI_CONTAINERID: 'ctr-4' }, conf({ cniVersion: '0.4.0' })));
  t.is(r.exit, 0, r.raw);
  t.is(r.out?.cniVersion, '0.4.0');
  t.is((r.out as { ips: { version: string }[] }).ips[0]!.version, '4');
});

test.serial('STATUS reports a usable agent', async (t) => {
  const r = await invoke('STATUS', { CNI_CONTAINERID: '', CNI_NETNS: '', CNI_IFNAME: '' }, conf());
  t.is(r.exit, 0, r.raw);
});

test.serial('GC releases attachments the runtime no longer knows, keeps the valid ones', async (t) => {
  for (const id of ['gc-keep', 'gc-drop']) {
    const ns = await lab.namespace(id);
    t.is((await invoke('ADD', { CNI_CONTAINERID: id, CNI_NETNS: ns.path }, conf())).exit, 0);
  }
  const r = await invoke(
    'GC',
    { CNI_CONTAINERID: '', CNI_NETNS: '', CNI_IFNAME: '' },
    conf({ 'cni.dev/valid-attachments': [{ containerID: 'gc-keep', ifname: 'eth0' }] }),
  );
  t.is(r.exit, 0, r.raw);
  t.deepEqual(Object.values(agent.holdings()), ['cni.tsrnet.gc-keep.eth0']);
  t.is((await invoke('DEL', { CNI_CONTAINERID: 'gc-keep' }, conf())).exit, 0);
});

const errorCases: {
  name: string;
  command: string;
  env: Record<string, string>;
  stdin: string | object;
  code: number;
  msg: RegExp;
}[] = [
  {
    name: 'bad config JSON',
    command: 'ADD',
    env: {},
    stdin: '{"cniVersion": "1.1.0", "name":',
    code: 6,
    msg: /not valid JSON/,
  },
  {
    name: 'unsupported cniVersion',
    command: 'ADD',
    env: {},
    stdin: { ...conf(), cniVersion: '2.0.0' },
    code: 1,
    msg: /"2.0.0" is not supported/,
  },
  {
    name: 'netns that does not exist',
    command: 'ADD',
    env: { CNI_NETNS: '/run/netns/tsroute-no-such-netns' },
    stdin: conf(),
    code: 3,
    msg: /does not exist/,
  },
  {
    name: 'no CNI_NETNS on ADD',
    command: 'ADD',
    env: { CNI_NETNS: '' },
    stdin: conf(),
    code: 4,
    msg: /CNI_NETNS is required/,
  },
  {
    name: 'agent socket missing',
    command: 'ADD',
    env: {},
    stdin: { ...conf(), agentSocket: '/run/tsroute/no-agent-here.sock' },
    code: 11,
    msg: /is "tsroute node run" running\?/,
  },
];

for (const c of errorCases) {
  test.serial(`error: ${c.name} → code ${c.code}`, async (t) => {
    const r = await invoke(c.command, c.env, c.stdin);
    t.is(r.exit, 1, 'a failing plugin exits non-zero');
    t.is(r.out?.code, c.code, r.raw);
    t.regex(String(r.out?.msg), c.msg);
    t.is(r.out?.cniVersion !== undefined, true, 'the error JSON carries cniVersion');
  });
}

test.serial('after the table nothing is left allocated but nothing leaked either', (t) => {
  t.deepEqual(agent.holdings(), {});
});
