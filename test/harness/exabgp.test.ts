// ExaBGP as a scriptable peer: it records what GoBGP sends (parsed and raw) and sends what the test
// tells it, including a hand-made attribute.
import test from 'ava';
import { allEstablished, Exabgp, Gobgp, waitFor } from '../../src/lab/index.js';
import { labFor } from '../helpers/lab.js';

test("ExaBGP records GoBGP's UPDATEs raw and parsed, and announces what the test sends", async (t) => {
  const lab = await labFor(t);
  const a = await lab.namespace('a');
  const b = await lab.namespace('b');
  await lab.link(a, '10.99.0.1/30', b, '10.99.0.2/30');
  const gobgp = await Gobgp.start(lab, b, {
    routerId: '10.99.0.2',
    as: 65002,
    peers: [{ address: '10.99.0.1', as: 65001 }],
    originate: [{ prefix: '10.200.1.0/26', communities: ['65002:100'] }],
  });
  const exa = await Exabgp.start(lab, a, {
    routerId: '10.99.0.1',
    as: 65001,
    peers: [{ address: '10.99.0.2', as: 65002, localAddress: '10.99.0.1' }],
  });
  await waitFor('sessions up', async () => (await allEstablished(exa)) && allEstablished(gobgp), { timeoutMs: 30_000 });

  const got = await waitFor('ExaBGP received GoBGP route', async () =>
    (await exa.routes()).find((r) => r.prefix === '10.200.1.0/26'),
  );
  t.deepEqual(got.communities, ['65002:100']);
  t.deepEqual(got.asPath, [65002]);
  const raw = exa.rawMessages('update');
  t.true(raw.length > 0);
  t.is(raw[0]!.subarray(0, 16).toString('hex'), 'ff'.repeat(16), 'raw UPDATE starts with the BGP marker');
  t.is(raw[0]![18], 2, 'message type 2 = UPDATE');

  // An optional transitive attribute of an unknown type (0xf0) with hand-made bytes.
  exa.send('announce route 10.100.9.0/24 next-hop self attribute [ 0xf0 0xc0 0xdeadbeef ]');
  const learned = await waitFor('GoBGP learned the hand-made route', async () =>
    (await gobgp.routes()).find((r) => r.prefix === '10.100.9.0/24'),
  );
  t.is(learned.nextHop, '10.99.0.1');
  const json = await gobgp.gobgp('global', 'rib', '-a', 'ipv4', '10.100.9.0/24', '-j');
  t.regex(json, /"type":240/, 'GoBGP kept the unknown transitive attribute');
});
