// Leased keys and the election at a real etcd: a clean close deletes the key at once, an abandoned
// lease (a crash) lets it live until the TTL; of two candidates exactly one leads, and the other
// takes over when the leader resigns or its lease expires.
import test from 'ava';
import { Candidacy, LeasedKey, listNodeStatus, statusKey } from '../../src/datastore/index.js';
import { waitFor } from '../../src/lab/index.js';
import { etcdDatastore } from '../ipam/fixture.js';

test('a leased key: close deletes it at once, a crash leaves it until the TTL runs out', async (t) => {
  const { etcd, ds } = await etcdDatastore(t);
  const opts = { endpoints: [etcd.endpoint] };
  const clean = new LeasedKey(opts, statusKey('clean'), 2);
  const crashed = new LeasedKey(opts, statusKey('crashed'), 2);
  await clean.put({ node: 'clean', n: 1 });
  await clean.put({ node: 'clean', n: 2 });
  await crashed.put({ node: 'crashed', n: 1 });
  t.deepEqual([...(await listNodeStatus(ds.kv)).keys()], ['clean', 'crashed']);
  t.is((await ds.kv.get<{ n: number }>(statusKey('clean')))?.value.n, 2, 'the last write wins, same lease');

  await clean.close();
  t.is(await ds.kv.get(statusKey('clean')), undefined, 'gone as soon as close returns');

  const abandonedAt = Date.now();
  crashed.abandon();
  t.truthy(await ds.kv.get(statusKey('crashed')), 'still there right after the crash');
  await waitFor('the crashed key to expire', async () => (await ds.kv.get(statusKey('crashed'))) === undefined, {
    timeoutMs: 30_000,
    intervalMs: 100,
  });
  t.log(`expired ${Date.now() - abandonedAt} ms after the keepalives stopped (TTL 2 s)`);
  t.true(Date.now() - abandonedAt >= 1000, 'not before the TTL could run out');
});

test('an election: one leader at a time, the other takes over when it resigns', async (t) => {
  const { etcd } = await etcdDatastore(t);
  const opts = { endpoints: [etcd.endpoint] };
  const seen: string[] = [];
  const a = new Candidacy(opts, 'test-election', 'a', 2, (l) => seen.push(`a ${l}`));
  await waitFor('a to lead', async () => a.isLeader, { timeoutMs: 20_000, intervalMs: 50 });
  const b = new Candidacy(opts, 'test-election', 'b', 2, (l) => seen.push(`b ${l}`));
  t.teardown(() => b.close());
  await new Promise((r) => setTimeout(r, 1000));
  t.false(b.isLeader, 'b waits while a leads');
  await a.close();
  await waitFor('b to lead', async () => b.isLeader, { timeoutMs: 20_000, intervalMs: 50 });
  t.deepEqual(seen, ['a true', 'b true']);
});
