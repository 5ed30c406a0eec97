// The agent through a container's life and through its own: deleting endpoints, borrowing addresses,
// configuration changes while running, being killed and restarted, and etcd going away.
import test from 'ava';
import { parse } from 'yaml';
import { AgentDatastoreUnavailableError } from '../../src/api/index.js';
import { Datastore } from '../../src/datastore/index.js';
import { waitFor } from '../../src/lab/index.js';
import type { AnyResource } from '../../src/model/index.js';
import {
  addContainer,
  allSessionsUp,
  meshCluster,
  peerYaml,
  poolYaml,
  reachability,
  torCluster,
} from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('deleting a container removes its veth and route; a borrowed /32 is announced, then withdrawn at the peer', async (t) => {
  const lab = await labFor(t);
  // two blocks of four addresses: h1 fills its block, then has to borrow from h2's
  const { hosts } = await meshCluster(lab, { count: 2, pool: '10.65.0.0/29', blockSize: 30 });
  const [h1, h2] = hosts as [(typeof hosts)[0], (typeof hosts)[0]];
  await allSessionsUp(hosts, 1);
  const onH2 = await addContainer(lab, h2, 'b1');
  const onH1 = [];
  for (let i = 0; i < 5; i++) onH1.push(await addContainer(lab, h1, `a${i}`));
  const borrowed = onH1[4]!;
  const h2Block = (await h2.agent.status()).blocks.find((b) => !b.borrowed)!.cidr;
  t.true(
    borrowed.address.startsWith(h2Block.split('/')[0]!.split('.').slice(0, 3).join('.')),
    `${borrowed.address} is inside ${h2Block}`,
  );
  const hostRoute = `${borrowed.address}`;
  await waitFor('h2 to learn the borrowed /32', async () => (await h2.ns.route(hostRoute))?.protocol === 'bgp');
  t.deepEqual(await reachability([onH2, borrowed]), []);

  const before = await h1.ns.ip('link', 'show', borrowed.endpoint.hostInterface);
  t.regex(before.stdout, /tsr/);
  const del = await h1.agent.client.deleteEndpoint({ containerId: 'a4', interface: 'eth0' });
  t.true(del.existed);
  t.deepEqual(del.released, [borrowed.address]);
  await t.throwsAsync(h1.ns.ip('link', 'show', borrowed.endpoint.hostInterface));
  t.is(await h1.ns.route(hostRoute), undefined);
  await waitFor('h2 to drop the withdrawn /32', async () => (await h2.ns.route(hostRoute)) === undefined);
  // deleting again is a no-op
  t.false((await h1.agent.client.deleteEndpoint({ containerId: 'a4', interface: 'eth0' })).existed);
});

test('a pool or a peer added in etcd takes effect on running agents without a restart (time logged)', async (t) => {
  const lab = await labFor(t);
  const { hosts, etcd } = await meshCluster(lab, { count: 2, mesh: false });
  const [h1, h2] = hosts as [(typeof hosts)[0], (typeof hosts)[0]];
  t.deepEqual((await h1.agent.status()).peers, []);

  // written straight to etcd, so the clock measures the agents, not a CLI process starting
  const ds = new Datastore({ endpoints: [etcd.endpoint] });
  t.teardown(() => ds.close());
  let started = Date.now();
  await ds.apply(parse(peerYaml('all-nodes', { peerSelector: 'all()' }).split('---')[0]!) as AnyResource);
  await waitFor('both agents to configure the new peer', async () => {
    for (const h of hosts) if ((await h.agent.status()).peers.length !== 1) return false;
    return true;
  });
  const peerMs = Date.now() - started;
  t.log(`peer configured on both agents in ${peerMs} ms`);
  // ~120 ms here; the figure is logged, and only a stall (ten times the promised second) fails.
  t.true(peerMs < 10_000, `peer configured after ${peerMs} ms`);
  await allSessionsUp(hosts, 1);

  const p2 = await lab.namespace('p2');
  started = Date.now();
  await ds.apply(parse(poolYaml('second', '10.77.0.0/16', 28).split('---')[0]!) as AnyResource);
  const c = await waitFor('an address from the new pool', async () => {
    try {
      return await h1.agent.client.addEndpoint({
        containerId: 'p2',
        netns: p2.path,
        pools: ['second'],
      });
    } catch {
      return undefined; // the agent has not seen the pool yet
    }
  });
  const poolMs = Date.now() - started;
  t.log(`pool usable in ${poolMs} ms`);
  t.true(poolMs < 15_000, `pool usable after ${poolMs} ms`);
  t.regex(c.addresses[0]!, /^10\.77\./);
  await waitFor('h2 to learn the new pool block', async () =>
    (await h2.ns.routes(4)).some((r) => r.protocol === 'bgp' && r.dst.startsWith('10.77.')),
  );
});

test('a ping across hosts survives the agent being killed and restarted (graceful restart at the ToR)', async (t) => {
  const lab = await labFor(t);
  const { hosts } = await torCluster(lab, { count: 2, gracefulRestart: true });
  await allSessionsUp(hosts, 1);
  const [c1, c2] = await Promise.all(hosts.map((h, i) => addContainer(lab, h, `c${i + 1}`)));
  t.deepEqual(await reachability([c1!, c2!]), []);

  // 20 pings a second for 10 s: one lost packet is 0.5 %, so the 1 % bound is measured, not rounded.
  const count = 200;
  const ping = c2!.ns.exec(['ping', '-n', '-q', '-i', '0.05', '-W', '1', '-c', String(count), c1!.address], {
    timeoutMs: 40_000,
  });
  await new Promise((r) => setTimeout(r, 1500));
  await hosts[0]!.agent.kill();
  await new Promise((r) => setTimeout(r, 1000));
  await hosts[0]!.agent.start();
  await allSessionsUp(hosts, 1);
  const out = (await ping.catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }))).stdout;
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  t.truthy(m, out);
  const loss = 1 - Number(m![2]) / Number(m![1]);
  t.log(m![0]);
  t.true(loss <= 0.01, `loss ${(loss * 100).toFixed(1)} % (${m![0]})`);
  // after the restart the container is still known to the agent and reachable
  t.is((await hosts[0]!.agent.client.listEndpoints()).endpoints.length, 1);
  t.deepEqual(await reachability([c1!, c2!]), []);
});

test('the agent rides out etcd being away for 30 s and catches up when it returns', async (t) => {
  const lab = await labFor(t);
  const { hosts, etcd } = await meshCluster(lab, { count: 2 });
  await allSessionsUp(hosts, 1);
  const [c1, c2] = await Promise.all(hosts.map((h, i) => addContainer(lab, h, `c${i + 1}`)));
  await etcd.stop();
  const outageStart = Date.now();
  await waitFor('the agent to notice etcd is gone', async () => !(await hosts[0]!.agent.status()).datastoreConnected, {
    timeoutMs: 15_000,
  });
  // while etcd is away: sessions stay up, traffic flows, a new endpoint is a clear error
  const err = await t.throwsAsync(
    hosts[0]!.agent.client.addEndpoint({ containerId: 'late', netns: (await lab.namespace('late')).path }),
  );
  // the agent is running: the caller is told that etcd is what is missing, not the agent
  t.true(err instanceof AgentDatastoreUnavailableError, `${err?.name}: ${err?.message}`);
  t.regex(err?.message ?? '', /^the tsroute agent at \S+ is running but cannot reach etcd: etcd is unreachable/);
  const viaCli = await hosts[0]!.agent.cli([
    'endpoint',
    'add',
    '--container-id',
    'late-cli',
    '--netns',
    (await lab.namespace('late-cli')).path,
  ]);
  t.is(viaCli.code, 2, `exit code 2 (datastore), not 3 (agent): ${viaCli.stderr}`);
  t.regex(viaCli.stderr, /^tsroute: the tsroute agent at \S+ is running but cannot reach etcd/);
  while (Date.now() - outageStart < 30_000) {
    t.deepEqual(await reachability([c1!, c2!], 3000), []);
    await new Promise((r) => setTimeout(r, 5000));
  }
  for (const h of hosts) t.true((await h.agent.status()).peers.every((p) => p.state === 'Established'));
  await etcd.restart();
  await waitFor('the agent to reconnect', async () => (await hosts[0]!.agent.status()).datastoreConnected, {
    timeoutMs: 20_000,
  });
  const c3 = await addContainer(lab, hosts[0]!, 'after');
  t.deepEqual(await reachability([c3, c2!]), []);
  // the failed add left nothing behind
  t.is((await hosts[0]!.agent.client.listEndpoints()).endpoints.length, 2);
});
