// The agent's retries against an etcd that is slow or away must not add to its load: the back-off is
// jittered over its whole window (agents that failed together retry apart), and the cluster reads
// asked for by watch events never pile up behind a slow one.
import test from 'ava';
import { ClusterState } from '../../src/agent/cluster-state.js';
import { jitteredBackoffMs, RETRY_CAP_MS } from '../../src/agent/timers.js';
import type { Datastore } from '../../src/datastore/index.js';

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as never;

test('the back-off is drawn from the whole window, which doubles up to the cap', (t) => {
  t.is(
    jitteredBackoffMs(0, 200, 5000, () => 0),
    0,
  );
  t.is(
    jitteredBackoffMs(0, 200, 5000, () => 0.5),
    100,
  );
  t.is(
    jitteredBackoffMs(3, 200, 5000, () => 0.5),
    800,
  );
  t.is(
    jitteredBackoffMs(10, 200, 5000, () => 0.5),
    2500,
    'capped',
  );
  t.is(
    jitteredBackoffMs(1000, 200, 5000, () => 0.5),
    2500,
    'no overflow at any attempt',
  );
  // 100 agents failing together at their 6th attempt: retries spread over [0, cap), not in lock-step
  const waits = Array.from({ length: 100 }, () => jitteredBackoffMs(6));
  t.true(waits.every((w) => w >= 0 && w < RETRY_CAP_MS));
  t.true(Math.min(...waits) < RETRY_CAP_MS * 0.2 && Math.max(...waits) > RETRY_CAP_MS * 0.8, waits.join(' '));
});

test('a burst of watch events while etcd is slow: one cluster read in flight at a time, and one more after it', async (t) => {
  let hold = false;
  let inFlight = 0;
  let maxInFlight = 0;
  let reads = 0;
  const held: (() => void)[] = [];
  let onWatch: (() => void) | undefined;
  const datastore = {
    list: (kind: string) => {
      const answer = () => Promise.resolve([]);
      if (kind !== 'IPPool') return answer();
      reads++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const done = () => {
        inFlight--;
      };
      if (!hold) return answer().finally(done);
      return new Promise<never[]>((resolve) => held.push(() => resolve([]))).finally(done);
    },
    watch: async (kinds: string[], cb: () => void) => {
      t.deepEqual([...kinds].sort(), ['BGPConfiguration', 'BGPFilter', 'BGPPeer', 'IPPool', 'Node']);
      onWatch = cb;
      return async () => {};
    },
  } as unknown as Datastore;
  const state = new ClusterState(datastore, silent, 3_600_000);
  await state.start();
  t.is(reads, 1);
  hold = true;
  // 30 Node registrations seen over ~0.6 s, while each read takes "seconds"
  for (let i = 0; i < 30; i++) {
    onWatch!();
    await new Promise((r) => setTimeout(r, 20));
  }
  t.is(maxInFlight, 1, 'never two reads at once');
  t.is(reads, 2, 'the events became one read, still in flight');
  hold = false;
  held.splice(0).forEach((release) => {
    release();
  });
  await new Promise((r) => setTimeout(r, 50));
  t.is(reads, 3, 'and one more after it, for the events that came meanwhile');
  t.is(maxInFlight, 1);
  await state.stop();
});
