// Routing details a network engineer checks: ECMP across two upstream routers, extra prefixes
// announced through the API (a service address), and communities from BGPConfiguration's prefix
// advertisements, all as the real routers see them.
import test from 'ava';
import { startAgent } from '../../src/lab/agent.js';
import { allEstablished, Bird, startEtcd, waitFor } from '../../src/lab/index.js';
import { apply, peerYaml, poolYaml } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('ECMP over two ToRs, AddPath/DeletePath and configured communities, seen at the routers', async (t) => {
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  const host = await lab.namespace('h1', { forwarding: true });
  const tors: Bird[] = [];
  for (const i of [1, 2]) {
    const ns = await lab.namespace(`tor${i}`, { forwarding: true });
    await lab.link(ns, `10.0.${i}.1/24`, host, `10.0.${i}.2/24`, { aIf: 'to-h1', bIf: `up${i}` });
    tors.push(
      await Bird.start(lab, ns, {
        routerId: `10.0.${i}.1`,
        as: 65000,
        peers: [{ address: `10.0.${i}.2`, as: 65001, localAddress: `10.0.${i}.1` }],
        // the same remote network behind both: equal paths, so the host should use both
        originate: ['10.99.0.0/24'],
      }),
    );
  }
  await apply(
    lab,
    etcd,
    poolYaml('pool4', '10.65.0.0/16', 26) +
      `apiVersion: tsroute.io/v1
kind: BGPConfiguration
metadata:
  name: default
spec:
  asNumber: 64512
  nodeToNodeMeshEnabled: false
  communities:
    - name: pods
      value: "65001:100"
  prefixAdvertisements:
    - cidr: 10.65.0.0/16
      communities: [pods, "65001:7:8"]
---
` +
      peerYaml('tor1', { peerIP: '10.0.1.1', asNumber: 65000 }) +
      peerYaml('tor2', { peerIP: '10.0.2.1', asNumber: 65000 }),
  );
  const agent = await startAgent(lab, host, { name: 'h1', etcd, bgpAddress: '10.0.1.2', as: 65001 });
  await waitFor('both ToR sessions', async () => (await allEstablished(tors[0]!)) && allEstablished(tors[1]!));

  // ECMP: one kernel route with both ToRs as next hops
  const ecmp = await waitFor('an ECMP route to 10.99.0.0/24', async () => {
    const r = await host.route('10.99.0.0/24');
    return r?.nexthops && r.nexthops.length === 2 ? r : undefined;
  });
  t.deepEqual(ecmp.nexthops!.map((n) => n.gateway).sort(), ['10.0.1.1', '10.0.2.1']);
  t.is(ecmp.protocol, 'bgp');

  // our block, with the communities the configuration attaches to the pool's range
  const c = await lab.namespace('c1');
  await agent.client.addEndpoint({ containerId: 'c1', netns: c.path });
  const block = (await agent.status()).blocks[0]!.cidr;
  const atTor = await waitFor('the block at tor1', async () =>
    (await tors[0]!.routes()).find((r) => r.prefix === block),
  );
  t.deepEqual(atTor.communities, ['65001:100']);
  t.deepEqual(atTor.largeCommunities, ['65001:7:8']);
  t.deepEqual(atTor.asPath, [65001]);

  // a service address through the API, then gone
  await agent.client.addPath({ prefix: '10.96.0.10/32', communities: ['65001:200'] });
  const svc = await waitFor('the service address at tor2', async () =>
    (await tors[1]!.routes()).find((r) => r.prefix === '10.96.0.10/32'),
  );
  t.true(svc.communities.includes('65001:200'));
  t.true((await agent.client.deletePath({ prefix: '10.96.0.10/32' })).existed);
  await waitFor(
    'the service address withdrawn',
    async () => !(await tors[1]!.routes()).some((r) => r.prefix === '10.96.0.10/32'),
  );
});
