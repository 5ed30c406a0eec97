// RFC 4724 in both roles. As helper: a GoBGP peer is killed and restarted; its paths stay (stale) in
// our Loc-RIB through the restart, and what it does not re-send is purged after its End-of-RIB. As
// restarting speaker: tsroute is killed and restarted; a BIRD helper keeps our routes meanwhile and
// drops the one we no longer announce once our End-of-RIB arrives.
import test from 'ava';
import { type Gobgp, waitFor } from '../../../src/lab/index.js';
import { A4, B4, tsrouteAndRouter } from './pair.js';
import { TsrouteNode } from './tsroute-node.js';

const GR = { restartTime: 30 };

test('helper: a restarting GoBGP keeps its paths in our Loc-RIB as stale; unsent ones go after its End-of-RIB', async (t) => {
  const { ts, router } = await tsrouteAndRouter(t, 'gobgp', {
    families: ['ipv4'],
    originate: [{ prefix: '10.200.1.0/24' }],
    routerPeer: { gracefulRestart: GR },
    speaker: { gracefulRestart: GR },
  });
  const gobgp = router as Gobgp;
  // Announced at run time, so the restarted GoBGP will not send it again.
  await gobgp.announce('10.200.2.0/24');
  await waitFor('both GoBGP routes at tsroute', async () => (await ts.locRib()).length === 2);
  const [peer] = await ts.peers();
  t.truthy(peer!.capabilities?.gracefulRestart, 'graceful restart negotiated');

  const restarting = gobgp.restart({ gracefully: true });
  await waitFor('tsroute sees the session drop', async () => (await ts.peers())[0]!.state !== 'Established');
  const during = await ts.locRib();
  t.deepEqual(during.map((r) => r.prefix).sort(), ['10.200.1.0/24', '10.200.2.0/24']);
  t.true(
    during.every((r) => r.stale),
    'paths are kept, marked stale',
  );
  t.false(
    ts.bestPathEvents().some((e) => e.withdrawn),
    'no withdrawal reached the agent while the peer restarted',
  );
  await restarting;

  await ts.waitEstablished(B4);
  const after = await waitFor('stale path purged, re-sent one fresh', async () => {
    const r = await ts.locRib();
    return r.length === 1 && r[0]!.prefix === '10.200.1.0/24' && !r[0]!.stale ? r : undefined;
  });
  t.is(after[0]!.nextHop, B4);
});

test('restarting speaker: a BIRD helper keeps our routes while tsroute restarts, then honours our End-of-RIB', async (t) => {
  const { lab, a, b, ts, router } = await tsrouteAndRouter(t, 'bird', {
    families: ['ipv4'],
    routerPeer: { gracefulRestart: GR },
    speaker: { gracefulRestart: GR },
  });
  await ts.announce('10.100.1.0/24');
  await ts.announce('10.100.2.0/24');
  await waitFor('BIRD has both routes in its kernel', async () =>
    Boolean((await b.route('10.100.1.0/24')) && (await b.route('10.100.2.0/24'))),
  );

  await ts.crash();
  await waitFor('BIRD notices', async () => (await router.sessions())[0]!.state !== 'Established');
  const held = (await router.routes())
    .map((r) => r.prefix)
    .filter((p) => p.startsWith('10.100.'))
    .sort();
  t.deepEqual(held, ['10.100.1.0/24', '10.100.2.0/24'], 'BIRD keeps our routes while we restart');
  t.truthy(await b.route('10.100.2.0/24'), 'and keeps forwarding on them');

  // The new incarnation announces only one of the two, then peers: its End-of-RIB follows that table.
  const again = await TsrouteNode.start(lab, a, {
    asn: 65001,
    routerId: A4,
    gracefulRestart: { ...GR, restarting: true },
  });
  await again.announce('10.100.1.0/24');
  await again.addPeer({ address: B4, asn: 65002, localAddress: A4, families: ['ipv4'], connectRetry: 1, holdTime: 9 });
  await again.waitEstablished(B4);
  await waitFor('BIRD drops the route we no longer announce', async () => {
    const r = (await router.routes()).map((x) => x.prefix);
    return r.includes('10.100.1.0/24') && !r.includes('10.100.2.0/24');
  });
  t.truthy(await b.route('10.100.1.0/24'));
});
