// The IPAM leak GC: one agent, elected through etcd, releases addresses allocated with no endpoint
// once the grace has passed, with an event and metrics, and leaves a real endpoint's address alone.
// When the leader dies, the other agent takes over. Real etcd, real agents; grace set short here.
import test from 'ava';
import type { Event } from '../../src/api/types.js';
import { Datastore, etcdOptionsFrom, listNodeStatus } from '../../src/datastore/index.js';
import { Ipam } from '../../src/ipam/index.js';
import { waitFor } from '../../src/lab/index.js';
import { addContainer, allSessionsUp, type Host, meshCluster } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

const GRACE_MS = 3000;
const ARGS = [
  ...['--status-interval', '1s', '--status-ttl', '3s'],
  ...['--leak-grace', `${GRACE_MS}ms`, '--leak-check-interval', '1s', '--metrics-port', '9091'],
];

async function metric(h: Host, name: string): Promise<number | undefined> {
  const body = (await h.ns.exec(['curl', '-s', 'http://127.0.0.1:9091/metrics'])).stdout;
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
  return m ? Number(m[1]) : undefined;
}

test('the elected agent releases an allocation with no endpoint after the grace, with an event; a real endpoint stays', async (t) => {
  const lab = await labFor(t);
  const { etcd, hosts } = await meshCluster(lab, { count: 2, agentArgs: ARGS });
  await allSessionsUp(hosts, 1);
  const ds = new Datastore(etcdOptionsFrom({ etcdEndpoints: etcd.endpoint }));
  t.teardown(() => ds.close());
  const ipam = new Ipam(ds);
  const events: { node: string; e: Event }[] = [];
  for (const h of hosts)
    lab.onDestroy(h.agent.client.watchEvents({ ipam: true }, (e) => events.push({ node: h.name, e })));

  const c1 = await addContainer(lab, hosts[0]!, 'c1');
  const leaderOf = async () => {
    const leaders = [...(await listNodeStatus(ds.kv)).values()].filter((s) => s.ipamGcLeader).map((s) => s.node);
    return leaders.length === 1 ? leaders[0] : undefined;
  };
  const leader = await waitFor('one agent to lead the leak GC', leaderOf, { timeoutMs: 60_000, intervalMs: 300 });
  const leaderHost = hosts.find((h) => h.name === leader)!;
  const other = hosts.find((h) => h.name !== leader)!;

  // an allocation straight through IPAM, as a CNI ADD that died before its endpoint was recorded
  const allocatedAt = Date.now();
  const { ipv4 } = await ipam.autoAssign({ handle: 'crashed-cni-add', node: 'h1', num4: 1 });
  const leaked = ipv4[0]!;
  t.truthy(await ipam.lookup(leaked));
  await waitFor(`${leaked} released`, async () => (await ipam.lookup(leaked)) === undefined, {
    timeoutMs: 60_000,
    intervalMs: 200,
  });
  const tookMs = Date.now() - allocatedAt;
  t.log(`leak released ${tookMs} ms after the allocation (grace ${GRACE_MS} ms, check every 1 s)`);
  t.true(tookMs >= GRACE_MS, 'not released before the grace');
  const released = await waitFor(
    'the release event',
    async () => events.find((x) => x.e.ipam?.kind === 'leaks-released' && x.e.ipam.addresses.includes(leaked)),
    { timeoutMs: 10_000, intervalMs: 100 },
  );
  t.is(released.node, leader, 'the event comes from the elected agent');
  t.is(await metric(leaderHost, 'tsroute_ipam_leaks_released_total'), 1);
  t.is(await metric(leaderHost, 'tsroute_ipam_gc_leader'), 1);
  t.is(await metric(other, 'tsroute_ipam_gc_leader'), 0);
  t.is(await metric(other, 'tsroute_ipam_leaks_released_total'), 0);

  // the real endpoint's address survives further checks well past the grace
  await new Promise((r) => setTimeout(r, 2 * GRACE_MS));
  const kept = await ipam.lookup(c1.address);
  t.is(kept?.node, 'h1');
  t.deepEqual(
    events.filter((x) => x.e.ipam?.addresses.includes(c1.address)),
    [],
  );

  // the leader dies: the other agent is elected once the leader's lease expires, and takes over
  await leaderHost.agent.kill();
  await waitFor(
    `${other.name} to lead the leak GC`,
    async () => (await metric(other, 'tsroute_ipam_gc_leader')) === 1,
    {
      timeoutMs: 60_000,
      intervalMs: 300,
    },
  );
  const second = (await ipam.autoAssign({ handle: 'crashed-cni-add-2', node: other.name, num4: 1 })).ipv4[0]!;
  await waitFor(`${second} released by ${other.name}`, async () => (await ipam.lookup(second)) === undefined, {
    timeoutMs: 60_000,
    intervalMs: 200,
  });
  await waitFor(
    `the release event from ${other.name}`,
    async () => events.some((x) => x.node === other.name && x.e.ipam?.addresses.includes(second)),
    { timeoutMs: 10_000, intervalMs: 100 },
  );
  t.pass();
});
