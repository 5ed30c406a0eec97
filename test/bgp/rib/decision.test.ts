// The decision process (RFC 4271 §9.1.2.2, RFC 4456 §9) and ECMP, step by step, through the Loc-RIB.
import test from 'ava';
import { AS_SEQUENCE, AttrStore, type PathAttributes } from '../../../bgp/rib/attributes.js';
import { LocRib } from '../../../bgp/rib/loc-rib.js';
import type { Path, PathSource, SourceKind } from '../../../bgp/rib/path.js';

let nextId = 1;
const src = (address: string, kind: SourceKind = 'ebgp', routerId = address, asn = 65000): PathSource => ({
  id: nextId++,
  kind,
  address,
  routerId,
  asn,
  rrClient: false,
});
const attrs = (over: Partial<PathAttributes> = {}): PathAttributes => ({
  origin: 0,
  asPath: [{ type: AS_SEQUENCE, asns: [65001] }],
  nextHop: '10.0.0.1',
  ...over,
});

/** Runs the decision for every dirty prefix; the changes it reported, as paths. */
function settle(rib: LocRib) {
  const changes: { prefix: string; best?: Path; multipath: Path[] }[] = [];
  rib.settle(Number.POSITIVE_INFINITY, (family, slot, multipath) => {
    const best = rib.bestOf(family, slot);
    changes.push({
      prefix: rib.families[family].table.text(slot),
      best: best ? rib.path(best) : undefined,
      multipath: multipath.map((row) => rib.path(row)),
    });
  });
  return changes;
}

const dropFrom = (rib: LocRib, address: string, mode: 'stale' | 'purge-stale') =>
  rib.dropPaths(rib.sources.peerKey(address), -1, mode, 0, Number.POSITIVE_INFINITY);

function winner(...cands: [PathSource, PathAttributes][]): string {
  const store = new AttrStore();
  const rib = new LocRib(store);
  for (const [s, a] of cands) rib.upsert('10.1.0.0/24', s, store.intern(a));
  settle(rib);
  return rib.get('10.1.0.0/24')!.best!.source.address;
}

test('higher LOCAL_PREF wins over a shorter AS path', (t) => {
  t.is(
    winner(
      [src('10.0.0.1', 'ibgp'), attrs({ localPref: 200, asPath: [{ type: AS_SEQUENCE, asns: [1, 2, 3] }] })],
      [src('10.0.0.2', 'ibgp'), attrs({ localPref: 100 })],
    ),
    '10.0.0.1',
  );
});

test('shorter AS path, then lower ORIGIN', (t) => {
  t.is(
    winner([src('10.0.0.1'), attrs({ asPath: [{ type: AS_SEQUENCE, asns: [1, 2] }] })], [src('10.0.0.2'), attrs()]),
    '10.0.0.2',
  );
  t.is(winner([src('10.0.0.1'), attrs({ origin: 2 })], [src('10.0.0.2'), attrs({ origin: 0 })]), '10.0.0.2');
});

test('MED compared only between paths from the same neighbour AS', (t) => {
  t.is(winner([src('10.0.0.1'), attrs({ med: 50 })], [src('10.0.0.2'), attrs({ med: 10 })]), '10.0.0.2');
  // Different neighbour AS: MED ignored, falls through to router ID (10.0.0.1 lower).
  t.is(
    winner(
      [src('10.0.0.1'), attrs({ med: 50 })],
      [src('10.0.0.2'), attrs({ med: 10, asPath: [{ type: AS_SEQUENCE, asns: [65009] }] })],
    ),
    '10.0.0.1',
  );
});

test('eBGP over iBGP, then lowest router ID / ORIGINATOR_ID, then shorter CLUSTER_LIST, then peer address', (t) => {
  t.is(winner([src('10.0.0.1', 'ibgp'), attrs()], [src('10.0.0.2', 'ebgp'), attrs()]), '10.0.0.2');
  t.is(
    winner([src('10.0.0.1', 'ibgp', '9.9.9.9'), attrs()], [src('10.0.0.2', 'ibgp', '1.1.1.1'), attrs()]),
    '10.0.0.2',
  );
  t.is(
    winner(
      [src('10.0.0.1', 'ibgp', '1.1.1.1'), attrs({ originatorId: '5.5.5.5' })],
      [src('10.0.0.2', 'ibgp', '9.9.9.9'), attrs({ originatorId: '5.5.5.5', clusterList: ['1.1.1.1'] })],
    ),
    '10.0.0.1',
  );
  t.is(
    winner([src('10.0.0.9', 'ibgp', '1.1.1.1'), attrs()], [src('10.0.0.3', 'ibgp', '1.1.1.1'), attrs()]),
    '10.0.0.3',
  );
  // by value, not by text: fd00::2 (…:0:0:0:2) is below fd00:0:0:1:: (a split on ':' said otherwise)
  t.is(
    winner([src('fd00:0:0:1::', 'ibgp', '1.1.1.1'), attrs()], [src('fd00::2', 'ibgp', '1.1.1.1'), attrs()]),
    'fd00::2',
  );
});

test('ECMP: equal paths with distinct next hops are all used, up to the limit', (t) => {
  const store = new AttrStore();
  const rib = new LocRib(store, 2);
  rib.upsert('10.1.0.0/24', src('10.0.0.1'), store.intern(attrs({ nextHop: '10.0.0.1' })));
  rib.upsert('10.1.0.0/24', src('10.0.0.2'), store.intern(attrs({ nextHop: '10.0.0.2' })));
  rib.upsert('10.1.0.0/24', src('10.0.0.3'), store.intern(attrs({ nextHop: '10.0.0.3' })));
  rib.upsert('10.1.0.0/24', src('10.0.0.4'), store.intern(attrs({ nextHop: '10.0.0.4', origin: 2 })));
  const [change] = settle(rib);
  t.deepEqual(
    change!.multipath.map((p) => p.attrs.nextHop),
    ['10.0.0.1', '10.0.0.2'],
  );
  rib.remove('10.1.0.0/24', '10.0.0.1');
  const [after] = settle(rib);
  t.deepEqual(
    after!.multipath.map((p) => p.attrs.nextHop),
    ['10.0.0.2', '10.0.0.3'],
  );
});

test('withdrawing the last path removes the prefix and reports it gone', (t) => {
  const store = new AttrStore();
  const rib = new LocRib(store);
  rib.upsert('10.1.0.0/24', src('10.0.0.1'), store.intern(attrs()));
  settle(rib);
  rib.remove('10.1.0.0/24', '10.0.0.1');
  const [change] = settle(rib);
  t.is(change!.best, undefined);
  t.is(rib.prefixCount, 0);
  t.is(rib.slotOf('10.1.0.0/24'), undefined, 'the prefix slot is given back');
  t.is(store.size, 0, 'the attribute set is freed with its last path');
});

test('graceful restart: stale paths survive until purged, re-sent ones are kept', (t) => {
  const store = new AttrStore();
  const rib = new LocRib(store);
  const before = src('10.0.0.1');
  for (const p of ['10.1.0.0/24', '10.2.0.0/24']) rib.upsert(p, before, store.intern(attrs()));
  settle(rib);
  t.is(dropFrom(rib, '10.0.0.1', 'stale'), 2);
  t.true(rib.get('10.1.0.0/24')!.best!.stale);
  rib.upsert('10.1.0.0/24', src('10.0.0.1'), store.intern(attrs()));
  t.falsy(rib.get('10.1.0.0/24')!.best!.stale, 're-sent with the same attributes: fresh again');
  t.is(dropFrom(rib, '10.0.0.1', 'purge-stale'), 1);
  settle(rib);
  t.truthy(rib.get('10.1.0.0/24'));
  t.falsy(rib.get('10.2.0.0/24'));
});

test('attribute sets are interned: equal content gives the same object, whatever the order of communities', (t) => {
  const store = new AttrStore();
  const a = store.intern(attrs({ communities: [2, 1] }));
  const b = store.intern(attrs({ communities: [1, 2, 2] }));
  t.is(a, b);
  t.true(Object.isFrozen(a.communities) && Object.isFrozen(a.asPath));
  t.is(store.size, 1);
});
