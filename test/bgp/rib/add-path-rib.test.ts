// RFC 7911 in the Loc-RIB: with a path identifier, one peer holds several paths for a prefix, each
// replaced, withdrawn, marked stale and purged on its own; without one, a peer's new path replaces
// its old one as before.
import test from 'ava';
import { AS_SEQUENCE, AttrStore, type PathAttributes } from '../../../bgp/rib/attributes.js';
import { LocRib } from '../../../bgp/rib/loc-rib.js';
import type { PathSource } from '../../../bgp/rib/path.js';
import { newScratch, parseKey } from '../../../bgp/rib/prefix-key.js';

const source = (address: string, id: number): PathSource => ({
  id,
  kind: 'ibgp',
  address,
  routerId: address,
  asn: 65001,
  rrClient: false,
});
const attrs = (nextHop: string): PathAttributes => ({
  origin: 0,
  asPath: [{ type: AS_SEQUENCE, asns: [65002] }],
  nextHop,
});

function setup() {
  const store = new AttrStore();
  const rib = new LocRib(store, 4);
  const peer = source('10.0.0.2', 1);
  const src = rib.sources.indexOf(peer);
  // The slot of a prefix, as the engine gets it for a received NLRI.
  const at = (prefix: string) => {
    const k = newScratch();
    parseKey(prefix, k);
    return { family: k.family, slot: rib.families[k.family].table.findOrAdd(k) };
  };
  const settle = () => rib.settle(Number.POSITIVE_INFINITY, () => {});
  return { store, rib, peer, src, at, settle };
}

const hops = (rib: LocRib, prefix: string) =>
  (rib.get(prefix)?.paths ?? []).map((p) => `${p.pathId}:${p.attrs.nextHop}`).sort();

test('paths with different identifiers from one peer are distinct; each is replaced and withdrawn alone', (t) => {
  const { store, rib, src, at, settle } = setup();
  const { family, slot } = at('10.1.0.0/24');
  const peerKey = rib.sources.peerKey('10.0.0.2');
  rib.upsertSlot(family, slot, src, store.intern(attrs('10.0.0.10')), 1);
  rib.upsertSlot(family, slot, src, store.intern(attrs('10.0.0.11')), 2);
  settle();
  t.deepEqual(hops(rib, '10.1.0.0/24'), ['1:10.0.0.10', '2:10.0.0.11']);
  t.is(rib.get('10.1.0.0/24')!.multipath?.length, 2, 'both used for ECMP');
  rib.upsertSlot(family, slot, src, store.intern(attrs('10.0.0.12')), 2);
  t.deepEqual(hops(rib, '10.1.0.0/24'), ['1:10.0.0.10', '2:10.0.0.12'], 'identifier 2 replaced, 1 untouched');
  t.false(rib.removeSlot(family, slot, peerKey, 3), 'an unknown identifier withdraws nothing');
  t.true(rib.removeSlot(family, slot, peerKey, 1));
  settle();
  t.deepEqual(hops(rib, '10.1.0.0/24'), ['2:10.0.0.12']);
  t.is(rib.countFrom('10.0.0.2'), 1);
});

test('stale marking and purging take each of a peer’s paths on its own', (t) => {
  const { store, rib, src, at, settle } = setup();
  const { family, slot } = at('10.2.0.0/24');
  const peerKey = rib.sources.peerKey('10.0.0.2');
  rib.upsertSlot(family, slot, src, store.intern(attrs('10.0.0.10')), 1);
  rib.upsertSlot(family, slot, src, store.intern(attrs('10.0.0.11')), 2);
  settle();
  t.is(rib.dropPaths(peerKey, -1, 'stale', 0, Number.POSITIVE_INFINITY), 2);
  // The peer comes back and re-sends only identifier 2.
  const again = rib.sources.indexOf(source('10.0.0.2', 2));
  rib.upsertSlot(family, slot, again, store.intern(attrs('10.0.0.11')), 2);
  t.is(rib.dropPaths(peerKey, -1, 'purge-stale', 0, Number.POSITIVE_INFINITY), 1, 'only the stale one goes');
  settle();
  t.deepEqual(hops(rib, '10.2.0.0/24'), ['2:10.0.0.11']);
  t.falsy(rib.get('10.2.0.0/24')!.paths[0]!.stale);
});

test('without identifiers a peer keeps one path per prefix (the new one replaces the old)', (t) => {
  const { store, rib, peer } = setup();
  rib.upsert('10.3.0.0/24', peer, store.intern(attrs('10.0.0.10')));
  rib.upsert('10.3.0.0/24', peer, store.intern(attrs('10.0.0.11')));
  const paths = rib.get('10.3.0.0/24')!.paths;
  t.is(paths.length, 1);
  t.is(paths[0]!.attrs.nextHop, '10.0.0.11');
  t.is(paths[0]!.pathId, undefined);
  t.is(rib.pool.pathIds.length, 0, 'the identifier column is not even allocated');
});
