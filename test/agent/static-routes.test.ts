// BGPConfiguration routingMode: Static — no BGP at all; each agent routes the other hosts' blocks
// (and borrowed addresses) via their addresses, straight from IPAM's records in etcd. Real agents in
// namespaces on one bridge; the kernel's routes and the containers' pings are the proof.
import test from 'ava';
import { startAgent, tsroute } from '../../src/lab/agent.js';
import { type Netns, waitFor } from '../../src/lab/index.js';
import {
  addContainer,
  allSessionsUp,
  apply,
  bgpConfigYaml,
  type Container,
  type Host,
  meshCluster,
  plugIntoSwitch,
  reachability,
} from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

/** TCP sockets listening on port 179 in `ns` (the BGP listener). */
async function bgpListeners(ns: Netns): Promise<string> {
  return (await ns.exec(['ss', '-ltnH', 'sport = :179'])).stdout.trim();
}

/** The block (e.g. "10.65.1.0/26") a container's address came from, as its host reports it. */
async function blockOf(c: Container): Promise<string> {
  const s = await c.host.agent.status();
  const prefix = (cidr: string) => cidr.split('/')[0]!.split('.').slice(0, 3).join('.');
  const b = s.blocks.find((x) => !x.borrowed && prefix(x.cidr) === prefix(`${c.address}/32`));
  if (!b) throw new Error(`${c.host.name} reports no block for ${c.address}`);
  return b.cidr;
}

const routeVia = async (h: Host, prefix: string) => {
  const r = await h.ns.route(prefix);
  return r && r.protocol === 'bgp' ? r.gateway : undefined;
};

test('routingMode Static: three hosts on a bridge route by etcd alone; borrowed /32s; a released block goes; another subnet is refused', async (t) => {
  const lab = await labFor(t);
  const cluster = await meshCluster(lab, {
    count: 3,
    routingMode: 'Static',
    // an emptied block is given back at the next resync (5 s in the lab), not after 5 minutes
    agentEnv: { TSROUTE_EMPTY_BLOCK_GRACE: '1s' },
  });
  const [h1, h2, h3] = cluster.hosts as [Host, Host, Host];
  const [c1, c2, c3] = await Promise.all(cluster.hosts.map((h, i) => addContainer(lab, h, `c${i + 1}`)));
  t.deepEqual(await reachability([c1!, c2!, c3!]), []);

  // no BGP: no listener, no sessions
  for (const h of cluster.hosts) {
    t.is(await bgpListeners(h.ns), '', `${h.name} listens on 179`);
    t.deepEqual((await h.agent.status()).peers, [], `${h.name} has BGP sessions`);
  }
  // h1 routes h2's and h3's blocks via their addresses, in the agent's own protocol
  const b2 = await blockOf(c2!);
  const b3 = await blockOf(c3!);
  t.is(await routeVia(h1, b2), '10.0.0.2');
  t.is(await routeVia(h1, b3), '10.0.0.3');

  // a container on h3 holding an address of h2's block: /32 via h3 at the others (h2 included,
  // whose blackhole for the block it overrides)
  const [base] = b2.split('/') as [string];
  const borrowedAddress = `${base.split('.').slice(0, 3).join('.')}.${Number(base.split('.')[3]) + 40}`;
  const bns = await lab.namespace('b3');
  const borrowed = await h3.agent.client.addEndpoint({
    containerId: 'b3',
    interface: 'eth0',
    netns: bns.path,
    addresses: [borrowedAddress],
  });
  t.is(borrowed.addresses[0]?.split('/')[0], borrowedAddress);
  const b3c: Container = { host: h3, ns: bns, endpoint: borrowed, address: borrowedAddress };
  await waitFor('h1 and h2 to route the borrowed /32 via h3', async () => {
    return (
      (await routeVia(h1, `${borrowedAddress}/32`)) === '10.0.0.3' &&
      (await routeVia(h2, `${borrowedAddress}/32`)) === '10.0.0.3'
    );
  });
  t.deepEqual(await reachability([c1!, c2!, b3c]), []);

  // h2's block emptied and released: its route goes at h1 and h3, the /32 with the endpoint
  await h3.agent.client.deleteEndpoint({ containerId: 'b3', interface: 'eth0' });
  await h2.agent.client.deleteEndpoint({ containerId: 'c2', interface: 'eth0' });
  await waitFor(
    `h1 and h3 to drop the route to released block ${b2}`,
    async () => !(await h1.ns.route(b2)) && !(await h3.ns.route(b2)) && !(await h1.ns.route(`${borrowedAddress}/32`)),
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  t.false(
    (await h2.agent.status()).blocks.some((b) => b.cidr === b2),
    'h2 still holds the block',
  );
  t.is(await routeVia(h1, b3), '10.0.0.3', 'the other routes stay');

  // a host on another subnet of the same bridge: refused by name at the others, no route to it
  const h4ns = await lab.namespace('h4', { forwarding: true });
  await plugIntoSwitch(lab, cluster, h4ns, '10.1.0.4/24');
  const h4agent = await startAgent(lab, h4ns, { name: 'h4', etcd: cluster.etcd, bgpAddress: '10.1.0.4' });
  const h4: Host = { name: 'h4', ns: h4ns, address: '10.1.0.4', as: 64512, agent: h4agent };
  const c4 = await addContainer(lab, h4, 'c4');
  const b4 = await blockOf(c4);
  await waitFor(
    'h1 to refuse h4',
    async () => (await h1.agent.status()).rejectedResources?.some((r) => r.kind === 'Node' && r.name === 'h4'),
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  const line = (await h1.agent.status()).rejectedResources?.find((r) => r.name === 'h4');
  t.regex(line?.reason ?? '', /10\.1\.0\.4 is not on a directly connected subnet of this host/);
  t.is(await h1.ns.route(b4), undefined, 'h1 routes the block of a node it cannot reach directly');
  const status = await h1.agent.cli(['node', 'status']);
  t.regex(status.stdout, /routing mode Static: no BGP; routes to the other hosts come from etcd/);
  t.regex(status.stdout, /Node "h4": static routing: node address 10\.1\.0\.4 is not on a directly connected subnet/);
  t.is(await routeVia(h1, b3), '10.0.0.3');
});

test('routingMode switch BGP → Static → BGP on a running cluster: no ping lost, sessions gone and back', async (t) => {
  const lab = await labFor(t);
  const cluster = await meshCluster(lab, { count: 3 });
  const { etcd } = cluster;
  const [h1] = cluster.hosts as [Host, Host, Host];
  await allSessionsUp(cluster.hosts, 2);
  const containers = await Promise.all(cluster.hosts.map((h, i) => addContainer(lab, h, `c${i + 1}`)));
  t.deepEqual(await reachability(containers), []);
  const [c1, , c3] = containers as [Container, Container, Container];
  const b3 = await blockOf(c3);

  // 20 pings a second across each switch, for longer than the hand-off and the restart grace
  const COUNT = 500;
  const pingThrough = () =>
    c1.ns
      .exec(['ping', '-n', '-q', '-i', '0.05', '-W', '1', '-c', String(COUNT), c3.address], { timeoutMs: 120_000 })
      .catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const lossOf = (out: string, what: string) => {
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    if (!m) throw new Error(`${what}: no ping summary in ${out}`);
    t.log(`${what}: ${m[0]}`);
    return Number(m[1]) - Number(m[2]);
  };

  let ping = pingThrough();
  await new Promise((r) => setTimeout(r, 1000));
  await apply(lab, etcd, bgpConfigYaml(64512, true, 'Static'));
  await waitFor(
    'every BGP listener to close after the hand-off',
    async () => {
      for (const h of cluster.hosts) if ((await bgpListeners(h.ns)) !== '') return false;
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  t.is(await routeVia(h1, b3), '10.0.0.3');
  t.deepEqual((await h1.agent.status()).peers, []);
  t.is(lossOf((await ping).stdout, 'c1 → c3 through BGP → Static'), 0);

  ping = pingThrough();
  await new Promise((r) => setTimeout(r, 1000));
  await apply(lab, etcd, bgpConfigYaml(64512, true, 'BGP'));
  await allSessionsUp(cluster.hosts, 2, 60_000);
  t.is(lossOf((await ping).stdout, 'c1 → c3 through Static → BGP'), 0);
  // learned by BGP again, from h3 (the restart grace is over: a static leftover would be gone)
  const learned = await h1.agent.client.listRoutes({ view: 'LOC_RIB' });
  t.true(learned.routes.some((r) => r.prefix === b3 && r.nextHops[0] === '10.0.0.3'));
  t.is(await routeVia(h1, b3), '10.0.0.3');
});

test('routingMode: refused in a node.<name> BGPConfiguration, and anything but BGP or Static', async (t) => {
  const lab = await labFor(t);
  const cluster = await meshCluster(lab, { count: 1 });
  const file = lab.path('bad-mode.yaml');
  const write = async (name: string, mode: string) => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      file,
      `apiVersion: tsroute.io/v1\nkind: BGPConfiguration\nmetadata:\n  name: ${name}\nspec:\n  routingMode: ${mode}\n`,
    );
    return tsroute(['apply', '-f', file, '--etcd-endpoints', cluster.etcd.endpoint]);
  };
  const perNode = await write('node.h1', 'Static');
  t.not(perNode.code, 0);
  t.regex(perNode.stderr, /spec\.routingMode is cluster-wide: set it in the "default" BGPConfiguration/);
  const typo = await write('default', 'static');
  t.not(typo.code, 0);
  t.regex(typo.stderr, /routingMode must be one of BGP, Static \(got "static"\)/);
  // nothing changed: still BGP, the listener up
  t.not(await bgpListeners(cluster.hosts[0]!.ns), '');
});

test('routingMode Static over IPv6: blocks of an IPv6 pool routed via the other host’s IPv6 address', async (t) => {
  const lab = await labFor(t);
  const cluster = await meshCluster(lab, { count: 2, ipv6: true, routingMode: 'Static' });
  const [h1, h2] = cluster.hosts as [Host, Host];
  const [c1, c2] = await Promise.all(cluster.hosts.map((h, i) => addContainer(lab, h, `c${i + 1}`, { ipv6: true })));
  const v6 = (c: Container) => c.endpoint.addresses.find((a) => a.includes(':'))!.split('/')[0]!;
  await waitFor(`c1 → ${v6(c2!)} and back`, async () => (await c1!.ns.ping(v6(c2!))) && c2!.ns.ping(v6(c1!)), {
    timeoutMs: 30_000,
    intervalMs: 250,
  });
  const routes = (await h1.ns.routes(6)).filter((r) => r.protocol === 'bgp');
  t.deepEqual(
    routes.map((r) => r.gateway),
    ['fd00::2'],
    JSON.stringify(routes),
  );
  t.deepEqual((await h2.agent.status()).peers, []);
});
