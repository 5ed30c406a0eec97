// An OpenBGPD top-of-rack router takes our session down with a shutdown text and brings it up again
// (`bgpctl neighbor X down "text"` / `up`): the text shows in `tsroute node status`, and the session
// is back within seconds of `up` — both sides dial at once and the collision is resolved (RFC 4271
// §6.8) without the agent sitting out a back-off grown while the router was down.
import test from 'ava';
import { startAgent } from '../../src/lab/agent.js';
import { Openbgpd, sleep, startEtcd, waitFor } from '../../src/lab/index.js';
import { apply, bgpConfigYaml, peerYaml, poolYaml } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('OpenBGPD neighbor down "text" shows in node status; after up the session is back in seconds', async (t) => {
  t.timeout(300_000); // a 40 s outage inside
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  const torNs = await lab.namespace('tor', { forwarding: true });
  const hostNs = await lab.namespace('h1', { forwarding: true });
  await lab.link(torNs, '10.0.1.1/24', hostNs, '10.0.1.2/24', { aIf: 'to-h1', bIf: 'uplink' });
  const router = await Openbgpd.start(lab, torNs, {
    routerId: '10.0.1.1',
    as: 65000,
    listen: '10.0.1.1',
    neighbors: [{ address: '10.0.1.2', as: 65001 }],
    networks: ['10.200.1.0/24'],
  });
  await apply(
    lab,
    etcd,
    poolYaml('pool4', '10.65.0.0/16', 26) +
      bgpConfigYaml(64512, false) +
      peerYaml('tor', { node: 'h1', peerIP: '10.0.1.1', asNumber: 65000 }),
  );
  const agent = await startAgent(lab, hostNs, { name: 'h1', etcd, bgpAddress: '10.0.1.2', as: 65001 });
  const up = async () => (await agent.status()).peers[0]?.state === 'Established';
  await waitFor('session up with OpenBGPD', up, { timeoutMs: 60_000 });
  t.is(await router.state('10.0.1.2'), 'Established');

  const took: number[] = [];
  // The second outage is long: a back-off grown with the refused attempts (1, 2, 4 … 32 s) would
  // still be waiting ~23 s after it.
  for (const [round, downMs] of [
    [1, 8000],
    [2, 40_000],
  ] as const) {
    const text = `planned maintenance ${round}`;
    await router.bgpctl('neighbor', '10.0.1.2', 'down', text);
    const peer = await waitFor('the agent shows OpenBGPD’s text', async () => {
      const p = (await agent.status()).peers[0];
      return p && p.state !== 'Established' && p.receivedShutdownMessage === text ? p : undefined;
    });
    t.regex(peer.info, new RegExp(`"${text}"`));
    const status = await agent.cli(['node', 'status']);
    t.is(status.code, 0, status.stderr);
    t.regex(status.stdout, new RegExp(`"${text}"`));
    await sleep(downMs);
    const started = Date.now();
    await router.bgpctl('neighbor', '10.0.1.2', 'up');
    await waitFor('Established again after up', up, { timeoutMs: 60_000, intervalMs: 100 });
    took.push(Date.now() - started);
  }
  t.log(`bgpctl neighbor up → Established at the agent: ${took.join(', ')} ms`);
  // Expected 1–2 s; the agent used to wait ~16 s in Idle after the collision. 20 s is ten times
  // the expected time and below what a grown back-off would wait after round 2.
  for (const ms of took) t.true(ms < 20_000, `took ${ms} ms`);
  t.is(await router.state('10.0.1.2'), 'Established');
});
