// The first demo: two real routers (BIRD and GoBGP) in two namespaces exchange host blocks over
// eBGP, and the learned block lands in the kernel. It prints what it saw and removes everything.
// (The full containerlab-driven lab, `tsroute lab up topology/quickstart`, replaces this demo.)
import { allEstablished, Bird, Gobgp, Lab, waitFor } from '../src/lab/index.js';

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const lab = await Lab.create('demo');
try {
  console.log(`[${elapsed()}] creating namespaces host-a and host-b, linked by a veth (10.99.0.0/30)`);
  const a = await lab.namespace('host-a');
  const b = await lab.namespace('host-b');
  await lab.link(a, '10.99.0.1/30', b, '10.99.0.2/30');
  console.log(`[${elapsed()}] starting BIRD (AS 65001, announces 10.65.1.0/26) in host-a`);
  const bird = await Bird.start(lab, a, {
    routerId: '10.99.0.1',
    as: 65001,
    peers: [{ address: '10.99.0.2', as: 65002, localAddress: '10.99.0.1' }],
    originate: [{ prefix: '10.65.1.0/26', communities: ['65001:100'] }],
  });
  console.log(`[${elapsed()}] starting GoBGP (AS 65002, announces 10.65.2.0/26) in host-b`);
  const gobgp = await Gobgp.start(lab, b, {
    routerId: '10.99.0.2',
    as: 65002,
    peers: [{ address: '10.99.0.1', as: 65001 }],
    originate: ['10.65.2.0/26'],
  });
  await waitFor('BGP sessions', async () => (await allEstablished(bird)) && allEstablished(gobgp));
  console.log(`[${elapsed()}] sessions Established`);
  await waitFor('routes', async () => (await a.route('10.65.2.0/26')) !== undefined);
  console.log(`\nhost-a BGP sessions (BIRD):`);
  for (const s of await bird.sessions()) console.log(`  ${s.peer} AS${s.peerAs} ${s.state} received=${s.received}`);
  console.log(`host-a kernel routes:`);
  for (const r of await a.routes())
    console.log(`  ${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev} proto ${r.protocol ?? 'kernel'}`);
  console.log(`host-b RIB (GoBGP):`);
  for (const r of await gobgp.routes())
    console.log(
      `  ${r.prefix} next-hop ${r.nextHop} as-path [${r.asPath.join(' ')}] communities [${r.communities.join(' ')}]`,
    );
  console.log(`\n[${elapsed()}] demo passed: each host learned the other's block over BGP`);
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await lab.destroy();
  console.log(`[${elapsed()}] lab removed`);
}
