// The Docker plugin protocol on its unix socket, call by call as libnetwork makes them, without a
// dockerd: handshake, capabilities, IPAM pools and the never-allocated gateway, release by handle
// across a plugin restart, and the errors Docker shows to users. The backend is an in-memory
// recorder (the subject is the translation); dockerd.test.ts runs the same driver under a real dockerd.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { AgentClient } from '../../src/api/index.js';
import { agentBackend, type DockerBackend, serveDockerPlugin } from '../../src/docker/index.js';
import { waitFor } from '../../src/lab/index.js';

/** The fields of plugin answers the tests read. */
interface Answer {
  Err?: string;
  PoolID?: string;
  Address?: string;
  Implements?: string[];
  [key: string]: unknown;
}

function post(socketPath: string, method: string, body: object = {}): Promise<{ status: number; json: Answer }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: `/${method}`, method: 'POST', agent: false }, (res) => {
      let data = '';
      res.on('data', (c) => {
        data += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Records every backend call and hands out addresses from 10.126.0.2 upwards. */
function recorder() {
  const calls: { op: string; req: Record<string, unknown> }[] = [];
  let next = 2;
  const backend: DockerBackend = {
    allocate: async (req) => {
      calls.push({ op: 'allocate', req: { ...req } });
      return req.address ? `${req.address}/32` : `10.126.0.${next++}/32`;
    },
    release: async (req) => {
      calls.push({ op: 'release', req: { ...req } });
      return [];
    },
    attach: async (req) => {
      calls.push({ op: 'attach', req: { ...req } });
      return { hostInterface: 'tsr0123456789a', gatewayIpv4: '169.254.1.1', gatewayIpv6: '' };
    },
    detach: async (req) => {
      calls.push({ op: 'detach', req: { ...req } });
    },
  };
  return { backend, calls };
}

function tempDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsroute-docker-plugin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('handshake, capabilities and a whole container lifecycle in libnetwork order', async (t) => {
  const dir = tempDir(t);
  const { backend, calls } = recorder();
  const plugin = await serveDockerPlugin({ socketPath: join(dir, 'p.sock'), backend });
  t.teardown(() => plugin.close());
  const sock = plugin.socketPath;

  t.deepEqual((await post(sock, 'Plugin.Activate')).json, { Implements: ['NetworkDriver', 'IpamDriver'] });
  t.deepEqual((await post(sock, 'NetworkDriver.GetCapabilities')).json, {
    Scope: 'local',
    ConnectivityScope: 'global',
  });
  t.deepEqual((await post(sock, 'IpamDriver.GetDefaultAddressSpaces')).json, {
    LocalDefaultAddressSpace: 'tsroute-local',
    GlobalDefaultAddressSpace: 'tsroute-global',
  });

  const pool = (await post(sock, 'IpamDriver.RequestPool', { AddressSpace: 'tsroute-local', Pool: '', V6: false }))
    .json;
  t.deepEqual(pool, { PoolID: 'tsroute/v4/', Pool: '0.0.0.0/0', Data: {} }, 'no --subnet: every tsroute pool');
  const gateway = await post(sock, 'IpamDriver.RequestAddress', {
    PoolID: pool.PoolID,
    Options: { RequestAddressType: 'com.docker.network.gateway' },
  });
  t.is(gateway.json.Address, '169.254.1.1/32');
  t.deepEqual(calls, [], 'the gateway is never allocated');
  t.deepEqual(
    (
      await post(sock, 'NetworkDriver.CreateNetwork', {
        NetworkID: 'n1',
        IPv4Data: [{ AddressSpace: 'tsroute-local', Pool: '0.0.0.0/0', Gateway: '169.254.1.1/32' }],
      })
    ).json,
    {},
  );

  const addr = (await post(sock, 'IpamDriver.RequestAddress', { PoolID: pool.PoolID, Address: '' })).json;
  t.is(addr.Address, '10.126.0.2/32');
  const handleId = calls[0]!.req.handleId as string;
  t.regex(handleId, /^docker\.[0-9a-f]{16}$/);

  const epId = 'e'.repeat(64);
  t.deepEqual(
    (
      await post(sock, 'NetworkDriver.CreateEndpoint', {
        NetworkID: 'n1',
        EndpointID: epId,
        Interface: { Address: addr.Address },
      })
    ).json,
    { Interface: {} },
  );
  const joined = (await post(sock, 'NetworkDriver.Join', { NetworkID: 'n1', EndpointID: epId, SandboxKey: '/x' })).json;
  t.deepEqual(joined, {
    InterfaceName: { SrcName: 'tmpeeeeeeeeeee', DstPrefix: 'eth' },
    Gateway: '169.254.1.1',
    GatewayIPv6: '',
    StaticRoutes: [{ Destination: '169.254.1.1/32', RouteType: 1 }],
    DisableGatewayService: true,
  });
  t.deepEqual(calls[1], {
    op: 'attach',
    req: { endpointId: epId, peerName: 'tmpeeeeeeeeeee', addresses: ['10.126.0.2/32'], handleId, mtu: 0 },
  });
  t.deepEqual((await post(sock, 'NetworkDriver.EndpointOperInfo', { NetworkID: 'n1', EndpointID: epId })).json, {
    Value: { addresses: ['10.126.0.2/32'], hostInterface: 'tsr0123456789a' },
  });
  for (const m of ['ProgramExternalConnectivity', 'RevokeExternalConnectivity', 'Leave', 'DeleteEndpoint']) {
    const r = await post(sock, `NetworkDriver.${m}`, { NetworkID: 'n1', EndpointID: epId });
    t.deepEqual([r.status, r.json], [200, {}], m);
  }
  await post(sock, 'IpamDriver.ReleaseAddress', { PoolID: pool.PoolID, Address: '10.126.0.2' });
  await post(sock, 'IpamDriver.ReleaseAddress', { PoolID: pool.PoolID, Address: '169.254.1.1' });
  t.deepEqual(
    calls.slice(2).map((c) => c.op),
    ['detach', 'detach', 'release'],
  );
  t.deepEqual(calls.at(-1)!.req, { handleId }, 'released by its handle');
});

test('pools: --subnet and --ipam-opt tsroute.pool select tsroute pools, --ip-range is refused', async (t) => {
  const dir = tempDir(t);
  const { backend, calls } = recorder();
  const plugin = await serveDockerPlugin({ socketPath: join(dir, 'p.sock'), backend });
  t.teardown(() => plugin.close());
  const sock = plugin.socketPath;

  const bySubnet = (await post(sock, 'IpamDriver.RequestPool', { Pool: '10.65.0.0/16', V6: false })).json;
  t.deepEqual(bySubnet, { PoolID: 'tsroute/v4/10.65.0.0/16', Pool: '10.65.0.0/16', Data: {} });
  const byName = (await post(sock, 'IpamDriver.RequestPool', { Options: { 'tsroute.pool': 'blue' }, V6: true })).json;
  t.deepEqual(byName, { PoolID: 'tsroute/v6/blue', Pool: '::/0', Data: {} });
  await post(sock, 'IpamDriver.RequestAddress', { PoolID: byName.PoolID });
  t.like(calls[0]!.req, { family: 'ipv6', pools: ['blue'] });
  await post(sock, 'IpamDriver.RequestAddress', { PoolID: bySubnet.PoolID, Address: '10.65.0.9' });
  t.like(calls[1]!.req, { family: 'ipv4', pools: ['10.65.0.0/16'], address: '10.65.0.9' });

  const range = await post(sock, 'IpamDriver.RequestPool', { Pool: '10.65.0.0/16', SubPool: '10.65.1.0/24' });
  t.is(range.status, 500);
  t.regex(String(range.json.Err), /does not support --ip-range/);
});

test('errors Docker shows: foreign IPAM, unknown endpoint, unknown method, agent not running', async (t) => {
  const dir = tempDir(t);
  const client = new AgentClient(join(dir, 'no-agent.sock'), 2000);
  t.teardown(() => client.close());
  const plugin = await serveDockerPlugin({ socketPath: join(dir, 'p.sock'), backend: agentBackend(client) });
  t.teardown(() => plugin.close());
  const sock = plugin.socketPath;

  const foreign = await post(sock, 'NetworkDriver.CreateNetwork', {
    NetworkID: 'n1',
    IPv4Data: [{ AddressSpace: 'LocalDefault', Pool: '172.18.0.0/16' }],
  });
  t.is(foreign.status, 500);
  t.regex(String(foreign.json.Err), /docker network create -d tsroute --ipam-driver tsroute NAME/);

  const joined = await post(sock, 'NetworkDriver.Join', {
    NetworkID: 'n1',
    EndpointID: 'f'.repeat(64),
    SandboxKey: '/x',
  });
  t.regex(String(joined.json.Err), /endpoint ffffffffffff is unknown/);

  const unknown = await post(sock, 'NetworkDriver.AllocateNetwork', {});
  t.is(unknown.status, 404, 'libnetwork reads 404 as "optional call not supported"');

  const noAgent = await post(sock, 'IpamDriver.RequestAddress', { PoolID: 'tsroute/v4/' });
  t.is(noAgent.status, 500);
  t.regex(String(noAgent.json.Err), /is "tsroute node run" running\?/);
});

test('a restarted plugin still releases by handle (state file)', async (t) => {
  const dir = tempDir(t);
  const stateFile = join(dir, 'state.json');
  const first = recorder();
  let plugin = await serveDockerPlugin({ socketPath: join(dir, 'p.sock'), backend: first.backend, stateFile });
  await post(plugin.socketPath, 'IpamDriver.RequestAddress', { PoolID: 'tsroute/v4/' });
  const handleId = first.calls[0]!.req.handleId;
  await plugin.close();

  const second = recorder();
  plugin = await serveDockerPlugin({ socketPath: join(dir, 'p.sock'), backend: second.backend, stateFile });
  t.teardown(() => plugin.close());
  await post(plugin.socketPath, 'IpamDriver.ReleaseAddress', { PoolID: 'tsroute/v4/', Address: '10.126.0.2' });
  t.deepEqual(second.calls, [{ op: 'release', req: { handleId } }]);
  // An address the state never saw (state lost): released by address, the agent checks it.
  await post(plugin.socketPath, 'IpamDriver.ReleaseAddress', { PoolID: 'tsroute/v4/', Address: '10.126.0.77' });
  t.deepEqual(second.calls[1], { op: 'release', req: { addresses: ['10.126.0.77'] } });
});

test('tsroute-docker-plugin executable: registers its spec, serves, removes the spec on SIGTERM', async (t) => {
  const dir = tempDir(t);
  const main = new URL('../../src/docker/main.ts', import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      main,
      '--name',
      'tsrtest',
      '--socket',
      join(dir, 'p.sock'),
      '--spec-dir',
      join(dir, 'plugins'),
      '--state-file',
      join(dir, 'state.json'),
      '--agent-socket',
      join(dir, 'agent.sock'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  t.teardown(() => child.kill('SIGKILL'));
  const spec = join(dir, 'plugins', 'tsrtest.spec');
  await waitFor('the spec file', () => existsSync(spec), { timeoutMs: 10_000 });
  t.is(readFileSync(spec, 'utf8'), `unix://${join(dir, 'p.sock')}\n`);
  t.deepEqual((await post(join(dir, 'p.sock'), 'Plugin.Activate')).json.Implements, ['NetworkDriver', 'IpamDriver']);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  t.is(await exited, 0);
  t.false(existsSync(spec), 'the spec is gone, so Docker does not call a dead socket');
});
