// The agent's pipeline under the event orders that matter, through its ports: stand-ins for the
// datastore (etcd), IPAM and the dataplane, whose calls the test resolves in the order it wants.
// Fast: no etcd, no namespaces, no speaker. (Speaker-side orders — a peer changed during graceful
// restart — are in learned-routes.test.ts; the same orders against real parts are in
// test/agent/lifecycle.test.ts and test/ipam/ipam.test.ts.)
import test from 'ava';
import { pino } from 'pino';
import { ClusterState } from '../../src/agent/cluster-state.js';
import {
  type AddressAllocator,
  EndpointManager,
  type EndpointWiring,
  type IpamChange,
  NO_IPAM_CHANGE,
} from '../../src/agent/endpoints.js';
import { addressPlan, clusterPlan } from '../../src/agent/host-state.js';
import { OwnBlocks } from '../../src/agent/own-blocks.js';
import { AgentError } from '../../src/api/types.js';
import type { Datastore } from '../../src/datastore/index.js';
import { API_VERSION, type IPPool } from '../../src/model/index.js';

const log = pino({ level: 'silent' });

/** A promise the test resolves (or rejects) when it wants. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const pool: IPPool = {
  apiVersion: API_VERSION,
  kind: 'IPPool',
  metadata: { name: 'p' },
  spec: { cidr: '10.65.0.0/16', blockSize: 26 },
} as IPPool;
const plan = clusterPlan({
  cluster: { pools: [pool], nodes: [], peers: [], filters: [], configs: [] },
  settings: { nodeName: 'a', logLevel: 'info' },
  readPassword: () => ({ password: undefined }),
});

/** Records, endpoints and wiring that always succeed; IPAM answers from a script. */
function endpointHarness(allocate: AddressAllocator['allocate']) {
  const records = new Map<string, unknown>();
  const datastore = {
    list: async () => [],
    create: async (r: { metadata: { name: string } }) => {
      records.set(r.metadata.name, r);
      return r;
    },
    apply: async (r: { metadata: { name: string } }) => {
      records.set(r.metadata.name, r);
      return { resource: r, created: false };
    },
    delete: async (_k: string, name: string) => records.delete(name),
    createPut: (r: { metadata: { name: string } }) => ({ key: r.metadata.name, value: r }),
  } as unknown as Datastore;
  const wired = new Set<string>();
  /** Every wiring call in order: "add 10.65.0.1", "remove". */
  const wiringCalls: string[] = [];
  const wiring: EndpointWiring = {
    add: async (spec) => {
      wiringCalls.push(`add ${spec.addresses.join(',')}`);
      await Promise.resolve();
      wired.add(spec.hostIfName);
      return { mac: spec.mac ?? '', containerIfindex: 2 };
    },
    remove: async (spec) => {
      wiringCalls.push('remove');
      return wired.delete(spec.hostIfName);
    },
    check: async () => [],
  };
  const released: string[] = [];
  const ipam: AddressAllocator = {
    allocate,
    releaseHandle: async (h) => {
      released.push(h);
      return NO_IPAM_CHANGE;
    },
    releaseAddresses: async () => NO_IPAM_CHANGE,
    addressesOf: async () => [],
  };
  const own = new OwnBlocks();
  const endpoints = new EndpointManager(
    'a',
    datastore,
    ipam,
    wiring,
    log,
    (_kind, _e, change) => own.apply(change),
    (change) => own.apply(change),
  );
  /** What the host announces and blackholes now, as the agent derives it. */
  const state = () => {
    const s = addressPlan(plan, {
      ownBlocks: own.list,
      endpointAddresses: endpoints.addresses(),
      extraPaths: [],
    });
    return { announced: [...s.announcements.keys()], blackholes: s.blackholes };
  };
  return { endpoints, own, state, records, wired, wiringCalls, released };
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

test('an endpoint added during a resync: the re-read that began before its block was claimed does not undo it', async (t) => {
  const h = endpointHarness(async () => ({
    addresses: ['10.65.0.66'],
    claimedBlocks: ['10.65.0.64/26'],
    releasedBlocks: [],
  }));
  await h.own.refresh(async () => ['10.65.0.0/26']);
  // the resync's read of the affinities is in flight ...
  const read = deferred<string[]>();
  const resync = h.own.refresh(() => read.promise);
  // ... when an AddEndpoint claims a new block
  await h.endpoints.add(add('c1'));
  t.deepEqual(h.state().blackholes, ['10.65.0.0/26', '10.65.0.64/26']);
  // the read answers with what etcd had when it began: without the new block
  read.resolve(['10.65.0.0/26']);
  await resync;
  t.deepEqual(h.state().blackholes, ['10.65.0.0/26', '10.65.0.64/26'], 'the new block stays blackholed');
  t.deepEqual(h.state().announced, ['10.65.0.0/25'], 'and announced (aggregated with its sibling)');
  // the next resync, begun after the claim, agrees
  await h.own.refresh(async () => ['10.65.0.0/26', '10.65.0.64/26']);
  t.deepEqual(h.state().blackholes, ['10.65.0.0/26', '10.65.0.64/26']);
});

test('etcd lost mid-claim: the failed add leaves nothing behind; the block it claimed arrives with the next add', async (t) => {
  let call = 0;
  const h = endpointHarness(async () => {
    call++;
    // IPAM claimed 10.65.0.0/26, then lost etcd while filling it: the request fails
    if (call === 1) throw new AgentError('UNAVAILABLE', 'etcd unavailable');
    // the next allocation names the claim no result has named yet (Ipam.takeClaims)
    return { addresses: ['10.65.0.1'], claimedBlocks: ['10.65.0.0/26'], releasedBlocks: [] } satisfies IpamChange;
  });
  const err = await t.throwsAsync(h.endpoints.add(add('c1')));
  t.is((err as AgentError).code, 'UNAVAILABLE');
  t.deepEqual(h.endpoints.list(), [], 'no endpoint');
  t.is(h.records.size, 0, 'no record');
  t.is(h.wired.size, 0, 'no veth');
  t.deepEqual(h.state(), { announced: [], blackholes: [] });
  const e = await h.endpoints.add(add('c2'));
  t.deepEqual(e.addresses, ['10.65.0.1/32']);
  t.deepEqual(h.state(), { announced: ['10.65.0.0/26'], blackholes: ['10.65.0.0/26'] }, 'a block, not a /32');
});

test('a failed add that claimed a block (wiring failed) still hands the block to the agent', async (t) => {
  const h = endpointHarness(async () => ({
    addresses: ['10.65.0.1'],
    claimedBlocks: ['10.65.0.0/26'],
    releasedBlocks: [],
  }));
  (h.endpoints as unknown as { wiring: EndpointWiring }).wiring.add = async () => {
    throw new Error('no such netns');
  };
  await t.throwsAsync(h.endpoints.add(add('c1')), { message: /wiring c1\/eth0 failed/ });
  t.deepEqual(h.released, ['c1.eth0'], 'the address is released');
  t.deepEqual(h.state().blackholes, ['10.65.0.0/26'], 'the block stays ours (given back after its empty grace)');
});

test('two overlapping block re-reads: the older answer, arriving last, does not replace the newer', async (t) => {
  const own = new OwnBlocks();
  const older = deferred<string[]>();
  const newer = deferred<string[]>();
  const first = own.refresh(() => older.promise);
  const second = own.refresh(() => newer.promise);
  newer.resolve(['10.65.0.0/26']); // the leak check gave back 10.65.0.64/26 in between
  await second;
  older.resolve(['10.65.0.0/26', '10.65.0.64/26']);
  await first;
  t.deepEqual(own.list, ['10.65.0.0/26']);
});

test('two overlapping cluster reads: the older picture, arriving last, does not replace the newer', async (t) => {
  const answers: ReturnType<typeof deferred<IPPool[]>>[] = [];
  const datastore = {
    list: (kind: string) => {
      if (kind !== 'IPPool') return Promise.resolve([]);
      const d = deferred<IPPool[]>();
      answers.push(d);
      return d.promise;
    },
  } as unknown as Datastore;
  const cluster = new ClusterState(datastore, log, 60_000);
  const changes: string[][] = [];
  cluster.on('change', (s) => changes.push(s.pools.map((p) => p.spec.cidr)));
  const timerRead = cluster.reload(); // the periodic re-read ...
  const watchRead = cluster.reload(); // ... and one for a watch event, started after a pool was added
  const added = { ...pool, metadata: { name: 'q' }, spec: { cidr: '10.66.0.0/16', blockSize: 26 } } as IPPool;
  answers[1]!.resolve([pool, added]);
  t.true(await watchRead);
  answers[0]!.resolve([pool]);
  t.true(await timerRead);
  t.deepEqual(
    cluster.snapshot.pools.map((p) => p.spec.cidr),
    ['10.65.0.0/16', '10.66.0.0/16'],
  );
  t.deepEqual(changes, [['10.65.0.0/16', '10.66.0.0/16']], 'one change, never back to the old picture');
});

// The wiring runs while IPAM's transaction records the addresses (EndpointManager.addLocked, onChosen).

test('etcd fails while the early wiring runs: the add fails and leaves no veth and no record', async (t) => {
  const h = endpointHarness(async (req) => {
    req.onChosen?.(['10.65.0.1']); // chosen from the cached block; the transaction is sent ...
    await Promise.resolve();
    throw new AgentError('UNAVAILABLE', 'etcd unavailable'); // ... and never answered
  });
  const err = await t.throwsAsync(h.endpoints.add(add('c1')));
  t.is((err as AgentError).code, 'UNAVAILABLE');
  t.deepEqual(h.wiringCalls, ['add 10.65.0.1', 'remove'], 'the early wiring is undone');
  t.is(h.wired.size, 0, 'no veth');
  t.is(h.records.size, 0, 'no record');
  t.deepEqual(h.endpoints.list(), []);
});

test('the allocation loses a race and gets other addresses: the early wiring is undone, the container gets what etcd recorded', async (t) => {
  const h = endpointHarness(async (req) => {
    req.onChosen?.(['10.65.0.1']); // someone took .1 meanwhile: the compare fails ...
    req.onChosen?.(['10.65.0.2']); // ... and the retry chooses .2, which commits
    const written = req.alsoPut?.(['10.65.0.2']) ?? [];
    t.is(written.length, 1, 'the record goes with the allocation');
    t.deepEqual((written[0]!.value as { spec: { addresses: string[] } }).spec.addresses, ['10.65.0.2']);
    return { addresses: ['10.65.0.2'], claimedBlocks: [], releasedBlocks: [], alsoPutWritten: true };
  });
  const e = await h.endpoints.add(add('c1'));
  t.deepEqual(e.addresses, ['10.65.0.2/32']);
  t.deepEqual(h.wiringCalls, ['add 10.65.0.1', 'remove', 'add 10.65.0.2'], 'only the first choice was wired early');
  t.is(h.wired.size, 1);
  t.is(h.records.size, 0, 'no second write of the record');
});

test('the allocation commits what was chosen: one wiring, done while etcd wrote, and no separate record write', async (t) => {
  const h = endpointHarness(async (req) => {
    req.onChosen?.(['10.65.0.1']);
    return { addresses: ['10.65.0.1'], claimedBlocks: [], releasedBlocks: [], alsoPutWritten: true };
  });
  const e = await h.endpoints.add(add('c1'));
  t.deepEqual(e.addresses, ['10.65.0.1/32']);
  t.deepEqual(h.wiringCalls, ['add 10.65.0.1']);
  t.is(h.records.size, 0);
  // a record not written with the allocation (two families, several blocks) is written as before
  const h2 = endpointHarness(async () => ({ addresses: ['10.65.0.1'], claimedBlocks: [], releasedBlocks: [] }));
  await h2.endpoints.add(add('c1'));
  t.is(h2.records.size, 1);
});

test('the early wiring fails though the allocation commits: everything is undone (address released, record deleted)', async (t) => {
  const h = endpointHarness(async (req) => {
    req.onChosen?.(['10.65.0.1']);
    for (const p of req.alsoPut?.(['10.65.0.1']) ?? []) h.records.set(p.key, p.value);
    return { addresses: ['10.65.0.1'], claimedBlocks: [], releasedBlocks: [], alsoPutWritten: true };
  });
  (h.endpoints as unknown as { wiring: EndpointWiring }).wiring.add = async () => {
    throw new Error('no such netns');
  };
  await t.throwsAsync(h.endpoints.add(add('c1')), { message: /wiring c1\/eth0 failed/ });
  t.deepEqual(h.released, ['c1.eth0']);
  t.is(h.records.size, 0, 'the record written with the allocation is deleted');
  t.deepEqual(h.endpoints.list(), []);
});

test('a claimed block is announced as soon as IPAM confirms it, before the endpoint is done', async (t) => {
  const allocation = deferred<IpamChange>();
  const h = endpointHarness(async (req) => {
    req.onClaimed?.('10.65.0.64/26');
    return allocation.promise;
  });
  const adding = h.endpoints.add(add('c1'));
  await new Promise((r) => setImmediate(r));
  t.deepEqual(h.state().announced, ['10.65.0.64/26'], 'announced while the addresses are still being written');
  allocation.resolve({ addresses: ['10.65.0.66'], claimedBlocks: ['10.65.0.64/26'], releasedBlocks: [] });
  await adding;
  t.deepEqual(h.state().announced, ['10.65.0.64/26']);
});
