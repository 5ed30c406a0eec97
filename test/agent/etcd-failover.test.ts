// Agents on a three-member etcd: the leader SIGKILLed, brought back, then a follower SIGKILLed.
// AddEndpoint keeps succeeding the whole time (the longest call is logged; bench/etcd-failover.ts
// measures it), and the BGP sessions between the agents never drop.
import test from 'ava';
import { startEtcdCluster } from '../../src/lab/index.js';
import { allSessionsUp, meshCluster } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('AddEndpoint keeps succeeding and sessions stay up while etcd members die (leader, then a follower)', async (t) => {
  t.timeout(600_000);
  const lab = await labFor(t);
  const cluster = await startEtcdCluster(lab);
  const { hosts } = await meshCluster(lab, { count: 2, etcd: cluster.asEtcd() });
  await allSessionsUp(hosts, 1);
  const h1 = hosts[0]!;
  const since = (await h1.agent.status()).peers.map((p) => p.sinceUnixMs);
  const spaces = await Promise.all([0, 1, 2, 3].map((i) => lab.namespace(`w${i}`)));

  let running = true;
  const failures: string[] = [];
  const latencies: number[] = [];
  const churn = (async () => {
    for (let i = 0; running; i++) {
      const started = Date.now();
      try {
        await h1.agent.client.addEndpoint({ containerId: `c${i}`, netns: spaces[i % 4]!.path });
        latencies.push(Date.now() - started);
        await h1.agent.client.deleteEndpoint({ containerId: `c${i}`, interface: 'eth0' });
      } catch (err) {
        failures.push(`c${i} after ${Date.now() - started} ms: ${(err as Error).message}`);
      }
    }
  })();

  await sleep(3000);
  const leader = await cluster.leader();
  await leader.kill();
  await sleep(10_000);
  const next = await cluster.leader();
  await leader.start();
  await sleep(3000);
  const follower = cluster.members.find((m) => m !== next && m.daemon.running)!;
  await follower.kill();
  await sleep(10_000);
  running = false;
  await churn;

  const slowest = Math.max(...latencies);
  const median = [...latencies].sort((a, b) => a - b)[Math.floor(latencies.length / 2)]!;
  t.log(`${latencies.length} AddEndpoint calls, median ${median} ms, slowest ${slowest} ms (the stall)`);
  t.deepEqual(failures, [], 'no AddEndpoint failed');
  t.true(latencies.length >= 10, `${latencies.length} calls`);
  const after = await h1.agent.status();
  t.true(
    after.peers.every((p) => p.state === 'Established'),
    JSON.stringify(after.peers.map((p) => p.state)),
  );
  t.deepEqual(
    after.peers.map((p) => p.sinceUnixMs),
    since,
    'the sessions never dropped (same Established-since)',
  );
  t.true(after.datastoreConnected);
});
