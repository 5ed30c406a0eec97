// RFC 7911 ADD-PATH against GoBGP 3: paths one peer sends for one prefix under different path
// identifiers are distinct paths in our RIB (and, with multipath, both next hops are used); a
// withdrawal names one of them.
import test from 'ava';
import { Gobgp, waitFor } from '../../../src/lab/index.js';
import { labFor } from '../../helpers/lab.js';
import { B4, TIMERS, tsrouteAndRouter } from './pair.js';
import { TsrouteNode } from './tsroute-node.js';

const PREFIX = '10.230.0.0/24';
const HOP1 = '10.99.0.10';
const HOP2 = '10.99.0.11';

test('receive: two paths GoBGP sends for one prefix with ADD-PATH are both held, and both next hops used', async (t) => {
  const { ts, router } = await tsrouteAndRouter(t, 'gobgp', {
    asA: 65001,
    asB: 65001,
    families: ['ipv4'],
    speaker: { multipath: true },
    peer: { addPaths: 'receive' },
    routerPeer: { addPaths: 'send' },
  });
  const gobgp = router as Gobgp;
  const [peer] = await ts.peers();
  t.deepEqual(peer!.capabilities?.addPathReceive, ['ipv4'], 'ADD-PATH receive negotiated for IPv4');
  await gobgp.gobgp('global', 'rib', 'add', '-a', 'ipv4', PREFIX, 'nexthop', HOP1, 'identifier', '1');
  await gobgp.gobgp('global', 'rib', 'add', '-a', 'ipv4', PREFIX, 'nexthop', HOP2, 'identifier', '2');
  const paths = await waitFor('both paths in our RIB', async () => {
    const rib = await ts.locRib({ prefix: PREFIX });
    return rib.length === 2 ? rib : undefined;
  });
  t.deepEqual(
    paths.map((p) => p.from),
    [B4, B4],
    'both from the one peer',
  );
  t.deepEqual(paths.map((p) => p.nextHop).sort(), [HOP1, HOP2]);
  t.is(new Set(paths.map((p) => p.pathId)).size, 2, `two path identifiers: ${paths.map((p) => p.pathId)}`);
  const ecmp = await waitFor('a best-path event with both next hops', async () =>
    ts.bestPathEvents().find((e) => e.prefix === PREFIX && e.nextHops.length === 2),
  );
  t.deepEqual([...ecmp.nextHops].sort(), [HOP1, HOP2], 'multipath uses both');
  // A withdrawal of one identifier leaves the other path.
  await gobgp.gobgp('global', 'rib', 'del', '-a', 'ipv4', PREFIX, 'nexthop', HOP1, 'identifier', '1');
  const left = await waitFor('one path left', async () => {
    const rib = await ts.locRib({ prefix: PREFIX });
    return rib.length === 1 ? rib : undefined;
  });
  t.is(left[0]!.nextHop, HOP2);
});

test('receive not configured: GoBGP falls back to one path per prefix and we hold just that', async (t) => {
  const { ts, router } = await tsrouteAndRouter(t, 'gobgp', {
    asA: 65001,
    asB: 65001,
    families: ['ipv4'],
    routerPeer: { addPaths: 'send' },
  });
  const gobgp = router as Gobgp;
  const [peer] = await ts.peers();
  t.deepEqual(peer!.capabilities?.addPathReceive, [], 'not negotiated');
  await gobgp.gobgp('global', 'rib', 'add', '-a', 'ipv4', PREFIX, 'nexthop', HOP1, 'identifier', '1');
  await gobgp.gobgp('global', 'rib', 'add', '-a', 'ipv4', PREFIX, 'nexthop', HOP2, 'identifier', '2');
  await waitFor('the prefix arrives', async () => (await ts.locRib({ prefix: PREFIX })).length > 0);
  await new Promise((r) => setTimeout(r, 1000));
  const rib = await ts.locRib({ prefix: PREFIX });
  t.is(rib.length, 1, 'one path');
  t.is(rib[0]!.pathId, undefined, 'no path identifier');
});

test('send: we advertise both paths of one prefix to GoBGP with ADD-PATH, and GoBGP holds both', async (t) => {
  const lab = await labFor(t);
  const a = await lab.namespace('a');
  const up = await lab.namespace('up');
  const down = await lab.namespace('down');
  await lab.link(a, '10.97.1.1/24', up, '10.97.1.2/24');
  await lab.link(a, '10.97.2.1/24', down, '10.97.2.2/24');
  const ts = await TsrouteNode.start(lab, a, { asn: 65001, routerId: '10.97.1.1' });
  const upstream = await Gobgp.start(lab, up, {
    routerId: '10.97.1.2',
    as: 65002,
    peers: [{ address: '10.97.1.1', as: 65001, localAddress: '10.97.1.2', addPaths: 'send' }],
  });
  const downstream = await Gobgp.start(lab, down, {
    routerId: '10.97.2.2',
    as: 65003,
    peers: [{ address: '10.97.2.1', as: 65001, localAddress: '10.97.2.2', addPaths: 'receive' }],
  });
  await ts.addPeer({
    address: '10.97.1.2',
    asn: 65002,
    localAddress: '10.97.1.1',
    families: ['ipv4'],
    addPaths: 'receive',
    ...TIMERS,
  });
  await ts.addPeer({
    address: '10.97.2.2',
    asn: 65003,
    localAddress: '10.97.2.1',
    families: ['ipv4'],
    addPaths: 'send',
    ...TIMERS,
  });
  await ts.waitEstablished('10.97.1.2');
  const out = await ts.waitEstablished('10.97.2.2');
  t.deepEqual(out.capabilities?.addPathSend, ['ipv4'], 'ADD-PATH send negotiated with the downstream');
  // The two paths differ by a community (transitive, so it reaches the downstream as sent).
  const gobgpAdd = (id: string) =>
    upstream.gobgp(
      'global',
      'rib',
      'add',
      '-a',
      'ipv4',
      PREFIX,
      'nexthop',
      '10.97.1.2',
      'community',
      `65002:${id}`,
      'identifier',
      id,
    );
  await gobgpAdd('1');
  await gobgpAdd('2');
  await waitFor('both paths in our RIB', async () => (await ts.locRib({ prefix: PREFIX })).length === 2);
  const held = await waitFor('GoBGP holds two paths for the prefix', async () => {
    const paths = (await downstream.routes()).filter((r) => r.prefix === PREFIX);
    return paths.length === 2 ? paths : undefined;
  });
  t.deepEqual(held.map((p) => p.communities.join()).sort(), ['65002:1', '65002:2'], 'both paths, each as it came');
  const sent = await ts.adjRibOut('10.97.2.2');
  t.is(new Set(sent.map((r) => r.pathId)).size, 2, 'two path identifiers in our Adj-RIB-Out');
  // One path goes: GoBGP is told to withdraw that identifier only.
  await upstream.gobgp('global', 'rib', 'del', '-a', 'ipv4', PREFIX, 'identifier', '1');
  const left = await waitFor('GoBGP down to one path', async () => {
    const paths = (await downstream.routes()).filter((r) => r.prefix === PREFIX);
    return paths.length === 1 ? paths : undefined;
  });
  t.deepEqual(left[0]!.communities, ['65002:2']);
});
