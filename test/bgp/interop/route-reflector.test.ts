// tsroute as an RFC 4456 route reflector for three iBGP clients on one segment — a BIRD, a GoBGP and
// another tsroute: each client learns the others' routes with ORIGINATOR_ID and CLUSTER_LIST set, and
// a path that already went through our cluster is dropped.
import test from 'ava';
import { Bird, Exabgp, Gobgp, type RibRoute, waitFor } from '../../../src/lab/index.js';
import { labFor } from '../../helpers/lab.js';
import { TIMERS } from './pair.js';
import { TsrouteNode } from './tsroute-node.js';

const AS = 65001;
const RR = '10.98.0.1';
const CLUSTER = '10.98.0.1';

test('tsroute reflects between BIRD, GoBGP and tsroute clients with ORIGINATOR_ID/CLUSTER_LIST', async (t) => {
  const lab = await labFor(t);
  const rr = await lab.namespace('rr');
  const br = await lab.bridge(rr, 'br0');
  await rr.ip('addr', 'add', `${RR}/24`, 'dev', br);
  const clients = ['bird', 'gobgp', 'ts2'] as const;
  const addr = { bird: '10.98.0.2', gobgp: '10.98.0.3', ts2: '10.98.0.4' };
  const prefix = { bird: '10.210.1.0/24', gobgp: '10.210.2.0/24', ts2: '10.210.3.0/24' };
  const ns: Record<string, Awaited<ReturnType<typeof lab.namespace>>> = {};
  for (const c of clients) {
    ns[c] = await lab.namespace(c);
    await lab.link(rr, [], ns[c]!, [`${addr[c]}/24`], { aIf: `rr-${c}` });
    await rr.ip('link', 'set', `rr-${c}`, 'master', br);
  }
  const reflector = await TsrouteNode.start(lab, rr, { asn: AS, routerId: RR, clusterId: CLUSTER });
  for (const c of clients)
    await reflector.addPeer({ address: addr[c], asn: AS, localAddress: RR, routeReflectorClient: true, ...TIMERS });
  const rrPeer = { address: RR, as: AS, localAddress: '' };
  const bird = await Bird.start(lab, ns.bird!, {
    routerId: addr.bird,
    as: AS,
    peers: [{ ...rrPeer, localAddress: addr.bird }],
    originate: [prefix.bird],
    extraConfig: 'protocol direct { ipv4; }',
  });
  const gobgp = await Gobgp.start(lab, ns.gobgp!, {
    routerId: addr.gobgp,
    as: AS,
    peers: [{ ...rrPeer, localAddress: addr.gobgp }],
    originate: [prefix.gobgp],
  });
  const ts2 = await TsrouteNode.start(lab, ns.ts2!, { asn: AS, routerId: addr.ts2 });
  await ts2.addPeer({ address: RR, asn: AS, localAddress: addr.ts2, families: ['ipv4'], ...TIMERS });
  await ts2.announce(prefix.ts2);
  for (const c of clients) await reflector.waitEstablished(addr[c]);

  const reflected = (routes: RibRoute[] | { prefix: string }[], p: string) => routes.find((r) => r.prefix === p);
  for (const [who, routes] of [
    ['bird', () => bird.routes()],
    ['gobgp', () => gobgp.routes()],
    ['ts2', () => ts2.locRib()],
  ] as const) {
    for (const other of clients.filter((c) => c !== who)) {
      const r = (await waitFor(`${who} learns ${other}'s ${prefix[other]}`, async () =>
        reflected(await routes(), prefix[other]),
      )) as RibRoute;
      t.is(r.originatorId, addr[other], `${who} sees ORIGINATOR_ID of ${other}`);
      t.deepEqual(r.clusterList, [CLUSTER], `${who} sees CLUSTER_LIST of ${other}'s route`);
      t.is(r.nextHop, addr[other], 'next hop left as the originator set it');
    }
  }
  // The reflector never reflects a client's route back to it.
  t.falsy(reflected(await reflector.adjRibOut(addr.bird), prefix.bird));
});

test('a path carrying our cluster ID or our router ID as originator is dropped as a loop', async (t) => {
  const lab = await labFor(t);
  const rr = await lab.namespace('rr');
  const c = await lab.namespace('c');
  await lab.link(rr, `${RR}/24`, c, '10.98.0.5/24');
  const reflector = await TsrouteNode.start(lab, rr, { asn: AS, routerId: RR, clusterId: '1.2.3.4' });
  await reflector.addPeer({ address: '10.98.0.5', asn: AS, localAddress: RR, routeReflectorClient: true, ...TIMERS });
  const exa = await Exabgp.start(lab, c, {
    routerId: '10.98.0.5',
    as: AS,
    peers: [{ address: RR, as: AS, localAddress: '10.98.0.5' }],
  });
  await reflector.waitEstablished('10.98.0.5');
  await waitFor('ExaBGP up', async () => (await exa.sessions())[0]?.state === 'Established');
  exa.send(`neighbor ${RR} announce route 10.220.1.0/24 next-hop 10.98.0.5 cluster-list [ 1.2.3.4 ]`);
  exa.send(`neighbor ${RR} announce route 10.220.2.0/24 next-hop 10.98.0.5 originator-id ${RR}`);
  exa.send(`neighbor ${RR} announce route 10.220.3.0/24 next-hop 10.98.0.5 cluster-list [ 9.9.9.9 ]`);
  await waitFor('the clean route arrives', async () => (await reflector.locRib({ prefix: '10.220.3.0/24' })).length);
  t.deepEqual(await reflector.locRib({ prefix: '10.220.1.0/24' }), []);
  t.deepEqual(await reflector.locRib({ prefix: '10.220.2.0/24' }), []);
  const [peer] = await reflector.peers();
  t.is(peer!.state, 'Established', 'a loop is dropped, not a reason to reset');
});
