// Real runtimes on real agents: podman (CNI) on host h1 and dockerd (the tsroute network and IPAM
// drivers) on host h2, each host running `tsroute node run` in an iBGP mesh. The containers get
// addresses from their host's block, reach each other across the hosts over BGP-learned routes, and
// removing them releases their addresses in IPAM.
import test from 'ava';
import { AgentClient } from '../../src/api/index.js';
import { agentBackend, removeSpec, serveDockerPlugin, writeSpec } from '../../src/docker/index.js';
import { tsroute } from '../../src/lab/agent.js';
import { Dockerd, installCniPlugin, Podman, uniqueName, waitFor } from '../../src/lab/index.js';
import { allSessionsUp, meshCluster } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('podman on h1 and docker on h2 with the real agents: addresses from each host block, ping across hosts, rm releases', async (t) => {
  const lab = await labFor(t);
  const { hosts, etcd } = await meshCluster(lab, { count: 2 });
  const [h1, h2] = hosts as [(typeof hosts)[0], (typeof hosts)[0]];
  await allSessionsUp(hosts, 1);

  installCniPlugin(lab.path('cni-bin'));
  const podman = await Podman.create(lab, h1.ns, { cniPluginDirs: [lab.path('cni-bin')] });
  t.teardown(() => podman.removeAll());
  podman.addNetwork({
    cniVersion: '1.0.0',
    name: 'tsrnet',
    plugins: [{ type: 'tsroute', agentSocket: h1.agent.apiSocket }],
  });

  const client = new AgentClient(h2.agent.apiSocket, 10_000);
  t.teardown(() => client.close());
  const driver = uniqueName('docker').toLowerCase();
  const plugin = await serveDockerPlugin({
    socketPath: lab.path('plugin.sock'),
    backend: agentBackend(client),
    pluginName: driver,
  });
  t.teardown(() => plugin.close());
  writeSpec(driver, plugin.socketPath);
  t.teardown(() => removeSpec(driver, plugin.socketPath));
  const dockerd = await Dockerd.start(lab, h2.ns);
  t.teardown(() => dockerd.stop());

  const [podmanImage, dockerImage] = await Promise.all([podman.importBusybox(), dockerd.importBusybox()]);
  await dockerd.docker('network', 'create', '-d', driver, '--ipam-driver', driver, 'tsrnet');
  await Promise.all([
    podman.podman('run', '-d', '--name', 'ca', '--network', 'tsrnet', podmanImage, 'sleep', '300'),
    dockerd.docker('run', '-d', '--name', 'cb', '--network', 'tsrnet', dockerImage, 'sleep', '300'),
  ]);

  const addressOf = async (exec: (...a: string[]) => Promise<{ stdout: string }>, name: string) => {
    const out = (await exec('exec', name, 'ip', '-4', '-o', 'addr', 'show', 'eth0')).stdout;
    return /inet (10\.65\.\d+\.\d+)\/32/.exec(out)?.[1];
  };
  const a = await addressOf((...x) => podman.podman(...x), 'ca');
  const b = await addressOf((...x) => dockerd.docker(...x), 'cb');
  t.truthy(a, 'the podman container has a pool address');
  t.truthy(b, 'the docker container has a pool address');

  // each address is inside a block owned by its own host
  const blocks = async () => {
    const r = await tsroute(['ipam', 'show', '--show-blocks', '-o', 'json', '--etcd-endpoints', etcd.endpoint]);
    t.is(r.code, 0, r.stderr);
    return r.stdout;
  };
  const before = await blocks();
  t.regex(before, /h1/);
  t.regex(before, /h2/);
  for (const [addr, host] of [
    [a!, h1],
    [b!, h2],
  ] as const) {
    const status = await host.agent.status();
    t.true(
      status.blocks.some((x) => addr.startsWith(x.cidr.split('.').slice(0, 3).join('.'))),
      `${addr} is in a block of ${host.name}`,
    );
  }

  const answers = (what: string, ping: () => Promise<unknown>) =>
    waitFor(what, async () => Boolean(await ping().catch(() => false)), { timeoutMs: 15_000, intervalMs: 250 });
  await answers('podman container on h1 → docker container on h2', () =>
    podman.podman('exec', 'ca', 'ping', '-c', '1', '-W', '1', b!),
  );
  await answers('docker container on h2 → podman container on h1', () =>
    dockerd.docker('exec', 'cb', 'ping', '-c', '1', '-W', '1', a!),
  );

  await podman.podman('rm', '--force', '--time', '0', 'ca');
  await dockerd.docker('rm', '-f', 'cb');
  const held = async (addr: string) =>
    (await tsroute(['ipam', 'show', '--ip', addr, '--etcd-endpoints', etcd.endpoint])).stdout.trim();
  await waitFor(
    'both addresses released in IPAM',
    async () => {
      const [x, y] = [await held(a!), await held(b!)];
      return x === `${a} is not in use` && y === `${b} is not in use` ? true : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 500 },
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${await held(a!)} | ${await held(b!)}`);
  });
  t.deepEqual((await h1.agent.client.listEndpoints()).endpoints, []);
  t.deepEqual((await h2.agent.client.listEndpoints()).endpoints, []);
});
