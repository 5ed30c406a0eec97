// The typed datastore against a real etcd: CAS on the mod revision, racing creates of overlapping
// pools, watch, the effective BGP configuration, and a client that recovers after an outage.
import test from 'ava';
import {
  AlreadyExistsError,
  ConflictError,
  Datastore,
  DatastoreUnavailableError,
  RefusedError,
  type ResourceEvent,
} from '../../src/datastore/index.js';
import { type AnyResource, API_VERSION } from '../../src/model/index.js';
import { etcdDatastore, pool } from '../ipam/fixture.js';

test('datastore: create, CAS update on resourceVersion, immutable fields, delete', async (t) => {
  const { ds } = await etcdDatastore(t);
  const created = await ds.create(pool('a', '10.65.0.0/16'));
  t.truthy(created.metadata.resourceVersion);
  t.truthy(created.metadata.creationTimestamp);
  await t.throwsAsync(ds.create(pool('a', '10.99.0.0/16')), {
    instanceOf: AlreadyExistsError,
    message: 'ippool "a" already exists',
  });
  const read = await ds.mustGet('IPPool', 'a');
  const first = await ds.update({ ...read, spec: { ...read.spec, natOutgoing: true } });
  // A writer holding the old version loses.
  await t.throwsAsync(ds.update({ ...read, spec: { ...read.spec, disabled: true } }), { instanceOf: ConflictError });
  t.true((await ds.mustGet('IPPool', 'a')).spec.natOutgoing);
  await t.throwsAsync(ds.update({ ...first, spec: { ...first.spec, blockSize: 27 } }), {
    instanceOf: RefusedError,
    message: /spec.blockSize cannot change/,
  });
  await ds.delete('IPPool', 'a');
  t.is(await ds.get('IPPool', 'a'), undefined);
});

test('datastore: of overlapping pools created at the same time exactly one wins', async (t) => {
  const { ds } = await etcdDatastore(t);
  const results = await Promise.allSettled(
    Array.from({ length: 6 }, (_, i) => new Datastore(ds.kv.options).create(pool(`p${i}`, `10.65.${i * 16}.0/20`, {}))),
  );
  // The /20s do not overlap one another, so all succeed; now race /16s that overlap all of them.
  t.true(results.every((r) => r.status === 'fulfilled'));
  const clients = Array.from({ length: 6 }, () => new Datastore(ds.kv.options));
  t.teardown(() => {
    for (const c of clients) c.close();
  });
  const racing = await Promise.allSettled(
    clients.map((c, i) => c.create(pool(`big${i}`, `10.${100 + (i % 2)}.0.0/16`))),
  );
  const won = racing.filter((r) => r.status === 'fulfilled').length;
  t.is(won, 2, 'one per distinct /16');
  const pools = (await ds.list('IPPool')).map((p) => p.spec.cidr).sort();
  t.deepEqual(
    pools.filter((c) => c.endsWith('/16')),
    ['10.100.0.0/16', '10.101.0.0/16'],
  );
});

test('datastore: watch sees puts and deletes; effective BGP configuration layers node over default', async (t) => {
  const { ds } = await etcdDatastore(t);
  const seen: string[] = [];
  const stop = await ds.watch('all', (e: ResourceEvent) =>
    seen.push(e.type === 'put' ? `put ${e.resource.kind}/${e.resource.metadata.name}` : `delete ${e.kind}/${e.name}`),
  );
  t.teardown(() => stop());
  const cfg = (name: string, spec: object) =>
    ({ apiVersion: API_VERSION, kind: 'BGPConfiguration', metadata: { name }, spec }) as AnyResource;
  t.like(await ds.effectiveBgpConfiguration('a'), { asNumber: 64512, nodeToNodeMeshEnabled: true, listenPort: 179 });
  await ds.create(cfg('default', { asNumber: 65000, nodeToNodeMeshEnabled: false }));
  await ds.create(cfg('node.a', { asNumber: 65001 }));
  t.like(await ds.effectiveBgpConfiguration('a'), { asNumber: 65001, nodeToNodeMeshEnabled: false, holdTime: 90 });
  t.like(await ds.effectiveBgpConfiguration('b'), { asNumber: 65000 });
  await ds.delete('BGPConfiguration', 'node.a');
  const deadline = Date.now() + 5000;
  while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(seen, ['put BGPConfiguration/default', 'put BGPConfiguration/node.a', 'delete BGPConfiguration/node.a']);
  // List, then watch from the list's revision + 1: a change made in between is not lost.
  const { items, revision } = await ds.listAt('BGPConfiguration');
  t.deepEqual(
    items.map((i) => i.metadata.name),
    ['default'],
  );
  await ds.delete('BGPConfiguration', 'default');
  const later: string[] = [];
  const stop2 = await ds.watch('BGPConfiguration', (e) => later.push(e.type), revision + 1);
  t.teardown(() => stop2());
  while (later.length < 1 && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(later, ['delete']);
});

test('datastore: an outage is a DatastoreUnavailableError within seconds, and the same object works again after (watches too)', async (t) => {
  const { etcd, ds } = await etcdDatastore(t);
  const seen: string[] = [];
  const stop = await ds.watch('IPPool', (e) => seen.push(e.type === 'put' ? e.resource.metadata.name : `-${e.name}`));
  t.teardown(() => stop());
  await ds.create(pool('a', '10.65.0.0/16'));
  await etcd.stop();
  const started = Date.now();
  await t.throwsAsync(ds.list('IPPool'), { instanceOf: DatastoreUnavailableError, message: /etcd is unreachable/ });
  t.true(Date.now() - started < 6000);
  await etcd.restart();
  t.is((await ds.list('IPPool')).length, 1);
  await ds.create(pool('b', '10.66.0.0/16'));
  const deadline = Date.now() + 10_000;
  while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(seen, ['a', 'b'], 'the watch came back by itself');
});
