// The Docker network + IPAM driver with a real dockerd (in its own lab namespace) and the real
// plugin protocol; the agent behind the driver is a TEST DOUBLE (fixed addresses, veth by `ip`).
import test from 'ava';
import { AgentClient } from '../../src/api/index.js';
import { agentBackend, removeSpec, serveDockerPlugin, writeSpec } from '../../src/docker/index.js';
import { Dockerd, uniqueName, waitFor } from '../../src/lab/index.js';
import { labFor } from '../helpers/lab.js';
import { AgentDouble, labHost } from '../runtimes/agent-double.js';

test('docker network create -d tsroute + docker run get an agent address; docker rm releases it by handle [agent: TEST DOUBLE]', async (t) => {
  const lab = await labFor(t);
  const host = await labHost(lab);
  const agent = new AgentDouble(host, ['10.123.0.2/32', '10.123.0.3/32']);
  const agentServer = await agent.serve(lab.path('agent.sock'));
  t.teardown(() => agentServer.close());
  const client = new AgentClient(lab.path('agent.sock'), 10_000);
  t.teardown(() => client.close());

  // A unique driver name: the spec folder is shared by every dockerd on the machine.
  const name = uniqueName('docker').toLowerCase();
  const calls: string[] = [];
  const plugin = await serveDockerPlugin({
    socketPath: lab.path('plugin.sock'),
    backend: agentBackend(client),
    pluginName: name,
    onCall: ({ method, status, response }) => {
      calls.push(method);
      if (status !== 200) t.log(method, status, JSON.stringify(response));
    },
  });
  t.teardown(() => plugin.close());
  writeSpec(name, plugin.socketPath);
  t.teardown(() => removeSpec(name, plugin.socketPath));

  const dockerd = await Dockerd.start(lab, host);
  // Teardowns run last-registered first: containers go while the plugin and the agent still answer.
  t.teardown(() => dockerd.stop());
  const image = await dockerd.importBusybox();

  const withoutIpam = await dockerd.docker('network', 'create', '-d', name, 'wrong').catch((err: Error) => err);
  t.regex(String(withoutIpam), new RegExp(`needs the ${name} IPAM driver`), 'a network without our IPAM is refused');
  await dockerd.docker('network', 'create', '-d', name, '--ipam-driver', name, 'tsrnet');
  const { stdout: id } = await dockerd.docker(
    'run',
    '-d',
    '--network',
    'tsrnet',
    '--name',
    'c1',
    image,
    'sleep',
    '300',
  );
  t.truthy(id.trim());

  const { stdout: addr } = await dockerd.docker('exec', 'c1', 'ip', '-4', '-o', 'addr', 'show', 'eth0');
  t.regex(addr, /inet 10\.123\.0\.2\/32/, 'the container has the address the agent allocated');
  const { stdout: routes } = await dockerd.docker('exec', 'c1', 'ip', '-4', 'route');
  t.regex(routes, /default via 169\.254\.1\.1 dev eth0/);
  t.regex(routes, /169\.254\.1\.1 dev eth0 .*scope link/);
  t.true(await host.ping('10.123.0.2', { timeoutS: 2 }), 'the host reaches the container through the veth');
  const handle = agent.holdings()['10.123.0.2'];
  t.regex(handle ?? '', /^docker\./, 'allocated under a Docker handle');

  await dockerd.docker('rm', '-f', 'c1');
  await waitFor('the address to be released', () => Object.keys(agent.holdings()).length === 0, { timeoutMs: 5000 });
  const releases = agent.calls.filter((c) => c.method === 'releaseAddresses').map((c) => c.request);
  t.deepEqual(releases, [{ handleId: handle, addresses: [] }], 'released by handle, not by address');
  t.false(await host.ping('10.123.0.2', { timeoutS: 1 }));
  t.deepEqual(
    (await host.routes()).filter((r) => r.dst.startsWith('10.123.0.')),
    [],
    'the host route went with the endpoint',
  );
  await dockerd.docker('network', 'rm', 'tsrnet');
  for (const m of ['IpamDriver.RequestPool', 'NetworkDriver.Join', 'NetworkDriver.Leave', 'IpamDriver.ReleasePool']) {
    t.true(calls.includes(m), `Docker called ${m}`);
  }
});
