// Real runtimes on real agents: two lab hosts in an iBGP mesh, each running `tsroute node run`;
// podman (CNI, our plugin) on both, and dockerd (our network + IPAM drivers) on both. The containers
// get addresses from their own host's block, reach each other across the hosts over BGP-learned
// routes, and removing them releases their addresses in IPAM (`tsroute ipam show`).
import test, { type ExecutionContext } from 'ava';
import { AgentClient } from '../../src/api/index.js';
import { agentBackend, removeSpec, serveDockerPlugin, writeSpec } from '../../src/docker/index.js';
import { tsroute } from '../../src/lab/agent.js';
import type { Host } from '../../src/lab/cluster.js';
import { Dockerd, type Etcd, installCniPlugin, type Lab, Podman, uniqueName, waitFor } from '../../src/lab/index.js';
import { allSessionsUp, meshCluster } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

type Exec = (...args: string[]) => Promise<{ stdout: string }>;

async function addressOf(exec: Exec, name: string): Promise<string> {
  const out = (await exec('exec', name, 'ip', '-4', '-o', 'addr', 'show', 'eth0')).stdout;
  const a = /inet (10\.65\.\d+\.\d+)\/32/.exec(out)?.[1];
  if (!a) throw new Error(`${name} has no pool address: ${out}`);
  return a;
}

async function inOwnBlock(t: ExecutionContext, host: Host, address: string): Promise<void> {
  const blocks = (await host.agent.status()).blocks.filter((b) => !b.borrowed).map((b) => b.cidr);
  const ip = address.split('.').map(Number);
  const inside = blocks.some((cidr) => {
    const [base, len] = cidr.split('/') as [string, string];
    const b = base.split('.').map(Number);
    const n = (x: number[]) => ((x[0]! << 24) | (x[1]! << 16) | (x[2]! << 8) | x[3]!) >>> 0;
    const mask = Number(len) === 0 ? 0 : (0xffffffff << (32 - Number(len))) >>> 0;
    return (n(ip) & mask) >>> 0 === n(b);
  });
  t.true(inside, `${address} is in one of ${host.name}'s blocks (${blocks.join(', ')})`);
}

async function pingAcross(exec: [Exec, Exec], names: [string, string], addresses: [string, string]): Promise<void> {
  for (const [i, j] of [
    [0, 1],
    [1, 0],
  ] as const) {
    await waitFor(
      `${names[i]} → ${names[j]}`,
      async () =>
        Boolean(await exec[i]('exec', names[i], 'ping', '-c', '1', '-W', '1', addresses[j]).catch(() => false)),
      { timeoutMs: 15_000, intervalMs: 250 },
    );
  }
}

async function released(etcd: Etcd, addresses: string[]): Promise<void> {
  const held = async (a: string) =>
    (await tsroute(['ipam', 'show', '--ip', a, '--etcd-endpoints', etcd.endpoint])).stdout.trim();
  await waitFor(
    'the addresses released in IPAM',
    async () => {
      for (const a of addresses) if ((await held(a)) !== `${a} is not in use`) return undefined;
      return true;
    },
    { timeoutMs: 15_000, intervalMs: 500 },
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${(await Promise.all(addresses.map(held))).join(' | ')}`);
  });
}

async function twoHosts(t: ExecutionContext): Promise<{ lab: Lab; hosts: [Host, Host]; etcd: Etcd }> {
  const lab = await labFor(t);
  const { hosts, etcd } = await meshCluster(lab, { count: 2 });
  await allSessionsUp(hosts, 1);
  return { lab, hosts: hosts as [Host, Host], etcd };
}

test('podman with the tsroute CNI plugin on two hosts running the agent', async (t) => {
  const { lab, hosts, etcd } = await twoHosts(t);
  installCniPlugin(lab.path('cni-bin'));
  const podmans = await Promise.all(
    hosts.map(async (h) => {
      const p = await Podman.create(lab, h.ns, { name: `podman-${h.name}`, cniPluginDirs: [lab.path('cni-bin')] });
      t.teardown(() => p.removeAll());
      p.addNetwork({
        cniVersion: '1.0.0',
        name: 'tsrnet',
        plugins: [{ type: 'tsroute', agentSocket: h.agent.apiSocket }],
      });
      return p;
    }),
  );
  const images = await Promise.all(podmans.map((p) => p.importBusybox()));
  await Promise.all(
    podmans.map((p, i) => p.podman('run', '-d', '--name', `c${i}`, '--network', 'tsrnet', images[i]!, 'sleep', '300')),
  );
  const exec: [Exec, Exec] = [(...a) => podmans[0]!.podman(...a), (...a) => podmans[1]!.podman(...a)];
  const addresses: [string, string] = [await addressOf(exec[0], 'c0'), await addressOf(exec[1], 'c1')];
  await inOwnBlock(t, hosts[0], addresses[0]);
  await inOwnBlock(t, hosts[1], addresses[1]);
  await pingAcross(exec, ['c0', 'c1'], addresses);
  await Promise.all(podmans.map((p, i) => p.podman('rm', '--force', '--time', '0', `c${i}`)));
  await released(etcd, addresses);
  for (const h of hosts) t.deepEqual((await h.agent.client.listEndpoints()).endpoints, []);
});

test('docker with the tsroute network and IPAM drivers on two hosts running the agent', async (t) => {
  const { lab, hosts, etcd } = await twoHosts(t);
  const dockers = await Promise.all(
    hosts.map(async (h) => {
      const client = new AgentClient(h.agent.apiSocket, 10_000);
      t.teardown(() => client.close());
      const driver = uniqueName(`docker-${h.name}`).toLowerCase();
      const plugin = await serveDockerPlugin({
        socketPath: lab.path(`plugin-${h.name}.sock`),
        backend: agentBackend(client),
        pluginName: driver,
      });
      t.teardown(() => plugin.close());
      writeSpec(driver, plugin.socketPath);
      t.teardown(() => removeSpec(driver, plugin.socketPath));
      const dockerd = await Dockerd.start(lab, h.ns, { name: `dockerd-${h.name}` });
      t.teardown(() => dockerd.stop());
      const image = await dockerd.importBusybox();
      await dockerd.docker('network', 'create', '-d', driver, '--ipam-driver', driver, 'tsrnet');
      return { dockerd, image };
    }),
  );
  await Promise.all(
    dockers.map((d, i) =>
      d.dockerd.docker('run', '-d', '--name', `c${i}`, '--network', 'tsrnet', d.image, 'sleep', '300'),
    ),
  );
  const exec: [Exec, Exec] = [(...a) => dockers[0]!.dockerd.docker(...a), (...a) => dockers[1]!.dockerd.docker(...a)];
  const addresses: [string, string] = [await addressOf(exec[0], 'c0'), await addressOf(exec[1], 'c1')];
  await inOwnBlock(t, hosts[0], addresses[0]);
  await inOwnBlock(t, hosts[1], addresses[1]);
  await pingAcross(exec, ['c0', 'c1'], addresses);
  await Promise.all(dockers.map((d, i) => d.dockerd.docker('rm', '-f', `c${i}`)));
  await released(etcd, addresses);
  for (const h of hosts) t.deepEqual((await h.agent.client.listEndpoints()).endpoints, []);
});
