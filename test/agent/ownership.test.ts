// The agent owns what it marked and nothing else: a route someone deletes by hand comes back at the
// next resync, while routes with other protocol numbers and links without the tsr prefix are left
// exactly as they are.
import test from 'ava';
import { waitFor } from '../../src/lab/index.js';
import { addContainer, allSessionsUp, meshCluster } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('the reconciler restores its own routes and never touches foreign routes or links', async (t) => {
  const lab = await labFor(t);
  const { hosts } = await meshCluster(lab, { count: 2 });
  const [h1, h2] = hosts as [(typeof hosts)[0], (typeof hosts)[0]];
  await allSessionsUp(hosts, 1);
  const c1 = await addContainer(lab, h1, 'c1');
  const block = (await h1.agent.status()).blocks[0]!.cidr;
  await waitFor('h2 to learn h1 block', async () => (await h2.ns.route(block))?.protocol === 'bgp');

  // foreign state on h2: a static route inside the pool, a kernel-protocol route, a link
  await h2.ns.ip('route', 'add', 'blackhole', '10.65.250.0/24', 'proto', 'static');
  await h2.ns.ip('route', 'add', '10.200.0.0/16', 'via', '10.0.0.1', 'proto', '77');
  await h2.ns.ip('link', 'add', 'foreign0', 'type', 'veth', 'peer', 'name', 'foreign1');
  // and one of ours removed by hand
  await h2.ns.ip('route', 'del', block);
  t.is(await h2.ns.route(block), undefined);

  // the tests run agents with a 5 s resync: within two periods it is back
  await waitFor('the learned route to come back', async () => (await h2.ns.route(block))?.protocol === 'bgp', {
    timeoutMs: 12_000,
    intervalMs: 200,
  });
  t.true(
    (await h2.ns.ping(c1.address)) ||
      (await waitFor('c1 reachable', () => h2.ns.ping(c1.address), { timeoutMs: 5000 })),
  );
  const routes = await h2.ns.routes(4);
  t.truthy(routes.find((r) => r.dst === '10.65.250.0/24' && r.protocol === 'static'));
  t.truthy(routes.find((r) => r.dst === '10.200.0.0/16' && r.gateway === '10.0.0.1'));
  t.regex((await h2.ns.ip('link', 'show', 'foreign0')).stdout, /foreign0/);
});
