// IPAM against a real etcd, in one process: blocks, handles, borrowing, limits, IPv6, reservations,
// empty-block release and the leak check's two sightings.
import test from 'ava';
import { Ipam, IpamExhaustedError } from '../../src/ipam/index.js';
import { type AnyResource, API_VERSION } from '../../src/model/index.js';
import { endpoint, etcdDatastore, node, pool } from './fixture.js';

test('ipam: a host claims a block, allocates in it, releases by handle idempotently', async (t) => {
  const { ds } = await etcdDatastore(t);
  await ds.create(pool('p4', '10.65.0.0/24', { blockSize: 28 }));
  await ds.create(pool('p6', 'fd00:65::/120', { blockSize: 124 }));
  await ds.create(node('a'));
  const ipam = new Ipam(ds);
  const r = await ipam.autoAssign({ handle: 'h1', node: 'a', num4: 2, num6: 1 });
  t.is(r.ipv4.length, 2);
  t.is(r.ipv6.length, 1);
  t.regex(r.ipv6[0]!, /^fd00:65::/);
  const blocks = await ipam.blocksOf('a');
  t.is(blocks.length, 2);
  t.true(blocks.every((b) => b.owner === 'a' && b.affinityState === 'confirmed'));
  t.deepEqual(
    (await ipam.affinities('a')).map((x) => x.state),
    ['confirmed', 'confirmed'],
  );
  t.deepEqual((await ipam.addressesOf('h1')).sort(), [...r.ipv4, ...r.ipv6].sort());
  const info = await ipam.lookup(r.ipv4[0]!);
  t.is(info?.handle, 'h1');
  t.is(info?.node, 'a');
  t.deepEqual((await ipam.releaseByHandle('h1')).sort(), [...r.ipv4, ...r.ipv6].sort());
  t.deepEqual(await ipam.releaseByHandle('h1'), [], 'releasing twice frees nothing more');
  t.is((await ipam.check()).inUse, 0);
  t.deepEqual(await ipam.releaseEmptyBlocks('a', 60_000), [], 'within the grace period blocks stay');
  t.is((await ipam.releaseEmptyBlocks('a', 0)).length, 2);
  t.deepEqual(await ipam.affinities('a'), []);
});

test('ipam: when the pool has no free block a host borrows, unless strict affinity; the per-host limit holds', async (t) => {
  const { ds } = await etcdDatastore(t);
  await ds.create(pool('small', '10.66.0.0/28', { blockSize: 29 })); // two blocks of 8
  await ds.create(node('a'));
  await ds.create(node('b'));
  await ds.create({
    apiVersion: API_VERSION,
    kind: 'IPAMConfiguration',
    metadata: { name: 'default' },
    spec: { maxBlocksPerHost: 1 },
  } as AnyResource);
  const a = new Ipam(ds, { settingsCacheMs: 0 });
  const b = new Ipam(ds, { settingsCacheMs: 0 });
  const first = await a.autoAssign({ handle: 'a1', node: 'a', num4: 6 });
  t.is(first.ipv4.length, 6);
  // a is at its limit of one block: the next two come from b's block once b owns it.
  await b.autoAssign({ handle: 'b1', node: 'b', num4: 1 });
  const more = await a.autoAssign({ handle: 'a2', node: 'a', num4: 4 });
  t.is(more.ipv4.length, 4);
  const borrowed = await a.borrowedAddresses('a');
  t.is(borrowed.length, 2, 'a fills its own block first, then borrows from b');
  t.true(borrowed.every((x) => x.startsWith('10.66.0.')));
  t.deepEqual(await b.borrowedAddresses('b'), []);

  await ds.update({
    apiVersion: API_VERSION,
    kind: 'IPAMConfiguration',
    metadata: { name: 'default' },
    spec: { maxBlocksPerHost: 1, strictAffinity: true },
  } as AnyResource);
  await a.releaseByHandle('a2');
  const err = await t.throwsAsync(a.autoAssign({ handle: 'a3', node: 'a', num4: 3 }));
  t.true(err instanceof IpamExhaustedError);
  t.regex(err!.message, /strict affinity/);
  t.deepEqual(await a.addressesOf('a3'), [], 'a failed request keeps nothing');
});

test('ipam: reserved addresses are never handed out; a fixed address can be claimed once', async (t) => {
  const { ds } = await etcdDatastore(t);
  await ds.create(pool('p', '10.67.0.0/29', { blockSize: 29 }));
  await ds.create({
    apiVersion: API_VERSION,
    kind: 'IPReservation',
    metadata: { name: 'gw' },
    spec: { reservedCIDRs: ['10.67.0.0/30'] },
  } as AnyResource);
  const ipam = new Ipam(ds);
  const r = await ipam.autoAssign({ handle: 'h', node: 'a', num4: 3 });
  t.deepEqual(r.ipv4, ['10.67.0.4', '10.67.0.5', '10.67.0.6']);
  await t.throwsAsync(ipam.autoAssign({ handle: 'h2', node: 'a', num4: 2 }), { instanceOf: IpamExhaustedError });
  await t.throwsAsync(ipam.assignIP({ handle: 'x', node: 'a', address: '10.67.0.1' }), { message: /reserved/ });
  await t.throwsAsync(ipam.assignIP({ handle: 'x', node: 'a', address: '10.67.0.4' }), { message: /already in use/ });
  await ipam.assignIP({ handle: 'x', node: 'a', address: '10.67.0.7' });
  t.is((await ipam.lookup('10.67.0.7'))?.handle, 'x');
});

test('ipam: a stale release (old sequence number) never frees a re-used address', async (t) => {
  const { ds } = await etcdDatastore(t);
  await ds.create(pool('p', '10.68.0.0/30', { blockSize: 30 }));
  const ipam = new Ipam(ds);
  const [addr] = (await ipam.autoAssign({ handle: 'old', node: 'a', num4: 4 })).ipv4;
  const before = await ipam.lookup(addr!);
  await ipam.releaseByHandle('old');
  await ipam.autoAssign({ handle: 'new', node: 'a', num4: 4 });
  const after = await ipam.lookup(addr!);
  t.not(after!.seq, before!.seq);
  t.deepEqual(await ipam.releaseAddresses([{ address: addr!, seq: before!.seq }]), []);
  t.is((await ipam.lookup(addr!))?.handle, 'new');
});

test('ipam: leaks (no endpoint, node gone) are released only after two sightings a grace period apart', async (t) => {
  const { ds } = await etcdDatastore(t);
  await ds.create(pool('p', '10.69.0.0/24', { blockSize: 26 }));
  await ds.create(node('a'));
  await ds.create(node('gone'));
  const ipam = new Ipam(ds);
  const live = (await ipam.autoAssign({ handle: 'live', node: 'a', num4: 1 })).ipv4;
  await ds.create(endpoint('live', 'a', 'live', live));
  const orphan = (await ipam.autoAssign({ handle: 'orphan', node: 'a', num4: 1 })).ipv4;
  const ghost = (await ipam.autoAssign({ handle: 'ghost', node: 'gone', num4: 1 })).ipv4;
  await ds.create(endpoint('ghost', 'gone', 'ghost', ghost));
  await ds.delete('Node', 'gone');

  const report = await ipam.check();
  t.deepEqual(
    report.leaks.map((l) => [l.address, l.reason]).sort(),
    [
      [orphan[0], 'no-endpoint'],
      [ghost[0], 'node-gone'],
    ].sort(),
  );
  // A grace far above two etcd round trips (~30 ms), so the early look is early on a loaded machine too.
  const graceMs = 3000;
  const first = await ipam.leakCheck({ graceMs });
  t.is(first.firstSeen.length, 2);
  t.deepEqual(first.released, []);
  const early = await ipam.leakCheck({ graceMs });
  t.is(early.waiting.length, 2, 'within the grace period: still waiting');
  await new Promise((r) => setTimeout(r, graceMs + 100));
  const second = await ipam.leakCheck({ graceMs });
  t.deepEqual(second.released.sort(), [orphan[0], ghost[0]].sort());
  t.is((await ipam.lookup(live[0]!))?.handle, 'live');
  const after = await ipam.check();
  t.deepEqual(after.leaks, []);
  t.is(after.inUse, 1);
});

test('ipam: a burst of requests from one node is served in batches: unique addresses, one handle each', async (t) => {
  const { ds } = await etcdDatastore(t);
  await ds.create(pool('p4', '10.71.0.0/22', { blockSize: 26 }));
  await ds.create(pool('p6', 'fd00:71::/120', { blockSize: 122 }));
  const ipam = new Ipam(ds);
  const requests = Array.from({ length: 150 }, (_, i) =>
    ipam.autoAssign({ handle: `h${i}`, node: 'a', num4: i % 10 === 9 ? 2 : 1, num6: i % 5 === 0 ? 1 : 0 }),
  );
  // The same handle twice in one burst: both get served, the handle holds both addresses.
  requests.push(ipam.autoAssign({ handle: 'h0', node: 'a', num4: 1 }));
  const results = await Promise.all(requests);
  const all = results.flatMap((r) => [...r.ipv4, ...r.ipv6]);
  t.is(new Set(all).size, all.length, 'no address twice');
  t.is(all.length, 150 + 15 + 30 + 1);
  t.is((await ipam.addressesOf('h0')).length, 3);
  t.is((await ipam.addressesOf('h7')).length, 1);
  const report = await ipam.check();
  t.is(report.inUse, all.length);
  t.deepEqual(
    report.problems.filter((p) => p.kind === 'handle-mismatch'),
    [],
  );
  // Concurrent releases are served in batches too (one block write per batch): each still gets
  // exactly its own handle's addresses, and every handle record goes.
  const held = await Promise.all(Array.from({ length: 150 }, (_, i) => ipam.addressesOf(`h${i}`)));
  const freed = await Promise.all(Array.from({ length: 150 }, (_, i) => ipam.releaseByHandle(`h${i}`)));
  t.is(freed.flat().length, all.length);
  for (let i = 0; i < 150; i++) t.deepEqual([...freed[i]!].sort(), [...held[i]!].sort(), `h${i}`);
  t.deepEqual(await ipam.addressesOf('h0'), []);
  t.deepEqual(await ipam.releaseByHandle('h0'), [], 'a second release frees nothing');
  t.is((await ipam.check()).inUse, 0);
});

test('ipam: allocations name the blocks they claimed, once, even when the request that claimed one failed', async (t) => {
  const { ds } = await etcdDatastore(t);
  await ds.create(pool('p', '10.69.0.0/27', { blockSize: 29 })); // four blocks of 8
  await ds.create(node('a'));
  await ds.create({
    apiVersion: API_VERSION,
    kind: 'IPAMConfiguration',
    metadata: { name: 'default' },
    spec: { maxBlocksPerHost: 1, strictAffinity: true },
  } as AnyResource);
  const ipam = new Ipam(ds, { settingsCacheMs: 0 });
  const affine = async () => (await ipam.affinities('a')).filter((x) => x.state === 'confirmed').map((x) => x.cidr);
  // asks more than one block holds: the block is claimed, the request fails and keeps no address
  await t.throwsAsync(ipam.autoAssign({ handle: 'too-many', node: 'a', num4: 9 }), { instanceOf: IpamExhaustedError });
  const claimed = await affine();
  t.is(claimed.length, 1, 'the failed request claimed a block');
  const next = await ipam.autoAssign({ handle: 'one', node: 'a', num4: 1 });
  t.deepEqual(next.claimedBlocks, claimed, 'the next result names the block the failed request claimed');
  const again = await ipam.autoAssign({ handle: 'two', node: 'a', num4: 1 });
  t.deepEqual(again.claimedBlocks, [], 'a block is named once');
  // a's blocks are picked at random: take a block nobody holds
  const held = new Set([...claimed, ...(await ipam.blocksOf('a')).map((b) => b.cidr)]);
  const free = ['10.69.0.0/29', '10.69.0.8/29', '10.69.0.16/29', '10.69.0.24/29'].filter((b) => !held.has(b));
  const block = free[free.length - 1]!;
  const address = block.replace(/\.(\d+)\/29$/, (_, base) => `.${Number(base) + 6}`);
  const fixed = await ipam.assignIP({ handle: 'fixed', node: 'b', address });
  t.deepEqual(fixed.claimedBlocks, [block], 'a fixed address in a free block claims it');
  await ipam.releaseByHandle('fixed');
  t.deepEqual(await ipam.releaseEmptyBlocks('b', 0), [block]);
});

test('ipam: a pool created (or enabled) after the pools were cached is used at once, not refused', async (t) => {
  const { ds } = await etcdDatastore(t);
  await ds.create(node('a'));
  await ds.create(pool('off', '10.67.0.0/24', { blockSize: 28, disabled: true }));
  // Pools are cached between calls; a minute makes "the cache predates the new pool" certain.
  const ipam = new Ipam(ds, { settingsCacheMs: 60_000 });
  const none = await ipam.autoAssign({ handle: 'h0', node: 'a', num4: 1 }).catch((e: Error) => e);
  t.true(none instanceof IpamExhaustedError);
  t.regex((none as Error).message, /no IPv4 enabled pools for node "a"/);
  await ds.create(pool('new', '10.68.0.0/24', { blockSize: 28 }));
  const r = await ipam.autoAssign({ handle: 'h1', node: 'a', num4: 1 });
  t.regex(r.ipv4[0]!, /^10\.68\.0\./);
  const off = (await ds.get('IPPool', 'off'))!;
  await ds.update({ ...off, spec: { ...off.spec, disabled: false } } as AnyResource);
  const named = await ipam.autoAssign({ handle: 'h2', node: 'a', num4: 1, pools: ['off'] });
  t.regex(named.ipv4[0]!, /^10\.67\.0\./);
});

// The agent's fast path: the endpoint's record is written in the allocation's transaction, and the
// agent hears the addresses before it is sent (it wires the veth meanwhile).

test('ipam: addresses chosen from a stale cached block lose the race: onChosen hears the new choice, and the record written with the allocation names what it got', async (t) => {
  const { ds } = await etcdDatastore(t);
  await ds.create(pool('p', '10.72.0.0/24', { blockSize: 28 }));
  const agent = new Ipam(ds);
  const other = new Ipam(ds);
  const record = (handle: string, addresses: string[]) => ds.createPut(endpoint(handle, 'r', handle, addresses));
  const first = await agent.autoAssign({ handle: 'e1', node: 'r', num4: 1, alsoPut: (a) => [record('e1', a)] });
  t.true(first.alsoPutWritten);
  t.deepEqual((await ds.get('WorkloadEndpoint', 'e1'))?.spec.addresses, first.ipv4);
  // the next free address in the agent's cached copy of its block goes to someone else
  const [a, b, c, d] = first.ipv4[0]!.split('.').map(Number) as [number, number, number, number];
  const next = `${a}.${b}.${c}.${d + 1}`;
  await other.assignIP({ handle: 'intruder', node: 'elsewhere', address: next });
  const chosen: string[][] = [];
  const second = await agent.autoAssign({
    handle: 'e2',
    node: 'r',
    num4: 1,
    alsoPut: (x) => [record('e2', x)],
    onChosen: (x) => chosen.push(x),
  });
  t.not(second.ipv4[0], next);
  t.deepEqual(chosen, [[next], second.ipv4], 'first the stale choice, then the one that was recorded');
  t.true(second.alsoPutWritten);
  t.deepEqual((await ds.get('WorkloadEndpoint', 'e2'))?.spec.addresses, second.ipv4, 'the record names it');
  t.is((await agent.lookup(next))?.handle, 'intruder', 'the other writer keeps its address');
  // a burst (served in batches) records every endpoint with its own addresses, all in one go each
  const burst = await Promise.all(
    Array.from({ length: 70 }, (_, i) =>
      agent.autoAssign({ handle: `b${i}`, node: 'r', num4: 1, alsoPut: (x) => [record(`b${i}`, x)] }),
    ),
  );
  for (const [i, r] of burst.entries()) {
    t.true(r.alsoPutWritten, `b${i}`);
    t.deepEqual((await ds.get('WorkloadEndpoint', `b${i}`))?.spec.addresses, r.ipv4, `b${i}`);
  }
  // two families are two transactions: the record is left to the caller
  await ds.create(pool('p6', 'fd00:72::/120', { blockSize: 124 }));
  const both = await agent.autoAssign({ handle: 'e3', node: 'r', num4: 1, num6: 1, alsoPut: (x) => [record('e3', x)] });
  t.falsy(both.alsoPutWritten);
  t.is(await ds.get('WorkloadEndpoint', 'e3'), undefined, 'its record is the caller’s to write');
});
