// RFC 8654 extended messages against BIRD 2: with both sides offering the capability, an UPDATE of
// more than 4096 bytes (1,500 communities: ~6 KB of attributes) crosses in each direction; with only
// one side offering it, we never send more than 4096 bytes: a route that cannot fit is withdrawn at
// the peer (not left there in an older version) and the session stays up.
import test from 'ava';
import { type Bird, waitFor } from '../../../src/lab/index.js';
import { tsrouteAndRouter } from './pair.js';

/** 1,500 communities: 6,000 bytes of COMMUNITIES, more than a 4096-byte message holds. */
const MANY = Array.from({ length: 1500 }, (_, i) => `65002:${i + 1}`);
const BIG_FROM_BIRD = '10.240.1.0/24';
const BIG_FROM_US = '10.240.2.0/24';
const SMALL_FROM_US = '10.240.3.0/24';

test('extended messages negotiated with BIRD: a 6 KB UPDATE crosses both ways in one message', async (t) => {
  const { ts, router } = await tsrouteAndRouter(t, 'bird', {
    families: ['ipv4'],
    peer: { extendedMessages: true },
    routerPeer: { extendedMessages: true },
    originate: [{ prefix: BIG_FROM_BIRD, communities: MANY }],
  });
  const bird = router as Bird;
  const [peer] = await ts.peers();
  t.true(peer!.capabilities?.extendedMessage, 'extended messages negotiated');
  // BIRD → us: the framer takes a message above 4096 bytes.
  const got = await waitFor('the big route from BIRD', async () => (await ts.locRib({ prefix: BIG_FROM_BIRD }))[0]);
  t.is(got.communities.length, MANY.length, 'every community arrived');
  // Us → BIRD.
  await ts.announce(BIG_FROM_US, { communities: MANY.map((c) => c.replace('65002', '65001')) });
  const there = await waitFor('BIRD holds our big route', async () =>
    (await bird.routes()).find((r) => r.prefix === BIG_FROM_US),
  );
  t.truthy(there);
  // birdc shortens a long community list on display: let BIRD count them itself.
  const counted = await bird.birdc(`show route where bgp_community.len = ${MANY.length}`);
  t.true(counted.includes(BIG_FROM_US), `BIRD holds all ${MANY.length} communities:\n${counted}`);
  const [after] = await ts.peers();
  t.is(after!.state, 'Established');
  t.is(after!.counters.flaps, 0, 'no reset on the way');
});

test('without BIRD offering extended messages we never send more than 4096 bytes', async (t) => {
  const { ts, router } = await tsrouteAndRouter(t, 'bird', {
    families: ['ipv4'],
    peer: { extendedMessages: true },
    routerPeer: {},
  });
  const bird = router as Bird;
  const [peer] = await ts.peers();
  t.false(peer!.capabilities?.extendedMessage, 'only one side offered it: not negotiated');
  // The route first goes out small; grown past 4096 bytes it cannot be sent, so BIRD is told to
  // withdraw it rather than keep the old version.
  await ts.announce(BIG_FROM_US, { communities: ['65001:1'] });
  await ts.announce(SMALL_FROM_US, { communities: ['65001:1'] });
  await waitFor('BIRD holds both small routes', async () => {
    const routes = await bird.routes();
    return routes.some((r) => r.prefix === SMALL_FROM_US) && routes.some((r) => r.prefix === BIG_FROM_US);
  });
  await ts.announce(BIG_FROM_US, { communities: MANY.map((c) => c.replace('65002', '65001')) });
  await waitFor('BIRD drops the route that grew past 4096 bytes', async () =>
    (await bird.routes()).every((r) => r.prefix !== BIG_FROM_US),
  );
  t.truthy(
    (await bird.routes()).find((r) => r.prefix === SMALL_FROM_US),
    'the small route stays',
  );
  const sessions = await bird.sessions();
  t.is(sessions[0]!.state, 'Established', `BIRD kept the session (${sessions[0]!.info})`);
  const [after] = await ts.peers();
  t.is(after!.counters.flaps, 0, 'no Bad Message Length reset');
  t.is(after!.state, 'Established');
});
