// Policy seen from a real peer: an export filter that rejects a prefix range and adds a community,
// an import filter that rejects a range, and both changed at run time without a session reset
// (export: re-evaluated and re-sent; import: ROUTE-REFRESH to the peer).
import test from 'ava';
import { waitFor } from '../../../src/lab/index.js';
import { B4, tsrouteAndRouter } from './pair.js';

test('export/import filters at BIRD: rejected range absent, added community present, changes apply live', async (t) => {
  const { ts, router } = await tsrouteAndRouter(t, 'bird', {
    families: ['ipv4'],
    originate: [{ prefix: '10.201.1.0/24' }, { prefix: '10.202.1.0/24' }],
    peer: {
      exportPolicy: {
        rules: [
          { name: 'no-lab-range', match: { prefixes: [{ prefix: '10.101.0.0/16', le: 32 }] }, action: 'reject' },
          { name: 'tag', set: { addCommunities: ['65001:777'] }, action: 'accept' },
        ],
      },
      importPolicy: {
        rules: [{ match: { prefixes: [{ prefix: '10.201.0.0/16', ge: 16, le: 32 }] }, action: 'reject' }],
      },
    },
  });
  await ts.announce('10.101.1.0/24');
  await ts.announce('10.102.1.0/24');
  const ours = async () => (await router.routes()).filter((r) => r.prefix.startsWith('10.10'));
  const seen = await waitFor('BIRD has the allowed route', async () => {
    const r = await ours();
    return r.some((x) => x.prefix === '10.102.1.0/24') ? r : undefined;
  });
  t.deepEqual(
    seen.map((r) => r.prefix),
    ['10.102.1.0/24'],
    'the rejected range never reaches the peer',
  );
  t.deepEqual(seen[0]!.communities, ['65001:777']);
  const learned = await waitFor('tsroute has the allowed BIRD route', async () => {
    const r = await ts.locRib({ prefix: '10.202.1.0/24' });
    return r.length ? r : undefined;
  });
  t.is(learned[0]!.from, B4);
  t.deepEqual(await ts.locRib({ prefix: '10.201.1.0/24' }), []);

  // Live changes: let the range out with another community; accept everything on import.
  await ts.call('updatePeer', B4, {
    exportPolicy: { rules: [{ set: { addCommunities: ['65001:888'] }, action: 'accept' }] },
    importPolicy: { rules: [] },
  });
  await waitFor('BIRD now has both, re-tagged', async () => {
    const r = await ours();
    return r.length === 2 && r.every((x) => x.communities.join() === '65001:888');
  });
  await waitFor(
    'ROUTE-REFRESH brought back the formerly rejected route',
    async () => (await ts.locRib({ prefix: '10.201.1.0/24' })).length === 1,
  );
  const [peer] = await ts.peers();
  t.is(peer!.counters.flaps, 0, 'no session reset');
});
