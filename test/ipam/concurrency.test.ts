// Eight processes allocate from one small pool at once: no address twice, every block owned by one
// host, borrowing once blocks run out, and releasing everything leaves the pool empty.
import test from 'ava';
import { AFFINITY_PREFIX, BLOCKS_PREFIX } from '../../src/datastore/index.js';
import { Ipam, IpamExhaustedError } from '../../src/ipam/index.js';
import type { BlockAffinity, IpamBlock } from '../../src/model/index.js';
import { etcdDatastore, node, pool } from './fixture.js';
import { startWorker } from './processes.js';

const HOSTS = 8;
const PER_HOST = 250;

test('ipam: 8 processes x 250 allocations from one /21 — unique addresses, one owner per block, borrowing, clean release', async (t) => {
  const { etcd, ds } = await etcdDatastore(t);
  await ds.create(pool('small', '10.65.0.0/21', { blockSize: 26 })); // 32 blocks, 2048 addresses
  const hosts = Array.from({ length: HOSTS }, (_, i) => `host-${i}`);
  for (const h of [...hosts, 'late']) await ds.create(node(h));

  const workers = hosts.map((h) => startWorker(t, [etcd.endpoint, h, 'allocate', String(PER_HOST)]));
  await Promise.all(workers.map((w) => w.exited));
  const handed = workers.flatMap((w) =>
    w.lines
      .map((l) => JSON.parse(l) as { address?: string })
      .filter((x) => x.address)
      .map((x) => x.address!),
  );
  t.is(handed.length, HOSTS * PER_HOST);
  t.is(new Set(handed).size, handed.length, 'no address handed out twice');

  const ipam = new Ipam(ds);
  const report = await ipam.check();
  t.is(report.inUse, HOSTS * PER_HOST, 'etcd holds exactly what the processes were given');
  t.deepEqual(report.problems, []);
  const blocks = await ds.kv.list<IpamBlock>(BLOCKS_PREFIX);
  const affinities = (await ds.kv.list<BlockAffinity>(AFFINITY_PREFIX)).map((a) => a.value);
  t.is(blocks.length, 32);
  for (const b of blocks) {
    const owners = affinities.filter((a) => a.cidr === b.value.cidr);
    t.is(owners.length, 1, `block ${b.value.cidr} has exactly one affinity`);
    t.is(owners[0]?.state, 'confirmed');
    t.is(b.value.affinity, `host:${owners[0]?.node}`);
  }
  for (const h of hosts) t.deepEqual(await ipam.borrowedAddresses(h), [], `${h} used only its own blocks`);

  // Every block is claimed now: a ninth host has to borrow single addresses from the others.
  const late = await ipam.autoAssign({ handle: 'late-1', node: 'late', num4: 2048 - HOSTS * PER_HOST });
  t.is((await ipam.borrowedAddresses('late')).length, late.ipv4.length);
  t.true(late.ipv4.every((a) => !handed.includes(a)));
  await t.throwsAsync(ipam.autoAssign({ handle: 'late-2', node: 'late', num4: 1 }), { instanceOf: IpamExhaustedError });

  // Release everything by handle: each host its own, all hosts at once (the late host's addresses
  // sit in everyone's blocks, so its release races theirs).
  const released = (
    await Promise.all(
      [...hosts, 'late'].map(async (h) => {
        const mine = new Ipam(ds);
        const out: string[] = [];
        if (h === 'late') out.push(...(await mine.releaseByHandle('late-1')));
        else for (let i = 0; i < PER_HOST; i++) out.push(...(await mine.releaseByHandle(`${h}-${i}`)));
        return out;
      }),
    )
  ).flat();
  t.is(released.length, 2048);
  const after = await ipam.check();
  t.is(after.inUse, 0, 'the pool is empty');
  t.deepEqual(after.problems, []);
  t.deepEqual(await ds.kv.list('/tsroute/v1/ipam/handles/'), []);
  for (const h of hosts) t.is((await ipam.releaseEmptyBlocks(h, 0)).length, 4);
  t.deepEqual(await ds.kv.list(BLOCKS_PREFIX), [], 'and its blocks are given back');
});
