// The reconciler's pure decision: desired routes against applied (or kernel) state.
import test from 'ava';
import fc from 'fast-check';
import {
  applyOps,
  BLACKHOLE,
  type DesiredRoutes,
  diffRoutes,
  emptyState,
  kernelState,
  nextHopsValue,
  type RouteState,
} from '../../src/dataplane/route-diff.js';

function desired(blackholes: string[], learned: Record<string, string[]>, learnedAuthoritative = true): DesiredRoutes {
  return {
    blackholes: new Set(blackholes),
    learned: new Map(Object.entries(learned).map(([p, hops]) => [p, nextHopsValue(hops)])),
    learnedAuthoritative,
  };
}

function state(blackholes: string[], learned: Record<string, string>): RouteState {
  return {
    blackholes: new Map(blackholes.map((p) => [p, BLACKHOLE])),
    learned: new Map(Object.entries(learned)),
  };
}

test('missing routes are added, changed ones replaced, unwanted ones deleted', (t) => {
  const ops = diffRoutes(
    desired(['10.65.3.0/26'], { '10.70.0.0/24': ['10.0.0.1'], '10.71.0.0/24': ['10.0.0.3', '10.0.0.1'] }),
    state(['10.65.9.0/26'], { '10.71.0.0/24': '10.0.0.1', '10.72.0.0/24': '10.0.0.1' }),
  );
  t.deepEqual(ops, [
    { action: 'add', kind: 'blackhole', prefix: '10.65.3.0/26', value: BLACKHOLE },
    { action: 'delete', kind: 'blackhole', prefix: '10.65.9.0/26', value: BLACKHOLE },
    { action: 'add', kind: 'learned', prefix: '10.70.0.0/24', value: '10.0.0.1' },
    { action: 'replace', kind: 'learned', prefix: '10.71.0.0/24', value: '10.0.0.1,10.0.0.3' },
    { action: 'delete', kind: 'learned', prefix: '10.72.0.0/24', value: '10.0.0.1' },
  ]);
});

test('next-hop order does not matter', (t) => {
  t.is(nextHopsValue(['10.0.0.3', '10.0.0.1']), nextHopsValue(['10.0.0.1', '10.0.0.3']));
  t.deepEqual(
    diffRoutes(
      desired([], { '10.71.0.0/24': ['10.0.0.3', '10.0.0.1'] }),
      state([], { '10.71.0.0/24': '10.0.0.1,10.0.0.3' }),
    ),
    [],
  );
});

test('after a restart, learned routes missing from BGP are kept until the set is authoritative', (t) => {
  const applied = state(['10.65.9.0/26'], { '10.72.0.0/24': '10.0.0.1' });
  const keep = diffRoutes(desired([], {}, false), applied);
  // blackholes are ours to decide at once; learned routes wait for the peers
  t.deepEqual(
    keep.map((o) => `${o.action} ${o.prefix}`),
    ['delete 10.65.9.0/26'],
  );
  const now = diffRoutes(desired([], {}, true), applied);
  t.deepEqual(
    now.map((o) => `${o.action} ${o.prefix}`),
    ['delete 10.65.9.0/26', 'delete 10.72.0.0/24'],
  );
});

test('with changed prefixes, only those are compared', (t) => {
  const ops = diffRoutes(
    desired(['10.65.3.0/26'], { '10.70.0.0/24': ['10.0.0.1'], '10.71.0.0/24': ['10.0.0.2'] }),
    emptyState(),
    { blackholes: [], learned: ['10.71.0.0/24', '10.99.0.0/24'] },
  );
  t.deepEqual(ops, [{ action: 'add', kind: 'learned', prefix: '10.71.0.0/24', value: '10.0.0.2' }]);
});

test('the kernel read keeps only our protocols, and a route of ours changed by hand no longer matches', (t) => {
  const s = kernelState([
    { prefix: '10.65.3.0/26', family: 'ipv4', protocol: 81, type: 'blackhole', nextHops: [], oif: 0 },
    { prefix: '10.65.4.0/26', family: 'ipv4', protocol: 81, type: 'unicast', nextHops: ['10.0.0.9'], oif: 2 },
    {
      prefix: '10.70.0.0/24',
      family: 'ipv4',
      protocol: 186,
      type: 'unicast',
      nextHops: ['10.0.0.3', '10.0.0.1'],
      oif: 0,
    },
    { prefix: '10.80.0.0/24', family: 'ipv4', protocol: 4, type: 'unicast', nextHops: ['10.0.0.1'], oif: 2 },
    { prefix: '10.65.3.7/32', family: 'ipv4', protocol: 80, type: 'unicast', nextHops: [], oif: 5 },
  ]);
  t.deepEqual(
    [...s.blackholes],
    [
      ['10.65.3.0/26', BLACKHOLE],
      ['10.65.4.0/26', '(unicast)'],
    ],
  );
  t.deepEqual([...s.learned], [['10.70.0.0/24', '10.0.0.1,10.0.0.3']]);
  const ops = diffRoutes(desired(['10.65.3.0/26', '10.65.4.0/26'], { '10.70.0.0/24': ['10.0.0.1', '10.0.0.3'] }), s);
  t.deepEqual(ops, [{ action: 'replace', kind: 'blackhole', prefix: '10.65.4.0/26', value: BLACKHOLE }]);
});

const prefix = fc.integer({ min: 0, max: 40 }).map((i) => `10.${100 + i}.0.0/24`);
const hops = fc.uniqueArray(fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'), { minLength: 1, maxLength: 3 });
const side = fc.record({
  blackholes: fc.uniqueArray(prefix, { maxLength: 10 }),
  learned: fc.dictionary(prefix, hops, { maxKeys: 20 }),
});

test('property: applying the diff makes the state desired, and the next diff is empty', (t) => {
  fc.assert(
    fc.property(side, side, fc.boolean(), (want, have, authoritative) => {
      const d = desired(want.blackholes, want.learned, authoritative);
      const applied = state(
        have.blackholes,
        Object.fromEntries(Object.entries(have.learned).map(([p, h]) => [p, nextHopsValue(h)])),
      );
      const kept = [...applied.learned].filter(([p]) => !authoritative && !d.learned.has(p));
      applyOps(applied, diffRoutes(d, applied));
      const sorted = <T>(xs: Iterable<T>) => [...xs].sort();
      t.deepEqual(sorted(applied.blackholes.keys()), sorted(d.blackholes));
      t.deepEqual(sorted(applied.learned), sorted([...d.learned, ...kept]));
      t.deepEqual(diffRoutes(d, applied), []);
    }),
    { numRuns: 300 },
  );
});
