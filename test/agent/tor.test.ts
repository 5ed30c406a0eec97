// The product end to end: three hosts, each running `tsroute node run`, behind a top-of-rack router
// (eBGP, one AS per host). Containers on every host reach containers on every other host through
// routes the hosts learned by BGP.
import test from 'ava';
import { tsroute } from '../../src/lab/agent.js';
import { addContainer, allSessionsUp, reachability, torCluster } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

for (const router of ['bird', 'frr'] as const) {
  test(`three hosts behind a ${router} ToR: containers reach each other across hosts`, async (t) => {
    const lab = await labFor(t);
    const { hosts, tor, etcd } = await torCluster(lab, { count: 3, router });
    await allSessionsUp(hosts, 1);
    const containers = await Promise.all(hosts.map((h, i) => addContainer(lab, h, `c${i + 1}`)));
    t.deepEqual(await reachability(containers), []);

    // every host learned the others' blocks by BGP and put them in its kernel with RTPROT_BGP
    for (const h of hosts) {
      const kernel = await h.ns.routes(4);
      for (const other of containers.filter((c) => c.host !== h)) {
        const block = kernel.find(
          (r) =>
            r.protocol === 'bgp' &&
            r.dst.endsWith('/26') &&
            other.address.startsWith(r.dst.split('.').slice(0, 3).join('.')),
        );
        t.truthy(block, `${h.name} has a BGP route covering ${other.address}`);
      }
      const status = await h.agent.status();
      t.is(status.peers[0]?.state, 'Established');
      t.is(status.peers[0]?.address, h.address.replace(/\.2$/, '.1'));
    }
    const torSessions = await tor.sessions();
    t.is(torSessions.filter((s) => s.state === 'Established').length, 3);

    // `tsroute node status` says the same to a person
    const out = await hosts[0]!.agent.cli(['node', 'status']);
    t.is(out.code, 0, out.stderr);
    t.regex(out.stdout, /10\.0\.1\.1\s+65000\s+node\s+Established/);

    // every agent registered its Node with its address and AS
    const nodes = await tsroute(['node', 'list', '-o', 'json', '--etcd-endpoints', etcd.endpoint]);
    t.is(nodes.code, 0, nodes.stderr);
    type NodeJson = { metadata: { name: string }; spec: { bgp: { ipv4Address: string; asNumber: number } } };
    const { items: list } = JSON.parse(nodes.stdout) as { items: NodeJson[] };
    t.deepEqual(list.map((n) => [n.metadata.name, n.spec.bgp.ipv4Address, n.spec.bgp.asNumber]).sort(), [
      ['h1', '10.0.1.2', 65001],
      ['h2', '10.0.2.2', 65002],
      ['h3', '10.0.3.2', 65003],
    ]);
  });
}
