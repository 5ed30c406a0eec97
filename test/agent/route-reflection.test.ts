// A tsroute agent as route reflector for its cluster (Node spec.bgp.routeReflectorClusterId), seen
// from real routers: a BIRD client receives the other nodes' blocks with the node's cluster ID in
// CLUSTER_LIST and the originating node in ORIGINATOR_ID (RFC 4456 §8), and a route whose
// CLUSTER_LIST already holds that cluster ID is dropped as a loop.
import test from 'ava';
import { Bird, Exabgp, waitFor } from '../../src/lab/index.js';
import { addContainer, allSessionsUp, apply, meshCluster, peerYaml, plugIntoSwitch } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

const CLUSTER_ID = '224.0.0.1'; // meshCluster's reflectors carry this one; h1's router ID is 10.0.0.1
const BIRD_IP = '10.0.0.9';
const EXA_IP = '10.0.0.8';

test('a reflector node sends its routeReflectorClusterId in CLUSTER_LIST and drops routes that carry it', async (t) => {
  const lab = await labFor(t);
  const cluster = await meshCluster(lab, {
    count: 2,
    mesh: false,
    reflectors: [1],
    extraManifests:
      peerYaml('bird', { node: 'h1', peerIP: BIRD_IP, asNumber: 64512 }) +
      peerYaml('exa', { node: 'h1', peerIP: EXA_IP, asNumber: 64512 }),
  });
  const [h1, h2] = cluster.hosts as [(typeof cluster.hosts)[0], (typeof cluster.hosts)[0]];
  const birdNs = await lab.namespace('bird');
  await plugIntoSwitch(lab, cluster, birdNs, `${BIRD_IP}/24`);
  const exaNs = await lab.namespace('exa');
  await plugIntoSwitch(lab, cluster, exaNs, `${EXA_IP}/24`);
  const bird = await Bird.start(lab, birdNs, {
    routerId: BIRD_IP,
    as: 64512,
    kernel: false,
    peers: [{ address: h1.address, as: 64512, localAddress: BIRD_IP }],
  });
  const exa = await Exabgp.start(lab, exaNs, {
    routerId: EXA_IP,
    as: 64512,
    peers: [{ address: h1.address, as: 64512, localAddress: EXA_IP }],
  });
  await allSessionsUp([h1], 3);
  t.deepEqual((await h1.agent.status()).peers.map((p) => [p.address, p.type]).sort(), [
    ['10.0.0.2', 'client'],
    [EXA_IP, 'client'],
    [BIRD_IP, 'client'],
  ]);

  // h2's block reaches BIRD through h1 with RFC 4456 attributes: h1's cluster ID, not its router ID
  const c2 = await addContainer(lab, h2, 'c2');
  const block = `${c2.address.split('.').slice(0, 3).join('.')}.`;
  const atBird = await waitFor('BIRD to learn h2 block through the reflector', async () =>
    (await bird.routes()).find((r) => r.prefix.startsWith(block)),
  );
  t.log(`BIRD: ${atBird.prefix} via ${atBird.nextHop} originator ${atBird.originatorId} cluster ${atBird.clusterList}`);
  t.is(atBird.originatorId, h2.address, 'ORIGINATOR_ID is the node that announced the block');
  t.deepEqual(atBird.clusterList, [CLUSTER_ID], 'CLUSTER_LIST holds the Node routeReflectorClusterId');
  t.is(atBird.nextHop, h2.address, 'reflection leaves the next hop alone');
  const text = await bird.birdc('show route all');
  t.regex(text, new RegExp(`BGP\\.cluster_list: ${CLUSTER_ID.replaceAll('.', '\\.')}`));
  t.regex(text, /BGP\.originator_id: 10\.0\.0\.2/);

  // loop prevention with the configured cluster ID (RFC 4456 §8)
  await waitFor('ExaBGP up', async () => (await exa.sessions())[0]?.state === 'Established');
  exa.send(`neighbor ${h1.address} announce route 10.220.1.0/24 next-hop ${EXA_IP} cluster-list [ ${CLUSTER_ID} ]`);
  exa.send(`neighbor ${h1.address} announce route 10.220.2.0/24 next-hop ${EXA_IP} cluster-list [ ${h1.address} ]`);
  exa.send(`neighbor ${h1.address} announce route 10.220.3.0/24 next-hop ${EXA_IP} cluster-list [ 9.9.9.9 ]`);
  const locRib = async (prefix: string) =>
    (await h1.agent.client.listRoutes({ view: 'LOC_RIB' })).routes.filter((r) => r.prefix === prefix);
  await waitFor('the clean route in h1', async () => (await locRib('10.220.3.0/24')).length > 0);
  await waitFor('the router-ID route in h1', async () => (await locRib('10.220.2.0/24')).length > 0);
  t.deepEqual(await locRib('10.220.1.0/24'), [], 'a route that already passed our cluster is dropped');
  const reflected = await waitFor('BIRD to get the clean route reflected', async () =>
    (await bird.routes()).find((r) => r.prefix === '10.220.3.0/24'),
  );
  t.deepEqual(reflected.clusterList, [CLUSTER_ID, '9.9.9.9']);
  t.is(reflected.originatorId, EXA_IP);
  t.falsy((await bird.routes()).find((r) => r.prefix === '10.220.1.0/24'));
  t.is((await h1.agent.status()).peers.find((p) => p.address === EXA_IP)?.state, 'Established');

  // a new cluster ID re-creates h1's speaker; BIRD then sees the new one
  await apply(
    lab,
    cluster.etcd,
    `apiVersion: tsroute.io/v1
kind: Node
metadata:
  name: h1
spec:
  bgp:
    ipv4Address: ${h1.address}
    routeReflectorClusterId: 224.0.0.2
---
`,
  );
  const moved = await waitFor('BIRD to see the new cluster ID', async () =>
    (await bird.routes()).find((r) => r.prefix === atBird.prefix && r.clusterList?.[0] === '224.0.0.2'),
  );
  t.deepEqual(moved.clusterList, ['224.0.0.2']);
});
