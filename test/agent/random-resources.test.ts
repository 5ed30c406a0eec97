// Property: whatever BGPPeer, BGPConfiguration and BGPFilter documents etcd holds — valid ones, and
// invalid ones stored past validation — a running agent never exits, and `node status` lists exactly
// the resources it refused. Documents are written straight into a real etcd; the agent is the real
// process from the harness.
import test from 'ava';
import fc from 'fast-check';
import { Datastore } from '../../src/datastore/index.js';
import { resourceKey, resourcePrefix } from '../../src/datastore/keys.js';
import { startAgent } from '../../src/lab/agent.js';
import { startEtcd, waitFor } from '../../src/lab/index.js';
import { API_VERSION, type Kind, parseResource, ValidationError } from '../../src/model/index.js';
import { labFor } from '../helpers/lab.js';

type Doc = { kind: Kind; name: string; spec: Record<string, unknown> };

// Values on both sides of each limit, so some documents are valid and some are not.
const asNumber = fc.oneof(fc.integer({ min: 1, max: 4294967295 }), fc.constantFrom(0, 23456, 4294967296, 65000, 64512));
const community = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0, max: 70000 })).map(([a, b]) => `${a}:${b}`),
  fc
    .tuple(fc.integer({ min: 0, max: 2 ** 33 }), fc.nat(10), fc.integer({ min: 0, max: 2 ** 33 }))
    .map(([a, b, c]) => `${a}:${b}:${c}`),
  fc.constantFrom('pods', 'nope', '1:2:3:4', 'x:1'),
);
const cidr = fc.constantFrom('10.65.0.0/16', '10.65.0.0/40', '10.65.1.0/16', 'fd00:65::/64', '10.0.0.0/8');
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const config = fc
  .record({
    name: fc.constantFrom('default', 'node.h1', 'node.h2', 'Bad_Name'),
    asNumber: optional(asNumber),
    nodeToNodeMeshEnabled: optional(fc.boolean()),
    holdTime: optional(fc.constantFrom(0, 2, 3, 90, 70000)),
    keepaliveTime: optional(fc.constantFrom(1, 10, 30, 40000)),
    communities: optional(
      fc.array(fc.record({ name: fc.constantFrom('pods', 'edge'), value: community }), { maxLength: 2 }),
    ),
    prefixAdvertisements: optional(
      fc.array(fc.record({ cidr, communities: fc.array(community, { maxLength: 2 }) }), { maxLength: 2 }),
    ),
    logSeverity: optional(fc.constantFrom('debug', 'info', 'loud')),
    typo: optional(fc.constant(1)),
  })
  .map(({ name, ...spec }): Doc => ({ kind: 'BGPConfiguration', name, spec: defined(spec) }));

const rule = fc.record({
  cidr: optional(cidr),
  matchOperator: optional(fc.constantFrom('Equal', 'NotEqual', 'In', 'NotIn', 'Near')),
  action: fc.constantFrom('Accept', 'Reject', 'Maybe'),
});
const filter = fc
  .record({
    name: fc.constantFrom('f0', 'f1'),
    exportV4: optional(fc.array(rule, { maxLength: 2 })),
    importV4: optional(fc.array(rule, { maxLength: 2 })),
    importV6: optional(fc.array(rule, { maxLength: 1 })),
  })
  .map(({ name, ...spec }): Doc => ({ kind: 'BGPFilter', name, spec: defined(spec) }));

// Each peer gets its own address (from its index), so no two are duplicates of each other.
const peer = (i: number) =>
  fc
    .record({
      how: fc.constantFrom('ip', 'ip', 'bad-ip', 'selector', 'both'),
      asNumber: optional(asNumber),
      port: optional(fc.constantFrom(179, 1179, 0, 70000)),
      node: optional(fc.constantFrom('h1', 'h2')),
      nextHopMode: optional(fc.constantFrom('auto', 'self', 'keep', 'bogus')),
      filters: optional(fc.uniqueArray(fc.constantFrom('f0', 'f1', 'missing'), { maxLength: 2 })),
      maxPrefix: optional(fc.constantFrom(0, 100)),
    })
    .map(({ how, ...spec }): Doc => {
      const ip = how === 'bad-ip' ? `10.9.${i}.300` : `10.9.${i}.1`;
      const address = how === 'selector' ? { peerSelector: 'role == "tor"' } : { peerIP: ip };
      const both = how === 'both' ? { peerSelector: 'all()' } : {};
      return { kind: 'BGPPeer', name: `p${i}`, spec: defined({ ...address, ...both, ...spec }) };
    });

const batch = fc
  .tuple(fc.array(config, { maxLength: 2 }), fc.array(filter, { maxLength: 2 }), fc.integer({ min: 0, max: 3 }))
  .chain(([configs, filters, peers]) =>
    fc.tuple(fc.constant(configs), fc.constant(filters), fc.tuple(...Array.from({ length: peers }, (_, i) => peer(i)))),
  )
  .map(([configs, filters, peers]) => {
    // one document per name: the last one written wins in etcd
    const byKey = new Map<string, Doc>();
    for (const d of [...configs, ...filters, ...peers]) byKey.set(`${d.kind}/${d.name}`, d);
    return [...byKey.values()];
  });

const docOf = (d: Doc) => ({ apiVersion: API_VERSION, kind: d.kind, metadata: { name: d.name }, spec: d.spec });

/** What the agent must refuse: each document validation refuses, and peers naming a filter that is not applied. */
function expectedRefusals(docs: Doc[]): string[] {
  const valid = (d: Doc) => {
    try {
      parseResource(structuredClone(docOf(d)));
      return true;
    } catch (err) {
      if (err instanceof ValidationError) return false;
      throw err;
    }
  };
  const goodFilters = new Set(docs.filter((d) => d.kind === 'BGPFilter' && valid(d)).map((d) => d.name));
  return docs
    .filter((d) => {
      if (!valid(d)) return true;
      if (d.kind !== 'BGPPeer') return false;
      return ((d.spec.filters as string[] | undefined) ?? []).some((f) => !goodFilters.has(f));
    })
    .map((d) => `${d.kind}/${d.name}`)
    .sort();
}

test('random peers, configurations and filters stored in etcd: the agent never exits and lists each one it refuses', async (t) => {
  t.timeout(240_000, 'agent start on a busy machine plus the runs');
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  const ds = new Datastore({ endpoints: [etcd.endpoint] });
  t.teardown(() => ds.close());
  const host = await lab.namespace('h1');
  await host.ip('addr', 'add', '10.0.0.1/32', 'dev', 'lo');
  const agent = await startAgent(lab, host, { name: 'h1', etcd, bgpAddress: '10.0.0.1', logLevel: 'info' });

  const seed = Number(process.env.TSROUTE_PROPERTY_SEED ?? Date.now() % 2 ** 31);
  t.log(`seed ${seed} (TSROUTE_PROPERTY_SEED=${seed} repeats this run)`);
  let runs = 0;
  let refusedSeen = 0;
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(batch, async (docs) => {
      runs++;
      // a clean slate, then this run's documents, straight into etcd past validation
      const keys = await Promise.all(
        (['BGPPeer', 'BGPFilter', 'BGPConfiguration'] as Kind[]).map((k) => ds.kv.keys(resourcePrefix(k))),
      );
      await ds.kv.txn(
        [],
        keys.flat().map((k) => ({ delete: k })),
      );
      await ds.kv.txn(
        [],
        docs.map((d) => ({ put: resourceKey(d.kind, d.name), value: docOf(d) })),
      );
      const expected = expectedRefusals(docs);
      refusedSeen += expected.length;
      let last: string[] = [];
      const seen = await waitFor(
        `the agent to refuse ${JSON.stringify(expected)}`,
        async () => {
          agent.daemon.assertRunning();
          const s = await agent.status();
          last = s.rejectedResources.map((r) => `${r.kind}/${r.name}: ${r.reason}`).sort();
          const got = s.rejectedResources.map((r) => `${r.kind}/${r.name}`).sort();
          return JSON.stringify(got) === JSON.stringify(expected) ? s : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 100 },
      ).catch((err: Error) => {
        const message = `${err.message}; the agent lists ${JSON.stringify(last)}`;
        t.log(message);
        throw new Error(message);
      });
      // every refusal says why, in one line
      for (const r of seen.rejectedResources) t.true(r.reason.length > 0 && !r.reason.includes('\n'), r.reason);
    }),
    { numRuns: 25, seed },
  );
  agent.daemon.assertRunning();
  // the person's view: node status prints one error line per refused resource of the last run
  const status = await agent.status();
  const out = await agent.cli(['node', 'status']);
  t.is(out.code, 0, out.stderr);
  t.is(out.stdout.split('\n').filter((l) => l.trim().startsWith('error:')).length, status.rejectedResources.length);
  t.log(`${runs} runs, ${refusedSeen} refusals expected and listed, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.true(refusedSeen > 0, 'the generator produced invalid documents');
});
