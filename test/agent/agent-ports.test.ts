// The whole Agent through its ports: an in-memory datastore, a scripted IPAM, a recording dataplane
// and a speaker on a free port with no peers. Fast (no etcd, no namespaces); the event orders are
// played by the test. The same flows against real etcd, kernels and routers are in lifecycle.test.ts.
import test from 'ava';
import { pino } from 'pino';
import { Agent } from '../../src/agent/agent.js';
import { BgpController } from '../../src/agent/bgp-controller.js';
import type { AgentConfig } from '../../src/agent/config.js';
import { type IpamChange, NO_IPAM_CHANGE } from '../../src/agent/endpoints.js';
import { AgentMetrics } from '../../src/agent/metrics.js';
import type { Dataplane, IpamView } from '../../src/agent/ports.js';
import { AgentError } from '../../src/api/types.js';
import type { Datastore } from '../../src/datastore/index.js';
import { API_VERSION } from '../../src/model/index.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

/** etcd as a map of kind → name → resource; no events (the agent re-reads on its timer). */
function memoryDatastore(): Datastore {
  const store = new Map<string, Map<string, { kind: string; metadata: { name: string } }>>();
  const kind = (k: string) => store.get(k) ?? store.set(k, new Map()).get(k)!;
  const put = <R extends { kind: string; metadata: { name: string } }>(r: R) => {
    kind(r.kind).set(r.metadata.name, structuredClone(r));
    return r;
  };
  put({
    apiVersion: API_VERSION,
    kind: 'IPPool',
    metadata: { name: 'p' },
    spec: { cidr: '10.65.0.0/16', blockSize: 26 },
  } as never);
  return {
    get: async (k: string, name: string) => structuredClone(kind(k).get(name)),
    list: async (k: string) => [...kind(k).values()].map((r) => structuredClone(r)),
    create: async (r: never) => put(r),
    update: async (r: never) => put(r),
    apply: async (r: never) => ({ resource: put(r), created: false }),
    delete: async (k: string, name: string) => kind(k).delete(name),
    watch: async () => async () => {},
    kv: { watch: async () => async () => {} },
  } as unknown as Datastore;
}

/** IPAM whose answers the test scripts; counts the affinity reads. */
class ScriptedIpam implements IpamView {
  affinityReads = 0;
  blocks: string[] = [];
  /** Set to hold the next affinity read until the test resolves it. */
  nextRead?: ReturnType<typeof deferred<string[]>>;
  allocations: (() => Promise<IpamChange>)[] = [];
  async allocate(): Promise<IpamChange> {
    const next = this.allocations.shift();
    if (!next) throw new Error('unexpected allocation');
    return next();
  }
  releaseHandle = async () => NO_IPAM_CHANGE;
  releaseAddresses = async () => NO_IPAM_CHANGE;
  addressesOf = async () => [];
  async affineBlocks(): Promise<string[]> {
    this.affinityReads++;
    const held = this.nextRead;
    this.nextRead = undefined;
    return held ? held.promise : [...this.blocks];
  }
  blockUsage = async () => [];
  routeOwners = async () => ({ blocks: [], borrowed: [] });
  releaseEmptyBlocks = async () => NO_IPAM_CHANGE;
}

function recordingDataplane() {
  const seen = { blackholes: [] as string[], learnedCalls: 0 };
  const dataplane: Dataplane = {
    wiring: {
      add: async (spec) => ({ mac: spec.mac ?? '', containerIfindex: 2 }),
      remove: async () => true,
      check: async () => [],
    },
    routes: {
      start: async () => ({ preserved: false }),
      setBlackholes: (p) => {
        seen.blackholes = [...p].sort();
      },
      setLearned: () => seen.learnedCalls++,
      updateLearned: () => seen.learnedCalls++,
      setNatOutgoing: async () => {},
      connectedPrefixes: async () => [],
      kernelRoutes: async () => [],
      ownedRouteCount: () => 0,
      stop: async () => {},
    },
  };
  return { dataplane, seen };
}

async function startAgent(t: import('ava').ExecutionContext, ipam: ScriptedIpam) {
  const { dataplane, seen } = recordingDataplane();
  const config = {
    nodeName: 'a',
    etcdEndpoints: [],
    bgpAddress4: '127.0.0.1',
    apiSocket: '',
    metricsPort: 0,
    metricsHost: '127.0.0.1',
    logLevel: 'error',
    labels: {},
    resyncIntervalMs: 3_600_000, // the test runs the resync itself
    emptyBlockGraceMs: 300_000,
    statusIntervalMs: 3_600_000,
    statusTtlS: 30,
    leakGraceMs: 60_000,
    leakCheckIntervalMs: 3_600_000,
  } as AgentConfig;
  const metrics = new AgentMetrics();
  const agent = new Agent({
    config,
    log: pino({ level: 'silent' }),
    metrics,
    datastore: memoryDatastore(),
    ipam,
    dataplane,
    version: 'test',
    // a real speaker with no peers, on a free port of its own
    newBgpController: (o) => new BgpController({ ...o, listenPort: 0 }),
  });
  await agent.start();
  // the speaker listens in the background: wait, so the teardown's stop closes the listener
  for (const end = Date.now() + 10_000; agent.bgp?.speaker.listenPort === undefined; ) {
    if (Date.now() > end) throw new Error('the speaker did not listen within 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  t.teardown(async () => {
    await agent.stop();
    await agent.bgp?.stop('test over');
    await metrics.close();
  });
  const announced = () => [...(agent.bgp?.announcedPrefixes() ?? [])].sort();
  return { agent, seen, announced, resync: () => (agent as unknown as { resync(): Promise<void> }).resync() };
}

const add = (id: string) => ({
  containerId: id,
  ifName: 'eth0',
  netnsPath: '',
  ipv4Count: 1,
  ipv6Count: 0,
  addresses: [],
  pools: [],
});
const allocated =
  (address: string, claimedBlocks: string[] = []) =>
  async () => ({
    addresses: [address],
    claimedBlocks,
    releasedBlocks: [],
  });

test('AddEndpoint takes its blocks from the allocation: no affinity re-read, 20 adds or not', async (t) => {
  const ipam = new ScriptedIpam();
  const { agent, seen, announced } = await startAgent(t, ipam);
  const readsAtStart = ipam.affinityReads;
  ipam.allocations.push(allocated('10.65.0.1', ['10.65.0.0/26']));
  for (let i = 2; i <= 20; i++) ipam.allocations.push(allocated(`10.65.0.${i}`));
  for (let i = 1; i <= 20; i++) await agent.endpoints.add(add(`c${i}`));
  t.is(ipam.affinityReads, readsAtStart, 'etcd was not asked what the allocations already said');
  t.deepEqual(seen.blackholes, ['10.65.0.0/26']);
  t.deepEqual(announced(), ['10.65.0.0/26']);
});

test('an endpoint added during a resync: the new block stays announced when the older read answers', async (t) => {
  const ipam = new ScriptedIpam();
  ipam.blocks = ['10.65.0.0/26'];
  const { agent, seen, announced } = await startAgent(t, ipam);
  const read = deferred<string[]>();
  ipam.nextRead = read;
  const resync = (agent as unknown as { resync(): Promise<void> }).resync();
  ipam.allocations.push(allocated('10.65.1.1', ['10.65.1.0/26']));
  await agent.endpoints.add(add('c1'));
  read.resolve(['10.65.0.0/26']); // what etcd had when the resync began
  await resync;
  t.deepEqual(seen.blackholes, ['10.65.0.0/26', '10.65.1.0/26']);
  t.deepEqual(announced(), ['10.65.0.0/26', '10.65.1.0/26']);
});

test('etcd lost mid-claim: nothing announced for the failed add; the claim arrives with the next one', async (t) => {
  const ipam = new ScriptedIpam();
  const { agent, seen, announced } = await startAgent(t, ipam);
  ipam.allocations.push(async () => {
    throw new AgentError('UNAVAILABLE', 'etcd unavailable');
  });
  ipam.allocations.push(allocated('10.65.0.1', ['10.65.0.0/26']));
  await t.throwsAsync(agent.endpoints.add(add('c1')), { message: /etcd unavailable/ });
  t.deepEqual(agent.endpoints.list(), []);
  t.deepEqual(announced(), []);
  await agent.endpoints.add(add('c2'));
  t.deepEqual(seen.blackholes, ['10.65.0.0/26']);
  t.deepEqual(announced(), ['10.65.0.0/26'], 'the block, not a /32 for its address');
});

test('an address borrowed from another host is announced as a /32 and withdrawn with its endpoint', async (t) => {
  const ipam = new ScriptedIpam();
  ipam.blocks = ['10.65.0.0/26'];
  const { agent, seen, announced } = await startAgent(t, ipam);
  ipam.allocations.push(allocated('10.65.9.9'));
  await agent.endpoints.add(add('c1'));
  t.deepEqual(announced(), ['10.65.0.0/26', '10.65.9.9/32']);
  t.deepEqual(seen.blackholes, ['10.65.0.0/26'], 'no blackhole for a borrowed address');
  await agent.endpoints.delete('c1', 'eth0');
  t.deepEqual(announced(), ['10.65.0.0/26']);
});
