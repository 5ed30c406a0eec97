// Route refresh (RFC 2918, RFC 7313): asked by ExaBGP for our table again, we re-send it inside the
// Beginning- and End-of-Route-Refresh markers; asking BIRD for its table again loses no route.
import test from 'ava';
import { type Exabgp, waitFor } from '../../../src/lab/index.js';
import { A4, B4, tsrouteAndRouter } from './pair.js';

/** ROUTE-REFRESH body (after the 19-byte header): AFI (2), subtype (1), SAFI (1). */
const subtypeOf = (m: Buffer) => m[21];

test('a refresh request is answered with BoRR, the whole table, then EoRR (RFC 7313 §4)', async (t) => {
  const { ts, router } = await tsrouteAndRouter(t, 'exabgp', { families: ['ipv4'] });
  const exa = router as Exabgp;
  await waitFor('ExaBGP up', async () => (await exa.sessions())[0]?.state === 'Established');
  const [peer] = await ts.peers();
  t.true(peer!.capabilities?.enhancedRouteRefresh, 'ExaBGP negotiated enhanced route refresh');
  await ts.announce('10.231.1.0/24');
  await ts.announce('10.231.2.0/24');
  await waitFor('ExaBGP has both routes', async () => (await exa.routes()).length === 2);
  const before = exa.messages().length;
  exa.send(`neighbor ${A4} announce route-refresh ipv4 unicast`);
  const after = await waitFor('BoRR and EoRR back', () => {
    const ms = exa.messages().slice(before);
    return ms.some((m) => m.type === 'refresh' && m.header && subtypeOf(raw(m)) === 2) ? ms : undefined;
  });
  const sequence = after
    .filter((m) => (m.type === 'refresh' || m.type === 'update') && m.header)
    .map((m) => (m.type === 'refresh' ? (subtypeOf(raw(m)) === 1 ? 'BoRR' : 'EoRR') : 'UPDATE'));
  t.is(sequence[0], 'BoRR');
  t.is(sequence.at(-1), 'EoRR');
  t.true(sequence.includes('UPDATE'), `the table was sent between the markers: ${sequence.join(' ')}`);
  t.is((await exa.routes()).length, 2, 'ExaBGP still holds both routes');
});

test('asking BIRD for its table again (it answers with BoRR … EoRR) keeps every route, none left stale', async (t) => {
  const originate = [{ prefix: '10.232.1.0/24' }, { prefix: '10.232.2.0/24' }];
  const { ts, router } = await tsrouteAndRouter(t, 'bird', { families: ['ipv4'], originate });
  await waitFor('BIRD up', async () => (await router.sessions())[0]?.state === 'Established');
  await waitFor('both learned', async () => (await ts.locRib()).length === 2);
  t.true((await ts.peers())[0]!.capabilities?.enhancedRouteRefresh, 'BIRD negotiated enhanced route refresh');
  const eventsBefore = ts.bestPathEvents().length;
  await ts.call('refresh', B4);
  // A refresh cycle takes milliseconds here; a stale purge gone wrong would show within this.
  await new Promise((r) => setTimeout(r, 1500));
  const rib = await ts.locRib();
  t.deepEqual(rib.map((r) => r.prefix).sort(), ['10.232.1.0/24', '10.232.2.0/24']);
  t.false(
    rib.some((r) => r.stale),
    'the re-sent routes are fresh',
  );
  t.false(
    ts
      .bestPathEvents()
      .slice(eventsBefore)
      .some((e) => e.withdrawn),
    'no route was withdrawn on the way',
  );
});

function raw(m: { header?: string; body?: string }): Buffer {
  return Buffer.from(`${m.header!.replace(/^0x/i, '')}${(m.body ?? '').replace(/^0x/i, '')}`, 'hex');
}
