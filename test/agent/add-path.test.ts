// BGPPeer spec.addPaths (RFC 7911) and spec.extendedMessages (RFC 8654) through a real agent, seen
// from real routers and the kernel: a GoBGP sends the node two paths for one prefix with ADD-PATH and
// both next hops land in the node's kernel as one ECMP route; the node sends both paths on to a BIRD
// with ADD-PATH, and takes BIRD's 6 KB UPDATE with extended messages. Turning addPaths off for BIRD
// resets that session only: BIRD is down to one path, GoBGP's session never drops.
import test from 'ava';
import { Bird, Gobgp, waitFor } from '../../src/lab/index.js';
import { allSessionsUp, apply, meshCluster, peerYaml, plugIntoSwitch } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

const GOBGP_IP = '10.0.0.9';
const BIRD_IP = '10.0.0.8';
const PREFIX = '10.230.0.0/24';
const HOPS = ['10.0.0.10', '10.0.0.11'];
const BIG = '10.240.1.0/24';
/** 1,500 communities: a ~6 KB UPDATE, more than 4096 bytes. */
const MANY = Array.from({ length: 1500 }, (_, i) => `65010:${i + 1}`);

test('BGPPeer addPaths and extendedMessages: two paths in, ECMP in the kernel, two paths out, a 6 KB UPDATE in', async (t) => {
  const lab = await labFor(t);
  const birdPeer = (extra: Record<string, string | boolean>) =>
    peerYaml('bird', { node: 'h1', peerIP: BIRD_IP, asNumber: 65010, extendedMessages: true, ...extra });
  const cluster = await meshCluster(lab, {
    count: 1,
    extraManifests:
      peerYaml('gobgp', { node: 'h1', peerIP: GOBGP_IP, asNumber: 64512, addPaths: 'receive' }) +
      birdPeer({ addPaths: 'send' }),
  });
  const h1 = cluster.hosts[0]!;
  const gobgpNs = await lab.namespace('gobgp');
  await plugIntoSwitch(lab, cluster, gobgpNs, `${GOBGP_IP}/24`);
  const birdNs = await lab.namespace('bird');
  await plugIntoSwitch(lab, cluster, birdNs, `${BIRD_IP}/24`);
  const gobgp = await Gobgp.start(lab, gobgpNs, {
    routerId: GOBGP_IP,
    as: 64512,
    peers: [{ address: h1.address, as: 64512, localAddress: GOBGP_IP, addPaths: 'send' }],
  });
  const bird = await Bird.start(lab, birdNs, {
    routerId: BIRD_IP,
    as: 65010,
    kernel: false,
    peers: [{ address: h1.address, as: 64512, localAddress: BIRD_IP, addPaths: 'receive', extendedMessages: true }],
    originate: [{ prefix: BIG, communities: MANY }],
  });
  await allSessionsUp([h1], 2, 30_000);
  const caps = async (address: string) =>
    (await h1.agent.status()).peers.find((p) => p.address === address)?.capabilities ?? [];
  t.true((await caps(GOBGP_IP)).includes('add-path-receive(ipv4)'), 'ADD-PATH receive negotiated with GoBGP');
  t.true((await caps(BIRD_IP)).includes('add-path-send(ipv4)'), 'ADD-PATH send negotiated with BIRD');
  t.true((await caps(BIRD_IP)).includes('extended-message'), 'extended messages negotiated with BIRD');

  // Receive: two paths for one prefix from GoBGP, both held, both next hops in the kernel.
  for (const [i, hop] of HOPS.entries())
    await gobgp.gobgp(
      'global',
      'rib',
      'add',
      '-a',
      'ipv4',
      PREFIX,
      'nexthop',
      hop,
      'community',
      `64512:${i + 1}`,
      'identifier',
      String(i + 1),
    );
  const locRib = async (prefix: string) =>
    (await h1.agent.client.listRoutes({ view: 'LOC_RIB' })).routes.filter((r) => r.prefix === prefix);
  await waitFor('both paths in the node RIB', async () => (await locRib(PREFIX)).length === 2);
  const kernel = await waitFor('an ECMP route with both next hops in the kernel', async () => {
    const r = await h1.ns.route(PREFIX);
    return r?.nexthops?.length === 2 ? r : undefined;
  });
  t.is(kernel.protocol, 'bgp');
  t.deepEqual(kernel.nexthops!.map((n) => n.gateway).sort(), HOPS);

  // Send: BIRD (add paths rx) holds both paths, told apart by their communities.
  const atBird = async () => (await bird.routes()).filter((r) => r.prefix === PREFIX);
  const both = await waitFor('BIRD holds both paths', async () =>
    (await atBird()).length === 2 ? atBird() : undefined,
  );
  t.deepEqual(both.map((r) => r.communities.join()).sort(), ['64512:1', '64512:2']);

  // Extended messages: BIRD's route with 1,500 communities reached the node in one UPDATE.
  const big = await waitFor('the 6 KB route in the node RIB', async () => (await locRib(BIG))[0]);
  t.is(big.communities.length, MANY.length);

  // addPaths off for BIRD: that session resets (BIRD is down to one path), GoBGP's stays up.
  const gobgpSince = (await h1.agent.status()).peers.find((p) => p.address === GOBGP_IP)!.sinceUnixMs;
  await apply(lab, cluster.etcd, birdPeer({}));
  await waitFor('BIRD down to one path', async () => (await atBird()).length === 1, { timeoutMs: 30_000 });
  await allSessionsUp([h1], 2, 30_000);
  t.false((await caps(BIRD_IP)).includes('add-path-send(ipv4)'), 'no ADD-PATH with BIRD any more');
  const after = (await h1.agent.status()).peers.find((p) => p.address === GOBGP_IP)!;
  t.is(after.sinceUnixMs, gobgpSince, 'the GoBGP session was not reset');
  t.is((await locRib(PREFIX)).length, 2, 'and the node still holds both of its paths');
});
