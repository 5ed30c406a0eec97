// The harness proves itself: real BIRD, GoBGP and FRR in namespaces exchange routes that land in
// the kernel, and the harness reads their state back as data.
import test from 'ava';
import { allEstablished, Bird, Frr, Gobgp, waitFor } from '../../src/lab/index.js';
import { labFor } from '../helpers/lab.js';

test("BIRD ⇄ GoBGP over eBGP: each learns the other's prefix, BIRD installs it in the kernel", async (t) => {
  const lab = await labFor(t);
  const a = await lab.namespace('a');
  const b = await lab.namespace('b');
  await lab.link(a, '10.99.0.1/30', b, '10.99.0.2/30');
  const bird = await Bird.start(lab, a, {
    routerId: '10.99.0.1',
    as: 65001,
    peers: [{ address: '10.99.0.2', as: 65002, localAddress: '10.99.0.1' }],
    originate: [{ prefix: '10.100.1.0/26', communities: ['65001:100'], largeCommunities: ['65001:7:8'] }],
  });
  const gobgp = await Gobgp.start(lab, b, {
    routerId: '10.99.0.2',
    as: 65002,
    peers: [{ address: '10.99.0.1', as: 65001 }],
    originate: [{ prefix: '10.200.1.0/26', communities: ['65002:200'] }],
  });
  await waitFor('both sessions Established', async () => (await allEstablished(bird)) && allEstablished(gobgp));

  const kernel = await waitFor('GoBGP prefix in BIRD namespace kernel', () => a.route('10.200.1.0/26'));
  t.is(kernel.gateway, '10.99.0.2');
  t.is(kernel.protocol, 'bird');

  const learned = await waitFor('BIRD prefix in GoBGP RIB', async () =>
    (await gobgp.routes()).find((r) => r.prefix === '10.100.1.0/26'),
  );
  t.deepEqual(learned.asPath, [65001]);
  t.deepEqual(learned.communities, ['65001:100']);
  t.deepEqual(learned.largeCommunities, ['65001:7:8']);
  t.is(learned.nextHop, '10.99.0.1');

  const atBird = (await bird.routes()).find((r) => r.prefix === '10.200.1.0/26');
  t.deepEqual(atBird?.communities, ['65002:200']);
  t.deepEqual(atBird?.asPath, [65002]);

  await gobgp.withdraw('10.200.1.0/26');
  await waitFor('withdrawal removes the kernel route', async () => (await a.route('10.200.1.0/26')) === undefined);
  t.pass();
});

test("BIRD ⇄ FRR over eBGP: FRR installs BIRD's prefix in its kernel table and the reverse", async (t) => {
  const lab = await labFor(t);
  const a = await lab.namespace('a');
  const b = await lab.namespace('b');
  await lab.link(a, '10.99.0.1/30', b, '10.99.0.2/30');
  const bird = await Bird.start(lab, a, {
    routerId: '10.99.0.1',
    as: 65001,
    peers: [{ address: '10.99.0.2', as: 65002, localAddress: '10.99.0.1' }],
    originate: ['10.100.1.0/26'],
  });
  const frr = await Frr.start(lab, b, {
    routerId: '10.99.0.2',
    as: 65002,
    peers: [{ address: '10.99.0.1', as: 65001, localAddress: '10.99.0.2' }],
    originate: [{ prefix: '10.200.2.0/26', largeCommunities: ['65002:1:1'] }],
  });
  await waitFor('sessions Established', async () => (await allEstablished(bird)) && allEstablished(frr));
  const inFrrKernel = await waitFor('BIRD prefix in FRR namespace kernel', () => b.route('10.100.1.0/26'));
  t.is(inFrrKernel.gateway, '10.99.0.1');
  const inBirdKernel = await waitFor('FRR prefix in BIRD namespace kernel', () => a.route('10.200.2.0/26'));
  t.is(inBirdKernel.gateway, '10.99.0.2');
  const atBird = await waitFor('FRR prefix in BIRD RIB with its large community', async () =>
    (await bird.routes()).find((r) => r.prefix === '10.200.2.0/26'),
  );
  t.deepEqual(atBird.largeCommunities, ['65002:1:1']);
  const frrView = (await frr.routes()).find((r) => r.prefix === '10.100.1.0/26');
  t.deepEqual(frrView?.asPath, [65001]);
});
