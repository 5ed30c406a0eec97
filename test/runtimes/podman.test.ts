// Smoke test with real podman (CNI backend): the tsroute CNI plugin executable wires a container
// through the agent API. The agent is a TEST DOUBLE (fixed addresses, veth by `ip`).
import { readFileSync } from 'node:fs';
import test from 'ava';
import { installCniPlugin, Podman, waitFor } from '../../src/lab/index.js';
import { labFor } from '../helpers/lab.js';
import { AgentDouble, labHost } from './agent-double.js';

test('podman run on a tsroute network (examples/cni/tsroute.conflist, chained with portmap) gets an agent address, podman rm releases it [agent: TEST DOUBLE]', async (t) => {
  const lab = await labFor(t);
  const host = await labHost(lab);
  const agent = new AgentDouble(host, ['10.124.0.2/32', '10.124.0.3/32']);
  const socket = lab.path('agent.sock');
  const server = await agent.serve(socket);
  t.teardown(() => server.close());

  installCniPlugin(lab.path('cni-bin'));
  const podman = await Podman.create(lab, host, { cniPluginDirs: [lab.path('cni-bin')] });
  // Teardowns run last-registered first: containers go (CNI DEL) while the agent still answers.
  t.teardown(() => podman.removeAll());
  // The shipped example, as a user would install it, pointed at this test's agent socket.
  const example = JSON.parse(readFileSync(new URL('../../examples/cni/tsroute.conflist', import.meta.url), 'utf8'));
  example.name = 'tsrnet';
  example.plugins[0].agentSocket = socket;
  podman.addNetwork(example);
  const image = await podman.importBusybox();

  const { stdout } = await podman.podman('run', '-d', '--name', 'c1', '--network', 'tsrnet', image, 'sleep', '300');
  const id = stdout.trim();
  const { stdout: addr } = await podman.podman('exec', 'c1', 'ip', '-4', '-o', 'addr', 'show', 'eth0');
  t.regex(addr, /inet 10\.124\.0\.2\/32/, 'the container has the address the agent allocated');
  const { stdout: routes } = await podman.podman('exec', 'c1', 'ip', '-4', 'route');
  t.regex(routes, /default via 169\.254\.1\.1 dev eth0/);
  t.true(await host.ping('10.124.0.2', { timeoutS: 2 }), 'the host reaches the container');
  t.deepEqual(agent.holdings(), { '10.124.0.2': `cni.tsrnet.${id}.eth0` }, 'held under the CNI handle');

  await podman.podman('rm', '--force', '--time', '0', 'c1');
  await waitFor('the address to be released', () => Object.keys(agent.holdings()).length === 0, { timeoutMs: 5000 });
  t.true(
    agent.calls.some((c) => c.method === 'deleteEndpoint'),
    'podman rm ran the plugin DEL, which deleted the endpoint',
  );
  t.false(await host.ping('10.124.0.2', { timeoutS: 1 }));
});
