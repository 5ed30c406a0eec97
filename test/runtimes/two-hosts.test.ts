// The shape of the runtime acceptance, on two lab hosts: podman with the CNI plugin on one, dockerd
// with the Docker driver on the other, each with its own agent, and the containers ping each other
// across the hosts. The agents are TEST DOUBLES and static routes between the hosts stand in for
// BGP: the real-agent version replaces both and keeps the rest.
import test from 'ava';
import { AgentClient } from '../../src/api/index.js';
import { agentBackend, removeSpec, serveDockerPlugin, writeSpec } from '../../src/docker/index.js';
import { Dockerd, installCniPlugin, Podman, uniqueName, waitFor } from '../../src/lab/index.js';
import { labFor } from '../helpers/lab.js';
import { AgentDouble, labHost } from './agent-double.js';

test('podman container on host A and docker container on host B ping each other; rm releases both [agents: TEST DOUBLES, static routes for BGP]', async (t) => {
  const lab = await labFor(t);
  const a = await labHost(lab, 'a', '10.131.255.1');
  const b = await labHost(lab, 'b', '10.131.255.5');
  await lab.link(a, '10.131.254.1/30', b, '10.131.254.2/30', { aIf: 'to-b', bIf: 'to-a' });
  // What BGP would install: each host's block via the other host.
  await a.ip('route', 'add', '10.131.2.0/24', 'via', '10.131.254.2');
  await b.ip('route', 'add', '10.131.1.0/24', 'via', '10.131.254.1');

  const agentA = new AgentDouble(a, ['10.131.1.2/32']);
  const agentB = new AgentDouble(b, ['10.131.2.2/32']);
  const serverA = await agentA.serve(lab.path('agent-a.sock'));
  const serverB = await agentB.serve(lab.path('agent-b.sock'));
  t.teardown(() => serverA.close());
  t.teardown(() => serverB.close());

  // Host A: podman + CNI.
  installCniPlugin(lab.path('cni-bin'));
  const podman = await Podman.create(lab, a, { cniPluginDirs: [lab.path('cni-bin')] });
  t.teardown(() => podman.removeAll());
  podman.addNetwork({
    cniVersion: '1.0.0',
    name: 'tsrnet',
    plugins: [{ type: 'tsroute', agentSocket: lab.path('agent-a.sock') }],
  });

  // Host B: dockerd + the Docker driver.
  const client = new AgentClient(lab.path('agent-b.sock'), 10_000);
  t.teardown(() => client.close());
  const name = uniqueName('docker').toLowerCase();
  const plugin = await serveDockerPlugin({
    socketPath: lab.path('plugin.sock'),
    backend: agentBackend(client),
    pluginName: name,
  });
  t.teardown(() => plugin.close());
  writeSpec(name, plugin.socketPath);
  t.teardown(() => removeSpec(name, plugin.socketPath));
  const dockerd = await Dockerd.start(lab, b);
  t.teardown(() => dockerd.stop());

  const [podmanImage, dockerImage] = await Promise.all([podman.importBusybox(), dockerd.importBusybox()]);
  await dockerd.docker('network', 'create', '-d', name, '--ipam-driver', name, 'tsrnet');
  await Promise.all([
    podman.podman('run', '-d', '--name', 'ca', '--network', 'tsrnet', podmanImage, 'sleep', '300'),
    dockerd.docker('run', '-d', '--name', 'cb', '--network', 'tsrnet', dockerImage, 'sleep', '300'),
  ]);

  // waitFor: the first packet may wait for neighbour resolution on the hosts' link.
  const answers = (what: string, ping: () => Promise<unknown>) =>
    waitFor(what, async () => Boolean(await ping()), { timeoutMs: 5000 });
  await answers('podman container on A → docker container on B', () =>
    podman.podman('exec', 'ca', 'ping', '-c', '1', '-W', '1', '10.131.2.2'),
  );
  await answers('docker container on B → podman container on A', () =>
    dockerd.docker('exec', 'cb', 'ping', '-c', '1', '-W', '1', '10.131.1.2'),
  );
  t.pass('the containers reach each other across the hosts');

  await podman.podman('rm', '--force', '--time', '0', 'ca');
  await dockerd.docker('rm', '-f', 'cb');
  await waitFor(
    'both addresses to be released',
    () => Object.keys({ ...agentA.holdings(), ...agentB.holdings() }).length === 0,
    { timeoutMs: 5000 },
  );
  t.deepEqual([agentA.holdings(), agentB.holdings()], [{}, {}]);
});
