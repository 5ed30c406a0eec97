// Benchmark: time from `podman run -d` to a container the host can ping, with tsroute's CNI plugin
// and with the standard bridge + host-local plugins, measured in the same run, interleaved, on the
// same podman and image. Until the real agent (`tsroute node run`) lands, tsroute's side runs against
// the agent TEST DOUBLE (fixed address list, veth by `ip` commands): the output says so.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installCniPlugin, Lab, type Netns, Podman, waitFor } from '../src/lab/index.js';
import { AgentDouble, labHost } from '../test/runtimes/agent-double.js';

const ROUNDS = Number(process.env.TSROUTE_BENCH_ROUNDS || 5);

interface Sample {
  runMs: number;
  pingableMs: number;
}

async function timeOne(
  podman: Podman,
  host: Netns,
  network: string,
  image: string,
  addressOf: (id: string) => string | undefined,
): Promise<Sample> {
  const started = process.hrtime.bigint();
  const { stdout } = await podman.podman('run', '-d', '--network', network, image, 'sleep', '600');
  const ran = process.hrtime.bigint();
  const id = stdout.trim();
  const address = addressOf(id);
  if (!address) throw new Error(`no address found for container ${id} on ${network}`);
  await waitFor(`${address} to answer ping`, () => host.ping(address, { timeoutS: 1 }), {
    timeoutMs: 10_000,
    intervalMs: 5,
  });
  const pingable = process.hrtime.bigint();
  await podman.podman('rm', '--force', '--time', '0', id);
  return { runMs: Number(ran - started) / 1e6, pingableMs: Number(pingable - started) / 1e6 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function summary(name: string, samples: Sample[]): string {
  const p = samples.map((s) => s.pingableMs);
  const r = samples.map((s) => s.runMs);
  const f = (n: number) => n.toFixed(0).padStart(6);
  return `${name.padEnd(40)} ${f(median(p))} ${f(Math.min(...p))} ${f(Math.max(...p))}   ${f(median(r))}`;
}

export async function runRuntimesBench(): Promise<void> {
  const lab = await Lab.create('bench-runtimes');
  try {
    const host = await labHost(lab);
    const pool = Array.from({ length: 200 }, (_, i) => `10.127.0.${i + 2}/32`);
    const agent = new AgentDouble(host, pool);
    const socket = lab.path('agent.sock');
    const server = await agent.serve(socket);
    lab.onDestroy(() => server.close());
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

    const tsrouteAddress = (id: string) =>
      Object.entries(agent.holdings()).find(([, handle]) => handle.includes(`.${id}.`))?.[0];
    // host-local keeps one file per address, holding the container ID.
    const bridgeAddress = (id: string) => {
      const dir = join(hostLocalDir, 'brnet');
      return readdirSync(dir).find(
        (f) => /^\d+\.\d+\.\d+\.\d+$/.test(f) && readFileSync(join(dir, f), 'utf8').startsWith(id),
      );
    };

    // One unmeasured round each: first-use costs (image layers, the bridge, node's module cache).
    await timeOne(podman, host, 'tsrnet', image, tsrouteAddress);
    await timeOne(podman, host, 'brnet', image, bridgeAddress);
    agent.addEndpointMs.length = 0;
    const tsroute: Sample[] = [];
    const bridge: Sample[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      tsroute.push(await timeOne(podman, host, 'tsrnet', image, tsrouteAddress));
      bridge.push(await timeOne(podman, host, 'brnet', image, bridgeAddress));
    }

    console.log(`podman run -d → container pingable from the host, ${ROUNDS} rounds each, interleaved (ms)`);
    console.log(
      `tsroute plugin: ${plugin.compiled ? 'compiled (dist/src/cni/main.js)' : 'TypeScript via tsx (run `npm run build` for the compiled plugin)'}`,
    );
    console.log('tsroute agent: TEST DOUBLE (fixed address list, veth by `ip`), not `tsroute node run`');
    console.log(
      `${''.padEnd(40)} ${'median'.padStart(6)} ${'min'.padStart(6)} ${'max'.padStart(6)}   run-returned median`,
    );
    console.log(summary('tsroute CNI plugin (+ agent double)', tsroute));
    console.log(summary('bridge + host-local (CNI 1.1 plugins)', bridge));
    console.log(
      `of tsroute's time, the agent double's AddEndpoint (veth + routes by ~12 \`ip\` runs): median ${median(agent.addEndpointMs).toFixed(0)} ms`,
    );
  } finally {
    await lab.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runRuntimesBench();
