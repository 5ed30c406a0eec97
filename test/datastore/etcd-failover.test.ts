// etcd as a real cluster: three members on loopback, the leader SIGKILLed, brought back, then a
// follower SIGKILLed. Writes through the Datastore, CLI calls given all three endpoints, and a watch
// carry on: no call fails, and the watch sees every revision that was written, in order, exactly once.
import test from 'ava';
import { Kv } from '../../src/datastore/index.js';
import { type EtcdCluster, startEtcdCluster } from '../../src/lab/index.js';
import { runCli } from '../cli/run-cli.js';
import { labFor } from '../helpers/lab.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Load {
  stop(): Promise<{ writes: number[]; failures: string[]; slowestMs: number; cli: number; cliFailures: string[] }>;
}

/** Writes a key every 50 ms and runs `tsroute ippool list` back to back until stopped. */
function load(cluster: EtcdCluster, kv: Kv): Load {
  let running = true;
  const writes: number[] = [];
  const failures: string[] = [];
  const cliFailures: string[] = [];
  let slowestMs = 0;
  let cli = 0;
  const writer = (async () => {
    for (let i = 0; running; i++) {
      const started = Date.now();
      try {
        const res = await kv.txn([], [{ put: `/failover/k${i % 20}`, value: { i } }]);
        writes.push(res.revision);
      } catch (err) {
        failures.push(`write ${i}: ${(err as Error).message}`);
      }
      slowestMs = Math.max(slowestMs, Date.now() - started);
      await sleep(50);
    }
  })();
  const lister = (async () => {
    while (running) {
      const r = await runCli(['ippool', 'list', '--etcd-endpoints', cluster.endpoints.join(',')]);
      cli++;
      if (r.code !== 0) cliFailures.push(`exit ${r.code}: ${r.stderr.trim()}`);
    }
  })();
  return {
    async stop() {
      running = false;
      await Promise.all([writer, lister]);
      return { writes, failures, slowestMs, cli, cliFailures };
    },
  };
}

test('three-member etcd: leader then a follower SIGKILLed; no write or CLI call fails, the watch misses nothing', async (t) => {
  t.timeout(600_000);
  const lab = await labFor(t);
  const cluster = await startEtcdCluster(lab);
  const kv = new Kv({ endpoints: cluster.endpoints });
  t.teardown(() => kv.close());

  const seen: number[] = [];
  const stopWatch = await kv.watch('/failover/', (e) => {
    if (e.type === 'put') seen.push(e.entry.modRevision);
  });
  t.teardown(() => stopWatch());

  const running = load(cluster, kv);
  await sleep(3000);
  const leader = await cluster.leader();
  t.log(`SIGKILL leader ${leader.name}`);
  await leader.kill();
  await sleep(8000);
  const next = await cluster.leader();
  t.not(next, leader);
  await leader.start();
  await sleep(3000);
  const follower = cluster.members.find((m) => m !== next && m.daemon.running)!;
  t.log(`SIGKILL follower ${follower.name} (leader is ${next.name})`);
  await follower.kill();
  await sleep(8000);
  const { writes, failures, slowestMs, cli, cliFailures } = await running.stop();

  t.log(`${writes.length} writes, slowest ${slowestMs} ms (the stall a member's death costs); ${cli} CLI calls`);
  t.deepEqual(failures, [], 'no write failed');
  t.deepEqual(cliFailures, [], 'no CLI call failed');
  t.true(writes.length > 50, `${writes.length} writes`);
  t.true(cli >= 5, `${cli} CLI calls`);
  // every write's revision reaches the watcher, once, in order (it resumed at the revision after the
  // last one it saw, on another member)
  await sleep(2000);
  t.deepEqual(seen.slice(0, writes.length), writes);
  t.is(seen.length, writes.length);
});
