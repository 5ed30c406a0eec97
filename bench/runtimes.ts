// Benchmark: time from `podman run -d` to a container the host can ping, with tsroute's CNI plugin
// and with the standard bridge + host-local plugins, measured in the same run, interleaved, on the
// same podman and image; then the same for `docker run` with tsroute's driver and Docker's bridge.
// Until the real agent (`tsroute node run`) lands, tsroute's side runs against the agent TEST DOUBLE
// (fixed address list, veth by `ip` commands): the output says so.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentClient } from '../src/api/index.js';
import { agentBackend, removeSpec, serveDockerPlugin, writeSpec } from '../src/docker/index.js';
import { Dockerd, installCniPlugin, Lab, type Netns, Podman, uniqueName, waitFor } from '../src/lab/index.js';
import { AgentDouble, labHost } from '../test/runtimes/agent-double.js';

const ROUNDS = Number(process.env.TSROUTE_BENCH_ROUNDS || 5);

interface Sample {
  runMs: number;
  pingableMs: number;
}

interface Contender {
  name: string;
  /** Starts a container; resolves to its ID once the runtime command returns. */
  start(): Promise<string>;
  /** The container's address, known without asking the runtime (which would add to the time). */
  addressOf(id: string): string | undefined;
  remove(id: string): Promise<unknown>;
  samples: Sample[];
}

async function timeOne(host: Netns, c: Contender): Promise<Sample> {
  const started = process.hrtime.bigint();
  const id = await c.start();
  const ran = process.hrtime.bigint();
  const address = c.addressOf(id);
  if (!address) throw new Error(`${c.name}: no address found for container ${id}`);
  await waitFor(`${address} to answer ping`, () => host.ping(address, { timeoutS: 1 }), {
    timeoutMs: 10_000,
    intervalMs: 5,
  });
  const pingable = process.hrtime.bigint();
  await c.remove(id);
  return { runMs: Number(ran - started) / 1e6, pingableMs: Number(pingable - started) / 1e6 };
}

/** One unmeasured round each (first-use costs), then ROUNDS rounds, interleaved. */
async function measure(host: Netns, contenders: Contender[]): Promise<void> {
  for (const c of contenders) await timeOne(host, c);
  for (let i = 0; i < ROUNDS; i++) for (const c of contenders) c.samples.push(await timeOne(host, c));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function table(title: string, contenders: Contender[]): void {
  const f = (n: number) => n.toFixed(0).padStart(6);
  console.log(`\n${title}, ${ROUNDS} rounds each, interleaved (ms)`);
  console.log(
    `${''.padEnd(40)} ${'median'.padStart(6)} ${'min'.padStart(6)} ${'max'.padStart(6)}   run-returned median`,
  );
  for (const c of contenders) {
    const p = c.samples.map((s) => s.pingableMs);
    const r = c.samples.map((s) => s.runMs);
    console.log(`${c.name.padEnd(40)} ${f(median(p))} ${f(Math.min(...p))} ${f(Math.max(...p))}   ${f(median(r))}`);
  }
}

/** The agent's address for a handle containing `id` (CNI handles carry the container ID). */
const heldBy = (agent: AgentDouble, id: string) =>
  Object.entries(agent.holdings()).find(([, handle]) => handle.includes(`.${id}.`))?.[0];

async function podmanRows(lab: Lab, host: Netns, agent: AgentDouble, socket: string): Promise<void> {
  const plugin = installCniPlugin(lab.path('cni-bin'), { compiled: true });
  const podman = await Podman.create(lab, host, { cniPluginDirs: [lab.path('cni-bin')] });
  podman.addNetwork({ cniVersion: '1.0.0', name: 'tsrnet', plugins: [{ type: 'tsroute', agentSocket: socket }] });
  const hostLocalDir = lab.path('host-local');
  podman.addNetwork({
    cniVersion: '1.0.0',
    name: 'brnet',
    plugins: [
      {
        type: 'bridge',
        bridge: 'tsrbench0',
        isGateway: true,
        ipMasq: false,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: '10.128.0.0/24', gateway: '10.128.0.1' }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: hostLocalDir,
        },
      },
    ],
  });
  const image = await podman.importBusybox();
  const run = async (network: string) =>
    (await podman.podman('run', '-d', '--network', network, image, 'sleep', '600')).stdout.trim();
  const remove = (id: string) => podman.podman('rm', '--force', '--time', '0', id);
  const contenders: Contender[] = [
    {
      name: 'tsroute CNI plugin (+ agent double)',
      start: () => run('tsrnet'),
      addressOf: (id) => heldBy(agent, id),
      remove,
      samples: [],
    },
    {
      name: 'bridge + host-local (CNI plugins 1.1)',
      start: () => run('brnet'),
      // host-local keeps one file per address, holding the container ID.
      addressOf: (id) =>
        readdirSync(join(hostLocalDir, 'brnet')).find(
          (f) => /^\d+\.\d+\.\d+\.\d+$/.test(f) && readFileSync(join(hostLocalDir, 'brnet', f), 'utf8').startsWith(id),
        ),
      remove,
      samples: [],
    },
  ];
  agent.addEndpointMs.length = 0;
  await measure(host, contenders);
  table('podman run -d → container pingable from the host', contenders);
  console.log(
    `tsroute plugin: ${plugin.compiled ? 'compiled (dist/src/cni/main.js)' : 'TypeScript via tsx (run `npm run build` for the compiled plugin)'}; ` +
      `the agent double's AddEndpoint (veth + routes by ~12 \`ip\` runs): median ${median(agent.addEndpointMs).toFixed(0)} ms`,
  );
}

async function dockerRows(lab: Lab, host: Netns, socket: string): Promise<void> {
  const client = new AgentClient(socket, 10_000);
  const name = uniqueName('bench').toLowerCase();
  const plugin = await serveDockerPlugin({
    socketPath: lab.path('plugin.sock'),
    backend: agentBackend(client),
    pluginName: name,
  });
  writeSpec(name, plugin.socketPath);
  const dockerd = await Dockerd.start(lab, host);
  lab.onDestroy(async () => {
    await dockerd.stop();
    removeSpec(name, plugin.socketPath);
    await plugin.close();
    client.close();
  });
  const image = await dockerd.importBusybox();
  // --subnet on both, so `--ip` can name each container's address up front.
  await dockerd.docker('network', 'create', '-d', name, '--ipam-driver', name, '--subnet', '10.127.1.0/24', 'tsrnet');
  await dockerd.docker('network', 'create', '-d', 'bridge', '--subnet', '10.129.0.0/24', 'brnet');
  let n = 0;
  const contender = (label: string, network: string, prefix: string): Contender => {
    const addresses = new Map<string, string>();
    return {
      name: label,
      start: async () => {
        const address = `${prefix}${(n++ % 200) + 2}`;
        const id = (
          await dockerd.docker('run', '-d', '--network', network, '--ip', address, image, 'sleep', '600')
        ).stdout.trim();
        addresses.set(id, address);
        return id;
      },
      addressOf: (id) => addresses.get(id),
      remove: (id) => dockerd.docker('rm', '-f', id),
      samples: [],
    };
  };
  const contenders = [
    contender('tsroute driver (+ agent double)', 'tsrnet', '10.127.1.'),
    contender("Docker's bridge driver", 'brnet', '10.129.0.'),
  ];
  await measure(host, contenders);
  table('docker run -d → container pingable from the host', contenders);
}

export async function runRuntimesBench(): Promise<void> {
  const lab = await Lab.create('bench-runtimes');
  try {
    const host = await labHost(lab);
    const pool = [
      ...Array.from({ length: 200 }, (_, i) => `10.127.0.${i + 2}/32`),
      ...Array.from({ length: 200 }, (_, i) => `10.127.1.${i + 2}/32`),
    ];
    const agent = new AgentDouble(host, pool);
    const socket = lab.path('agent.sock');
    const server = await agent.serve(socket);
    lab.onDestroy(() => server.close());
    console.log('tsroute agent: TEST DOUBLE (fixed address list, veth by `ip`), not `tsroute node run`');
    await podmanRows(lab, host, agent, socket);
    await dockerRows(lab, host, socket);
  } finally {
    await lab.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runRuntimesBench();
