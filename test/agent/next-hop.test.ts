// BGPPeer keepOriginalNextHop / nextHopMode seen at a real eBGP router: a BIRD on the hosts' segment
// peers with h1 only. With keepOriginalNextHop the block h1 learned from h2 reaches BIRD with h2's
// address as next hop (BIRD sends straight to h2); without it, with h1's own.
import test from 'ava';
import { Bird, waitFor } from '../../src/lab/index.js';
import { addContainer, allSessionsUp, apply, meshCluster, peerYaml, plugIntoSwitch } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

const BIRD_IP = '10.0.0.9';

test('keepOriginalNextHop and nextHopMode keep pass the owning node as next hop to an eBGP BIRD', async (t) => {
  const lab = await labFor(t);
  const peer = (spec: Record<string, string | number | boolean>) =>
    peerYaml('bird', { node: 'h1', peerIP: BIRD_IP, asNumber: 65000, ...spec });
  const cluster = await meshCluster(lab, { count: 2, extraManifests: peer({ keepOriginalNextHop: true }) });
  const [h1, h2] = cluster.hosts as [(typeof cluster.hosts)[0], (typeof cluster.hosts)[0]];
  const birdNs = await lab.namespace('bird');
  await plugIntoSwitch(lab, cluster, birdNs, `${BIRD_IP}/24`);
  const bird = await Bird.start(lab, birdNs, {
    routerId: BIRD_IP,
    as: 65000,
    kernel: false,
    peers: [{ address: h1.address, as: 64512, localAddress: BIRD_IP }],
  });
  await allSessionsUp([h1], 2);
  const c1 = await addContainer(lab, h1, 'c1');
  const c2 = await addContainer(lab, h2, 'c2');
  const blockOf = (address: string) => `${address.split('.').slice(0, 3).join('.')}.`;
  const nextHopAtBird = (address: string, want: string) =>
    waitFor(`BIRD: block of ${address} via ${want}`, async () => {
      const r = (await bird.routes()).find((x) => x.prefix.startsWith(blockOf(address)));
      return r?.nextHop === want ? r : undefined;
    }).catch(async (err) => {
      t.log(await bird.birdc('show route all'));
      throw err;
    });

  const kept = await nextHopAtBird(c2.address, h2.address);
  t.log(`keepOriginalNextHop: true → BIRD has ${kept.prefix} via ${kept.nextHop} (AS path ${kept.asPath})`);
  t.deepEqual(kept.asPath, [64512], 'still eBGP: our AS is prepended');
  t.truthy(await nextHopAtBird(c1.address, h1.address), "h1's own block always has h1 as next hop");

  // the default rewrites the next hop to h1's address, as eBGP does
  await apply(lab, cluster.etcd, peer({ keepOriginalNextHop: false }));
  const rewritten = await nextHopAtBird(c2.address, h1.address);
  t.log(`keepOriginalNextHop: false → BIRD has ${rewritten.prefix} via ${rewritten.nextHop}`);

  // nextHopMode: keep is the same setting under its newer name
  await apply(lab, cluster.etcd, peer({ nextHopMode: 'keep' }));
  t.truthy(await nextHopAtBird(c2.address, h2.address));
});
