// RFC 7911 ADD-PATH against GoBGP 3: paths one peer sends for one prefix under different path
// identifiers are distinct paths in our RIB (and, with multipath, both next hops are used); a
// withdrawal names one of them.
import test from 'ava';
import { type Gobgp, waitFor } from '../../../src/lab/index.js';
import { B4, tsrouteAndRouter } from './pair.js';

const PREFIX = '10.230.0.0/24';
const HOP1 = '10.99.0.10';
const HOP2 = '10.99.0.11';

test('receive: two paths GoBGP sends for one prefix with ADD-PATH are both held, and both next hops used', async (t) => {
  const { ts, router } = await tsrouteAndRouter(t, 'gobgp', {
    asA: 65001,
    asB: 65001,
    families: ['ipv4'],
    speaker: { multipath: true },
    peer: { addPaths: 'receive' },
    routerPeer: { addPaths: 'send' },
  });
  const gobgp = router as Gobgp;
  const [peer] = await ts.peers();
  t.deepEqual(peer!.capabilities?.addPathReceive, ['ipv4'], 'ADD-PATH receive negotiated for IPv4');
  await gobgp.gobgp('global', 'rib', 'add', '-a', 'ipv4', PREFIX, 'nexthop', HOP1, 'identifier', '1');
  await gobgp.gobgp('global', 'rib', 'add', '-a', 'ipv4', PREFIX, 'nexthop', HOP2, 'identifier', '2');
  const paths = await waitFor('both paths in our RIB', async () => {
    const rib = await ts.locRib({ prefix: PREFIX });
    return rib.length === 2 ? rib : undefined;
  });
  t.deepEqual(
    paths.map((p) => p.from),
    [B4, B4],
    'both from the one peer',
  );
  t.deepEqual(paths.map((p) => p.nextHop).sort(), [HOP1, HOP2]);
  t.is(new Set(paths.map((p) => p.pathId)).size, 2, `two path identifiers: ${paths.map((p) => p.pathId)}`);
  const ecmp = await waitFor('a best-path event with both next hops', async () =>
    ts.bestPathEvents().find((e) => e.prefix === PREFIX && e.nextHops.length === 2),
  );
  t.deepEqual([...ecmp.nextHops].sort(), [HOP1, HOP2], 'multipath uses both');
  // A withdrawal of one identifier leaves the other path.
  await gobgp.gobgp('global', 'rib', 'del', '-a', 'ipv4', PREFIX, 'nexthop', HOP1, 'identifier', '1');
  const left = await waitFor('one path left', async () => {
    const rib = await ts.locRib({ prefix: PREFIX });
    return rib.length === 1 ? rib : undefined;
  });
  t.is(left[0]!.nextHop, HOP2);
});

test('receive not configured: GoBGP falls back to one path per prefix and we hold just that', async (t) => {
  const { ts, router } = await tsrouteAndRouter(t, 'gobgp', {
    asA: 65001,
    asB: 65001,
    families: ['ipv4'],
    routerPeer: { addPaths: 'send' },
  });
  const gobgp = router as Gobgp;
  const [peer] = await ts.peers();
  t.deepEqual(peer!.capabilities?.addPathReceive, [], 'not negotiated');
  await gobgp.gobgp('global', 'rib', 'add', '-a', 'ipv4', PREFIX, 'nexthop', HOP1, 'identifier', '1');
  await gobgp.gobgp('global', 'rib', 'add', '-a', 'ipv4', PREFIX, 'nexthop', HOP2, 'identifier', '2');
  await waitFor('the prefix arrives', async () => (await ts.locRib({ prefix: PREFIX })).length > 0);
  await new Promise((r) => setTimeout(r, 1000));
  const rib = await ts.locRib({ prefix: PREFIX });
  t.is(rib.length, 1, 'one path');
  t.is(rib[0]!.pathId, undefined, 'no path identifier');
});
