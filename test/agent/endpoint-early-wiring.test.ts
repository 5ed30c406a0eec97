// AddEndpoint wires the veth while etcd records the addresses (and the endpoint's record, in the same
// transaction): here against real etcd and the kernel, the cases where that early work must be
// undone or cleaned up. (The orders a real etcd cannot be made to produce on demand — etcd failing
// mid-transaction — are in event-orders.test.ts; a process killed between choosing and recording is
// in test/ipam/crash.test.ts.)
import test from 'ava';
import { endpointName, hostInterfaceName } from '../../src/agent/endpoints.js';
import { Datastore } from '../../src/datastore/index.js';
import { Ipam } from '../../src/ipam/index.js';
import type { WorkloadEndpoint } from '../../src/model/index.js';
import { addContainer, meshCluster, reachability } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('the address the agent wired early is taken by another writer first: the container ends up with the one etcd recorded, and only that one', async (t) => {
  const lab = await labFor(t);
  const { hosts, etcd } = await meshCluster(lab, { count: 1, pool: '10.65.0.0/24', blockSize: 28 });
  const h1 = hosts[0]!;
  const c1 = await addContainer(lab, h1, 'c1');
  // The agent's cached copy of its block says the next address is free; another writer takes it.
  const [a, b, c, d] = c1.address.split('.').map(Number) as [number, number, number, number];
  const taken = `${a}.${b}.${c}.${d + 1}`;
  const ds = new Datastore({ endpoints: [etcd.endpoint] });
  t.teardown(() => ds.close());
  await new Ipam(ds).assignIP({ handle: 'intruder', node: 'elsewhere', address: taken });

  const c2 = await addContainer(lab, h1, 'c2');
  t.not(c2.address, taken, 'the agent lost the race for it and took another');
  // the kernel: the recorded address is routed to c2's veth, the lost one to no veth of ours
  const hostIf = hostInterfaceName('c2', 'eth0');
  t.is((await h1.ns.route(`${c2.address}/32`))?.dev, hostIf);
  t.is(await h1.ns.route(`${taken}/32`), undefined, `no route for ${taken}`);
  const inside = (await c2.ns.addresses()).find((l) => l.ifname === 'eth0')!.addr_info.map((x) => x.local);
  t.deepEqual(
    inside.filter((x) => !x.includes(':')),
    [c2.address],
  );
  // etcd: the record (written with the allocation) and IPAM agree
  const record = (await ds.get('WorkloadEndpoint', endpointName('h1', 'c2', 'eth0'))) as WorkloadEndpoint;
  t.deepEqual(record.spec.addresses, [c2.address]);
  t.is((await new Ipam(ds).lookup(c2.address))?.handle, 'c2.eth0');
  t.is((await new Ipam(ds).lookup(taken))?.handle, 'intruder');
  t.deepEqual(await reachability([c1, c2]), []);
});

test('a veth left by an add that died part-way is removed by the runtime’s DEL, though the agent has no endpoint for it', async (t) => {
  const lab = await labFor(t);
  const { hosts } = await meshCluster(lab, { count: 1, pool: '10.65.0.0/24', blockSize: 28 });
  const h1 = hosts[0]!;
  const ghost = await lab.namespace('ghost');
  const hostIf = hostInterfaceName('ghost', 'eth0');
  // what an agent killed between its early wiring and etcd's answer leaves: the veth, nothing in etcd
  await h1.ns.ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ghost.name);
  const r = await h1.agent.client.deleteEndpoint({ containerId: 'ghost', interface: 'eth0' });
  t.false(r.existed);
  const links = JSON.parse((await h1.ns.ip('-j', 'link', 'show')).stdout) as { ifname: string }[];
  t.false(
    links.some((l) => l.ifname === hostIf),
    `${hostIf} is gone`,
  );
  // and the same container can be added afresh
  const again = await h1.agent.client.addEndpoint({ containerId: 'ghost', interface: 'eth0', netns: ghost.path });
  t.is(again.hostInterface, hostIf);
});
