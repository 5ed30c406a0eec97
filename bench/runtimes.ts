// Benchmark: time from `podman run -d` to a container the host can ping, with tsroute's CNI plugin
// and with the standard bridge + host-local plugins, measured in the same run, interleaved, on the
// same podman and image; then the same for `docker run` with tsroute's driver and Docker's bridge.
// tsroute's side runs on a real `tsroute node run` (its own etcd, IPAM, netlink veth) in a lab host.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentClient } from '../src/api/index.js';
import { agentBackend, removeSpec, serveDockerPlugin, writeSpec } from '../src/docker/index.js';
import { meshCluster, poolYaml } from '../src/lab/cluster.js';
import { Dockerd, installCniPlugin, Lab, type Netns, Podman, uniqueName, waitFor } from '../src/lab/index.js';

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
  addressOf(id: string): string | undefined | Promise<string | undefined>;
  remove(id: string): Promise<unknown>;
  samples: Sample[];
}

async function timeOne(host: Netns, c: Contender): Promise<Sample> {
  const started = process.hrtime.bigint();
  const id = await c.start();
  const ran = process.hrtime.bigint();
  const address = await c.addressOf(id);
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

/** The address the agent gave container `id` (CNI passes the container ID through). */
async function addressFromAgent(agent: AgentClient, id: string): Promise<string | undefined> {
  const { endpoints } = await agent.listEndpoints();
  return endpoints.find((e) => e.containerId === id)?.addresses[0]?.split('/')[0];
}

async function podmanRows(lab: Lab, host: Netns, agent: AgentClient, socket: string): Promise<void> {
  const plugin = installCniPlugin(lab.path('cni-bin'), { compiled: true });
  const podman = await Podman.create(lab, host, { cniPluginDirs: [lab.path('cni-bin')] });
  podman.addNetwork({
    cniVersion: '1.0.0',
    name: 'tsrnet',
    plugins: [{ type: 'tsroute', agentSocket: socket, pools: ['podman'] }],
  });
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
      name: 'tsroute CNI plugin + tsroute node run',
      start: () => run('tsrnet'),
      addressOf: (id) => addressFromAgent(agent, id),
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
  await measure(host, contenders);
  table('podman run -d → container pingable from the host', contenders);
  console.log(
    `tsroute plugin: ${plugin.compiled ? 'compiled (dist/src/cni/main.js)' : 'TypeScript via tsx (run `npm run build` for the compiled plugin)'}`,
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
    contender('tsroute driver + tsroute node run', 'tsrnet', '10.127.1.'),
    contender("Docker's bridge driver", 'brnet', '10.129.0.'),
  ];
  await measure(host, contenders);
  table('docker run -d → container pingable from the host', contenders);
}

export async function runRuntimesBench(): Promise<void> {
  const lab = await Lab.create('bench-runtimes');
  try {
    // one host running the real agent; podman allocates from one pool, docker names addresses in another
    const { hosts } = await meshCluster(lab, {
      count: 1,
      pool: '10.127.0.0/24',
      extraManifests: poolYaml('docker', '10.127.1.0/24', 26) + poolYaml('podman', '10.127.2.0/24', 26),
    });
    const host = hosts[0]!;
    const socket = host.agent.apiSocket;
    console.log('tsroute agent: `tsroute node run` (etcd, IPAM, netlink veth), one lab host');
    await podmanRows(lab, host.ns, host.agent.client, socket);
    await dockerRows(lab, host.ns, socket);
  } finally {
    await lab.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runRuntimesBench();
