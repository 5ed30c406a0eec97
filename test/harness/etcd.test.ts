// Real etcd from the harness: the etcd3 client puts, gets and watches; a process inside a lab
// namespace (no route to the host) reaches the same etcd through its unix socket.
import test from 'ava';
import { Etcd3 } from 'etcd3';
import { startEtcd } from '../../src/lab/index.js';
import { labFor } from '../helpers/lab.js';

test('etcd: put, get, prefix get and watch through the etcd3 client', async (t) => {
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  const client = new Etcd3({ hosts: etcd.endpoint });
  t.teardown(() => client.close());

  const seen: string[] = [];
  const watcher = await client.watch().prefix('/tsroute/test/').create();
  watcher.on('put', (kv) => seen.push(`put ${kv.key.toString()}=${kv.value.toString()}`));
  watcher.on('delete', (kv) => seen.push(`delete ${kv.key.toString()}`));

  await client.put('/tsroute/test/a').value('1');
  await client.put('/tsroute/test/b').value('2');
  t.is(await client.get('/tsroute/test/a').string(), '1');
  t.deepEqual(await client.getAll().prefix('/tsroute/test/').strings(), {
    '/tsroute/test/a': '1',
    '/tsroute/test/b': '2',
  });
  await client.delete().key('/tsroute/test/a');

  const deadline = Date.now() + 5000;
  while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await watcher.cancel();
  t.deepEqual(seen, ['put /tsroute/test/a=1', 'put /tsroute/test/b=2', 'delete /tsroute/test/a']);
});

test('etcd: a process inside a lab namespace reaches it through the unix socket endpoint', async (t) => {
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  const ns = await lab.namespace('host');
  // The namespace has only loopback: 127.0.0.1 there is not the host's, so TCP cannot work.
  const script = `import('etcd3').then(async ({ Etcd3 }) => {
    const c = new Etcd3({ hosts: process.argv[1], dialTimeout: 3000 });
    await c.put('/tsroute/from-ns').value('hello');
    c.close();
  });`;
  await ns.exec([process.execPath, '--input-type=module', '-e', script, etcd.socketEndpoint], { timeoutMs: 20_000 });
  const client = new Etcd3({ hosts: etcd.endpoint });
  t.teardown(() => client.close());
  t.is(await client.get('/tsroute/from-ns').string(), 'hello');
});

test('etcd: stop and restart keep the data', async (t) => {
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  const client = new Etcd3({ hosts: etcd.endpoint, dialTimeout: 1000 });
  t.teardown(() => client.close());
  await client.put('k').value('v');
  await etcd.stop();
  await t.throwsAsync(client.get('k').string());
  await etcd.restart();
  // A fresh client: etcd3's circuit breaker keeps a failed client closed for a while.
  const again = new Etcd3({ hosts: etcd.endpoint });
  t.teardown(() => again.close());
  t.is(await again.get('k').string(), 'v');
});
