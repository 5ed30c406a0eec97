// Hosts on one layer-2 segment with no router: iBGP full mesh between the agents, and the same
// hosts with one of them as route reflector and the mesh turned off.
import test from 'ava';
import { addContainer, allSessionsUp, meshCluster, reachability } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('three hosts in iBGP full mesh: containers reach each other across hosts', async (t) => {
  const lab = await labFor(t);
  const { hosts } = await meshCluster(lab, { count: 3 });
  await allSessionsUp(hosts, 2);
  const containers = await Promise.all(hosts.map((h, i) => addContainer(lab, h, `c${i + 1}`)));
  t.deepEqual(await reachability(containers), []);
  for (const h of hosts) {
    const peers = (await h.agent.status()).peers;
    t.deepEqual(
      peers.map((p) => [p.type, p.asNumber, p.state]),
      [
        ['mesh', 64512, 'Established'],
        ['mesh', 64512, 'Established'],
      ],
    );
  }
});

test('one host as route reflector, mesh off: clients peer only with it and still reach each other', async (t) => {
  const lab = await labFor(t);
  const { hosts } = await meshCluster(lab, { count: 4, mesh: false, reflectors: [1] });
  const [rr, ...clients] = hosts;
  await allSessionsUp(clients, 1);
  await allSessionsUp([rr!], 3);
  const rrPeers = (await rr!.agent.status()).peers;
  t.deepEqual(
    rrPeers.map((p) => p.type),
    ['client', 'client', 'client'],
  );
  for (const c of clients)
    t.deepEqual(
      (await c.agent.status()).peers.map((p) => [p.address, p.type]),
      [['10.0.0.1', 'reflector']],
    );
  const containers = await Promise.all(hosts.map((h, i) => addContainer(lab, h, `c${i + 1}`)));
  t.deepEqual(await reachability(containers), []);
  // a client learned another client's block through the reflector, next hop unchanged
  const learned = await clients[0]!.agent.client.listRoutes({ view: 'LOC_RIB' });
  const fromH3 = learned.routes.find((r) => r.nextHops[0] === '10.0.0.3');
  t.truthy(fromH3, 'h2 has a path with next hop h3');
  t.is(fromH3?.source, '10.0.0.1');
});
