// `apply -f` is all or nothing for any number of documents (more than one etcd transaction holds),
// and `delete -f` can be run again with --ignore-not-found.
import test from 'ava';
import { Datastore } from '../../src/datastore/index.js';
import { type AnyResource, API_VERSION } from '../../src/model/index.js';
import { etcdDatastore, pool } from '../ipam/fixture.js';
import { runCli } from './run-cli.js';

const N = 300; // three transactions' worth
const reservation = (i: number, cidr = `10.200.${i >> 8}.${i & 255}/32`) =>
  `apiVersion: ${API_VERSION}\nkind: IPReservation\nmetadata: {name: r${i}}\nspec: {reservedCIDRs: ["${cidr}"]}\n`;
const poolDoc = (name: string, cidr: string) =>
  `apiVersion: ${API_VERSION}\nkind: IPPool\nmetadata: {name: ${name}}\nspec: {cidr: ${cidr}}\n`;
const file = (docs: string[]) => docs.join('---\n');

async function snapshot(ds: Datastore): Promise<string> {
  return (await ds.kv.list('/')).map((kv) => `${kv.key}@${kv.modRevision}`).join('\n');
}

test('apply -f of 300 documents: a clash at document 250 writes nothing; without it all 300 are written', async (t) => {
  t.timeout(300_000);
  const { etcd, ds } = await etcdDatastore(t);
  const endpoint = etcd.endpoint;
  await ds.create(pool('base', '10.65.0.0/16'));
  const before = await snapshot(ds);

  const docs = Array.from({ length: N }, (_, i) => reservation(i));
  const clashing = [...docs];
  clashing[249] = poolDoc('clash', '10.65.128.0/17');
  const refused = await runCli(['apply', '-f', '-'], { endpoint, input: file(clashing) });
  t.is(refused.code, 1, refused.stderr);
  t.is(refused.stderr, 'tsroute: ippool "clash" overlaps ippool "base" (10.65.0.0/16)\n');
  t.is(refused.stdout, '');
  t.is(await snapshot(ds), before, 'nothing written');

  const applied = await runCli(['apply', '-f', '-'], { endpoint, input: file(docs) });
  t.is(applied.code, 0, applied.stderr);
  t.is(applied.stdout.trim().split('\n').length, N);
  t.is((await ds.list('IPReservation')).length, N);
  const again = await runCli(['apply', '-f', '-'], { endpoint, input: file(docs) });
  t.is(again.code, 0, again.stderr);
  t.is(again.stdout.match(/ configured$/gm)?.length, N);

  // delete -f: one missing document refuses the lot, unless --ignore-not-found; then it can re-run
  const withMissing = file([...docs.slice(0, 5), reservation(999)]);
  const strict = await runCli(['delete', '-f', '-'], { endpoint, input: withMissing });
  t.is(strict.code, 1);
  t.is(
    strict.stderr,
    'tsroute: ipreservation "r999" not found; nothing deleted (--ignore-not-found deletes the rest)\n',
  );
  t.is((await ds.list('IPReservation')).length, N);
  for (let run = 0; run < 2; run++) {
    const lenient = await runCli(['delete', '-f', '-', '--ignore-not-found'], { endpoint, input: withMissing });
    t.is(lenient.code, 0, lenient.stderr);
    t.is(lenient.stdout.trim().split('\n').filter(Boolean).length, run === 0 ? 5 : 0);
  }
  t.is((await ds.list('IPReservation')).length, N - 5);
});

test('a chunked apply that loses a race after its first chunk is rolled back whole', async (t) => {
  t.timeout(300_000);
  const { ds } = await etcdDatastore(t);
  await ds.create(pool('base', '10.65.0.0/16'));
  // r150 exists before; the batch changes it and adds 299 more, plus a pool
  const r150 = (cidr: string) =>
    ({
      apiVersion: API_VERSION,
      kind: 'IPReservation',
      metadata: { name: 'r150' },
      spec: { reservedCIDRs: [cidr] },
    }) as AnyResource;
  await ds.create(r150('10.201.0.1/32'));
  const batch: AnyResource[] = [pool('batch-pool', '10.66.0.0/16')];
  for (let i = 0; i < N; i++) {
    batch.push(
      i === 150
        ? r150('10.201.0.2/32')
        : ({
            apiVersion: API_VERSION,
            kind: 'IPReservation',
            metadata: { name: `r${i}` },
            spec: { reservedCIDRs: [`10.200.${i >> 8}.${i & 255}/32`] },
          } as AnyResource),
    );
  }
  const other = new Datastore(ds.kv.options);
  t.teardown(() => other.close());
  let attempts = 0;
  const err = await t.throwsAsync(
    ds.applyAll(batch, async (written) => {
      if (written !== 1) return;
      attempts++;
      t.truthy(await ds.get('IPPool', 'batch-pool'), 'the first chunk is in etcd');
      // someone else changes r150 (in the second chunk), every time: the batch never gets through
      const theirs = await other.mustGet('IPReservation', 'r150');
      await other.update({ ...theirs, spec: { reservedCIDRs: [`10.202.0.${attempts}/32`] } });
    }),
  );
  t.regex(err?.message ?? '', /other changes kept racing this apply; try again/);
  t.true(attempts > 1, `${attempts} attempts`);
  // each attempt's first chunk was undone: nothing of the batch is left, r150 is theirs
  t.falsy(await ds.get('IPPool', 'batch-pool'));
  t.deepEqual(
    (await ds.list('IPReservation')).map((r) => [r.metadata.name, r.spec.reservedCIDRs]),
    [['r150', [`10.202.0.${attempts}/32`]]],
  );
});
