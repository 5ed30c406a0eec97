// The agent's gRPC API as a transport: requests and answers cross the unix socket intact, agent
// errors keep their code, events stream, and a missing agent is one clear error.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  AgentCallError,
  AgentClient,
  AgentError,
  type AgentService,
  AgentUnavailableError,
  type Endpoint,
  type Event,
  serveAgent,
} from '../../src/api/index.js';

const endpoint = (containerId: string): Endpoint => ({
  containerId,
  interface: 'eth0',
  netns: '/run/netns/x',
  handleId: `${containerId}.eth0`,
  addresses: ['10.65.3.7/32'],
  hostInterface: 'tsr0123456789a',
  mac: '02:00:00:00:00:01',
  containerIfindex: 2,
  gatewayIpv4: '169.254.1.1',
  gatewayIpv6: '',
  node: 'host-a',
  workload: 'web',
  labels: { app: 'web' },
  createdUnixMs: 1_700_000_000_000,
});

/** A minimal in-memory service: this test is about the transport, not the agent behind it. */
function memoryService(): AgentService {
  const endpoints = new Map<string, Endpoint>();
  const notImplemented = async () => {
    throw new AgentError('FAILED_PRECONDITION', 'not in this test');
  };
  return {
    addEndpoint: async (req) => {
      if (!req.containerId) throw new AgentError('INVALID_ARGUMENT', 'container_id is required');
      const ep = endpoint(req.containerId);
      endpoints.set(req.containerId, ep);
      return ep;
    },
    deleteEndpoint: async (req) => ({ existed: endpoints.delete(req.containerId), released: [] }),
    checkEndpoint: notImplemented,
    listEndpoints: async () => ({ endpoints: [...endpoints.values()] }),
    allocateAddresses: notImplemented,
    releaseAddresses: notImplemented,
    getStatus: notImplemented,
    listPeers: notImplemented,
    listRoutes: notImplemented,
    addPath: notImplemented,
    deletePath: notImplemented,
    resetPeer: notImplemented,
    shutdownPeer: notImplemented,
    enablePeer: notImplemented,
    watchEvents: (_req, emit, signal) => {
      let n = 0;
      const timer = setInterval(
        () => emit({ timeUnixMs: ++n, endpoint: { kind: 'added', endpoint: endpoint(`c${n}`) } }),
        10,
      );
      signal.addEventListener('abort', () => clearInterval(timer));
    },
  };
}

test('unary calls, error codes, event stream and socket permissions over the unix socket', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsroute-api-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'agent.sock');
  const server = await serveAgent(memoryService(), socket);
  t.teardown(() => server.close());
  t.is(statSync(socket).mode & 0o777, 0o600, 'only root (the owner) may open the socket');

  const client = new AgentClient(socket, 5000);
  t.teardown(() => client.close());
  const ep = await client.addEndpoint({ containerId: 'abc', netns: '/run/netns/x', labels: { app: 'web' } });
  t.deepEqual(ep, endpoint('abc'));
  t.deepEqual(
    (await client.listEndpoints()).endpoints.map((e) => e.containerId),
    ['abc'],
  );
  t.deepEqual(await client.deleteEndpoint({ containerId: 'abc' }), { existed: true, released: [] });
  t.deepEqual(await client.deleteEndpoint({ containerId: 'abc' }), { existed: false, released: [] });

  const err = await t.throwsAsync(client.addEndpoint({ containerId: '', netns: '' }), { instanceOf: AgentCallError });
  t.is(err?.code, 'INVALID_ARGUMENT');
  t.is(err?.message, 'container_id is required');

  const events: Event[] = [];
  await new Promise<void>((resolve) => {
    const stop = client.watchEvents({ endpoints: true }, (e) => {
      events.push(e);
      if (events.length === 3) {
        stop();
        resolve();
      }
    });
  });
  t.deepEqual(
    events.map((e) => [e.event, e.endpoint?.endpoint.containerId]),
    [
      ['endpoint', 'c1'],
      ['endpoint', 'c2'],
      ['endpoint', 'c3'],
    ],
  );

  await t.throwsAsync(serveAgent(memoryService(), socket), { message: /already listens/ });
});

test('a missing agent is one clear error within the deadline', async (t) => {
  const client = new AgentClient('/run/tsroute-test-no-such-dir/agent.sock', 1000);
  t.teardown(() => client.close());
  const err = await t.throwsAsync(client.listEndpoints(), { instanceOf: AgentUnavailableError });
  t.regex(err!.message, /is "tsroute node run" running\?/);
});
