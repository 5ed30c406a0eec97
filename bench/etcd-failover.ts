// What a dying etcd member costs (`npm run bench -- etcd-failover`): three members on loopback, two
// agents in a mesh; AddEndpoint (then DeleteEndpoint) back to back on one agent while, in each round,
// the leader is SIGKILLed and later started again, then a follower is. Printed per kind of death:
// the longest AddEndpoint call in the 10 s after it (the stall), beside the median of calls with all
// members up; and whether any call failed (none should).
import { Lab, startEtcdCluster } from '../src/lab/index.js';
import { allSessionsUp, meshCluster } from '../test/helpers/cluster.js';

const ROUNDS = Number(process.env.BENCH_FAILOVER_ROUNDS ?? 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;

export async function runEtcdFailoverBench(): Promise<void> {
  const lab = await Lab.create('bench-etcd-failover');
  try {
    const cluster = await startEtcdCluster(lab);
    const { hosts } = await meshCluster(lab, { count: 2, etcd: cluster.asEtcd() });
    await allSessionsUp(hosts, 1);
    const agent = hosts[0]!.agent;
    const spaces = await Promise.all([0, 1, 2, 3].map((i) => lab.namespace(`w${i}`)));
    const calls: { at: number; ms: number }[] = [];
    const failures: string[] = [];
    let running = true;
    const churn = (async () => {
      for (let i = 0; running; i++) {
        const at = Date.now();
        try {
          await agent.client.addEndpoint({ containerId: `c${i}`, netns: spaces[i % 4]!.path });
          calls.push({ at, ms: Date.now() - at });
          await agent.client.deleteEndpoint({ containerId: `c${i}`, interface: 'eth0' });
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    })();
    const window = (from: number) => calls.filter((c) => c.at >= from && c.at < from + 10_000).map((c) => c.ms);
    const steady: number[] = [];
    const stalls = { leader: [] as number[], follower: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      let from = Date.now();
      await sleep(5000);
      steady.push(...window(from));
      const leader = await cluster.leader();
      from = Date.now();
      await leader.kill();
      await sleep(10_000);
      stalls.leader.push(Math.max(...window(from)));
      await leader.start();
      await sleep(3000);
      const now = await cluster.leader();
      const follower = cluster.members.find((m) => m !== now && m.daemon.running)!;
      from = Date.now();
      await follower.kill();
      await sleep(10_000);
      stalls.follower.push(Math.max(...window(from)));
      await follower.start();
    }
    running = false;
    await churn;
    console.log(`AddEndpoint, all members up: median ${median(steady)} ms over ${steady.length} calls`);
    console.log(`leader SIGKILLed:   longest call ${stalls.leader.join(', ')} ms (${ROUNDS} rounds)`);
    console.log(`follower SIGKILLed: longest call ${stalls.follower.join(', ')} ms (${ROUNDS} rounds)`);
    console.log(`failed calls: ${failures.length}${failures.length ? ` (first: ${failures[0]})` : ''}`);
    if (failures.length) throw new Error(`${failures.length} AddEndpoint calls failed`);
  } finally {
    await lab.destroy();
  }
}
