// The agent's view of the cluster when two reads of etcd overlap (the timer's and a watch event's):
// the older read finishing last must not put back the picture from before the change. Real etcd
// cannot be made to answer out of order on demand, so the datastore here is a stand-in whose
// answers the test releases in the order it wants.
import test from 'ava';
import { ClusterState } from '../../src/agent/cluster-state.js';
import type { Datastore } from '../../src/datastore/index.js';

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as never;

test('an older read that finishes after a newer one does not replace it', async (t) => {
  let peers: unknown[] = [];
  const held: (() => void)[] = [];
  let hold = false;
  const datastore = {
    // Each read answers with what etcd held when it was asked, possibly later.
    list: (kind: string) => {
      const answer = kind === 'BGPPeer' ? [...peers] : [];
      if (!hold) return Promise.resolve(answer);
      return new Promise((resolve) => held.push(() => resolve(answer)));
    },
  } as unknown as Datastore;
  const state = new ClusterState(datastore, silent, 60_000);
  await state.reload();
  t.deepEqual(state.snapshot.peers, []);

  hold = true;
  const older = state.reload(); // asked before the peer was written
  const olderAnswers = held.splice(0);
  // a valid peer: the agent applies only resources that pass validation
  peers = [
    {
      apiVersion: 'tsroute.io/v1',
      kind: 'BGPPeer',
      metadata: { name: 'tor' },
      spec: { peerIP: '10.0.0.1', asNumber: 65000 },
    },
  ];
  hold = false;
  await state.reload(); // asked after: sees the peer
  t.deepEqual(
    state.snapshot.peers.map((p) => p.metadata.name),
    ['tor'],
  );
  for (const answer of olderAnswers) answer();
  await older;
  t.deepEqual(
    state.snapshot.peers.map((p) => p.metadata.name),
    ['tor'],
    'the stale read was dropped',
  );
});
