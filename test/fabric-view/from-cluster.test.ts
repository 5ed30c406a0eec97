// Joining etcd's facts (Node resources, affinities, the agents' status records) and a lab's routers
// into one picture, with tables: which boxes, which lines, whose views.
import test from 'ava';
import type { NodeStatusPeer, NodeStatusRecord } from '../../src/datastore/index.js';
import { type ClusterFacts, fabricSnapshot, sessionClass } from '../../src/fabric-view/index.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');

const peer = (address: string, state: string, over: Partial<NodeStatusPeer> = {}): NodeStatusPeer => ({
  address,
  asNumber: 65000,
  type: 'node',
  state,
  sinceUnixMs: 0,
  lastError: '',
  receivedShutdownMessage: '',
  prefixesReceived: 0,
  prefixesAccepted: 0,
  prefixesAdvertised: 0,
  ...over,
});

const status = (node: string, peers: NodeStatusPeer[], over: Partial<NodeStatusRecord> = {}): NodeStatusRecord => ({
  node,
  version: '0.1.0',
  heartbeatUnixMs: NOW - 1000,
  intervalMs: 10_000,
  startedUnixMs: NOW - 60_000,
  asNumber: 65001,
  routerId: '10.0.0.1',
  datastoreConnected: true,
  peers,
  blocks: [{ cidr: `10.65.${node.slice(1)}.0/26`, inUse: 2, size: 64, borrowed: false }],
  endpoints: 2,
  kernelRoutes: 2,
  rejectedResources: [],
  ipamGcLeader: false,
  ...over,
});

const facts = (over: Partial<ClusterFacts>): ClusterFacts => ({
  title: 't',
  nowUnixMs: NOW,
  nodes: [],
  statuses: [],
  affinities: [],
  ...over,
});

interface Case {
  name: string;
  facts: ClusterFacts;
  /** id kind health */
  nodes: string[];
  /** "a-b class views" */
  sessions: string[];
}

const quickstartStatuses = [1, 2, 3].map((i) =>
  status(`h${i}`, [peer(`10.0.${i}.1`, 'Established', { routerId: '10.0.1.1' })]),
);
const quickstartNodes = [1, 2, 3].map((i) => ({ name: `h${i}`, addresses: [`10.0.${i}.2`], reflector: false }));

const cases: Case[] = [
  {
    name: 'from etcd only: a ToR seen at three addresses with one BGP identifier is one router',
    facts: facts({ nodes: quickstartNodes, statuses: quickstartStatuses }),
    nodes: ['router 10.0.1.1 router ok', 'h1 host ok', 'h2 host ok', 'h3 host ok'].sort(),
    sessions: [
      'h1-router 10.0.1.1 established 1',
      'h2-router 10.0.1.1 established 1',
      'h3-router 10.0.1.1 established 1',
    ],
  },
  {
    name: "in a lab: the router's own view joins each agent's, on the router's name",
    facts: facts({
      nodes: quickstartNodes,
      statuses: quickstartStatuses,
      routers: [
        {
          name: 'tor',
          software: 'FRR',
          addresses: ['10.0.1.1/24', '10.0.2.1/24', '10.0.3.1/24'],
          sessions: [
            { peer: '10.0.1.2', state: 'Established' },
            { peer: '10.0.2.2', state: 'Established' },
            { peer: '10.0.3.2', state: 'Active' },
          ],
        },
      ],
    }),
    nodes: ['tor router ok', 'h1 host ok', 'h2 host ok', 'h3 host ok'].sort(),
    sessions: ['h1-tor established 2', 'h2-tor established 2', 'h3-tor connecting 2'],
  },
  {
    name: 'a mesh: each pair is one line with both ends as views',
    facts: facts({
      nodes: [1, 2].map((i) => ({ name: `h${i}`, addresses: [`10.0.0.${i}/24`], reflector: false })),
      statuses: [status('h1', [peer('10.0.0.2', 'Established')]), status('h2', [peer('10.0.0.1', 'Established')])],
    }),
    nodes: ['h1 host ok', 'h2 host ok'],
    sessions: ['h1-h2 established 2'],
  },
  {
    name: 'a reflector, a node without status (blocks from affinities), a stale node',
    facts: facts({
      nodes: [
        { name: 'rr', addresses: ['10.0.0.1'], reflector: true },
        { name: 'h2', addresses: ['10.0.0.2'], reflector: false },
        { name: 'h3', addresses: ['10.0.0.3'], reflector: false },
      ],
      statuses: [
        status('rr', [peer('10.0.0.2', 'Active'), peer('10.0.0.3', 'Established')]),
        status('h3', [peer('10.0.0.1', 'Established')], { heartbeatUnixMs: NOW - 60_000 }),
      ],
      affinities: [{ node: 'h2', cidr: '10.65.2.0/26' }],
    }),
    nodes: ['h2 host no-status', 'h3 host stale', 'rr reflector ok'],
    sessions: ['h2-rr connecting 1', 'h3-rr established 2'],
  },
  {
    name: 'leaf-spine: routers whose sessions all end at routers are spines',
    facts: facts({
      nodes: [{ name: 'h1', addresses: ['10.1.1.2'], reflector: false }],
      statuses: [status('h1', [peer('10.1.1.1', 'Established')])],
      routers: [
        { name: 'leaf1', addresses: ['10.1.1.1', '10.9.1.2'], sessions: [{ peer: '10.9.1.1', state: 'Established' }] },
        { name: 'spine1', addresses: ['10.9.1.1'], sessions: [{ peer: '10.9.1.2', state: 'Established' }] },
      ],
    }),
    nodes: ['h1 host ok', 'leaf1 router ok', 'spine1 spine ok'],
    sessions: ['h1-leaf1 established 1', 'leaf1-spine1 established 2'],
  },
  {
    name: 'a peer nobody owns and that never sent an OPEN is a box named by its address',
    facts: facts({
      nodes: [{ name: 'h1', addresses: ['10.0.0.1'], reflector: false }],
      statuses: [status('h1', [peer('192.0.2.9', 'Connect', { routerId: '' })])],
    }),
    nodes: ['h1 host ok', 'peer 192.0.2.9 router ok'],
    sessions: ['h1-peer 192.0.2.9 connecting 1'],
  },
];

for (const c of cases)
  test(`join: ${c.name}`, (t) => {
    const s = fabricSnapshot(c.facts);
    t.deepEqual(s.nodes.map((n) => `${n.id} ${n.kind} ${n.health}`).sort(), c.nodes);
    t.deepEqual(
      s.sessions.map((x) => `${[x.a, x.b].sort().join('-')} ${sessionClass(x)} ${x.views.length}`).sort(),
      c.sessions,
    );
  });

test('join: blocks come from the status record (with usage) and else from affinities', (t) => {
  const s = fabricSnapshot(
    facts({
      nodes: [
        { name: 'h1', addresses: [], reflector: false },
        { name: 'h2', addresses: [], reflector: false },
      ],
      statuses: [status('h1', [])],
      affinities: [
        { node: 'h2', cidr: '10.65.2.0/26' },
        { node: 'h2', cidr: '10.65.2.64/26' },
      ],
    }),
  );
  const blocks = Object.fromEntries(s.nodes.map((n) => [n.id, n.blocks]));
  t.deepEqual(blocks.h1, [{ cidr: '10.65.1.0/26', inUse: 2, size: 64, borrowed: false }]);
  t.deepEqual(blocks.h2, [{ cidr: '10.65.2.0/26' }, { cidr: '10.65.2.64/26' }]);
});

test('join: BFD state and the reason a session is down travel with the view', (t) => {
  const s = fabricSnapshot(
    facts({
      nodes: [{ name: 'h1', addresses: [], reflector: false }],
      statuses: [
        status('h1', [
          peer('10.0.1.1', 'Idle', {
            routerId: '10.0.1.1',
            bfd: 'Down (control detection time expired)',
            lastError: 'held down: BFD Down',
          }),
        ]),
      ],
    }),
  );
  t.deepEqual(s.sessions[0]?.views, [
    { by: 'h1', state: 'Idle', bfd: 'Down (control detection time expired)', info: 'held down: BFD Down' },
  ]);
  t.is(sessionClass(s.sessions[0]!), 'bfd-down');
});
