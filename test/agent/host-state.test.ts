// hostState: what a host should be, from the cluster snapshot, its own blocks, its endpoints and its
// settings — clusterPlan, then addressPlan of that plan, composed here as the agent composes them.
// Pure, so each case is a row: inputs in, the parts the reconcilers take out.
import test from 'ava';
import type { ClusterSnapshot } from '../../src/agent/cluster-snapshot.js';
import {
  type AddressPlanInput,
  addressPlan,
  type ClusterPlanInput,
  clusterPlan,
  type HostSettings,
  type HostState,
} from '../../src/agent/host-state.js';
import { API_VERSION, type BGPConfiguration, type BGPPeer, type IPPool, type Node } from '../../src/model/index.js';

function hostState(input: ClusterPlanInput & AddressPlanInput): HostState {
  const plan = clusterPlan(input);
  return { ...plan, ...addressPlan(plan, input) };
}

const settings: HostSettings = { nodeName: 'a', logLevel: 'info' };

const node = (name: string, ip: string, bgp: Record<string, unknown> = {}): Node =>
  ({
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: { name, labels: { rack: name === 'a' ? 'r1' : 'r2' } },
    spec: { bgp: { ipv4Address: `${ip}/24`, ...bgp } },
  }) as Node;
const pool = (name: string, cidr: string, spec: Record<string, unknown> = {}): IPPool =>
  ({ apiVersion: API_VERSION, kind: 'IPPool', metadata: { name }, spec: { cidr, blockSize: 26, ...spec } }) as IPPool;
const config = (name: string, spec: Record<string, unknown>): BGPConfiguration =>
  ({ apiVersion: API_VERSION, kind: 'BGPConfiguration', metadata: { name }, spec }) as BGPConfiguration;
const peer = (name: string, spec: Record<string, unknown>): BGPPeer =>
  ({ apiVersion: API_VERSION, kind: 'BGPPeer', metadata: { name }, spec }) as BGPPeer;

const cluster = (s: Partial<ClusterSnapshot> = {}): ClusterSnapshot => ({
  pools: [pool('p', '10.65.0.0/16')],
  nodes: [node('a', '10.0.0.1'), node('b', '10.0.0.2'), node('c', '10.0.0.3')],
  peers: [],
  filters: [],
  configs: [],
  ...s,
});

const noPassword = () => ({ password: undefined });

const state = (c: ClusterSnapshot, addresses: { ownBlocks?: string[]; endpoints?: string[] } = {}, s = settings) =>
  hostState({
    cluster: c,
    settings: s,
    readPassword: noPassword,
    ownBlocks: addresses.ownBlocks ?? [],
    endpointAddresses: addresses.endpoints ?? [],
    extraPaths: [],
  });

const announcementRows: {
  title: string;
  cluster: ClusterSnapshot;
  ownBlocks: string[];
  endpoints: string[];
  announced: [string, string][];
  blackholes: string[];
}[] = [
  {
    title: 'nothing owned: nothing announced, no blackhole',
    cluster: cluster(),
    ownBlocks: [],
    endpoints: [],
    announced: [],
    blackholes: [],
  },
  {
    title: 'two sibling blocks aggregate; their endpoints add nothing',
    cluster: cluster(),
    ownBlocks: ['10.65.0.0/26', '10.65.0.64/26'],
    endpoints: ['10.65.0.5', '10.65.0.70'],
    announced: [['10.65.0.0/25', 'block']],
    blackholes: ['10.65.0.0/26', '10.65.0.64/26'],
  },
  {
    title: 'an address borrowed from another host’s block is a /32',
    cluster: cluster(),
    ownBlocks: ['10.65.0.0/26'],
    endpoints: ['10.65.0.5', '10.65.1.9'],
    announced: [
      ['10.65.0.0/26', 'block'],
      ['10.65.1.9/32', 'borrowed'],
    ],
    blackholes: ['10.65.0.0/26'],
  },
  {
    title: 'disableBGPExport: the blackhole stays, the announcement goes',
    cluster: cluster({ pools: [pool('p', '10.65.0.0/16', { disableBGPExport: true })] }),
    ownBlocks: ['10.65.0.0/26'],
    endpoints: ['10.65.0.5'],
    announced: [],
    blackholes: ['10.65.0.0/26'],
  },
  {
    title: 'a disabled pool still announces the blocks in use',
    cluster: cluster({ pools: [pool('p', '10.65.0.0/16', { disabled: true })] }),
    ownBlocks: ['10.65.0.0/26'],
    endpoints: ['10.65.0.5'],
    announced: [['10.65.0.0/26', 'block']],
    blackholes: ['10.65.0.0/26'],
  },
  {
    title: 'an endpoint address outside every pool is not announced',
    cluster: cluster(),
    ownBlocks: [],
    endpoints: ['192.0.2.7'],
    announced: [],
    blackholes: [],
  },
];

for (const row of announcementRows)
  test(`hostState announcements: ${row.title}`, (t) => {
    const s = state(row.cluster, { ownBlocks: row.ownBlocks, endpoints: row.endpoints });
    t.deepEqual(
      [...s.announcements.values()].map((a) => [a.prefix, a.origin]),
      row.announced,
    );
    t.deepEqual(s.blackholes, row.blackholes);
  });

test('hostState communities: prefixAdvertisements by name or value, on blocks and borrowed /32s', (t) => {
  const c = cluster({
    configs: [
      config('default', {
        communities: [{ name: 'edge', value: '65000:100' }],
        prefixAdvertisements: [{ cidr: '10.65.0.0/16', communities: ['edge', '65000:1:2'] }],
      }),
    ],
  });
  const s = state(c, { ownBlocks: ['10.65.0.0/26'], endpoints: ['10.65.9.9'] });
  t.deepEqual(
    [...s.announcements.values()].map((a) => [a.prefix, a.communities]),
    [
      ['10.65.0.0/26', ['65000:100', '65000:1:2']],
      ['10.65.9.9/32', ['65000:100', '65000:1:2']],
    ],
  );
});

const peerRows: { title: string; cluster: ClusterSnapshot; peers: [string, string][] }[] = [
  {
    title: 'mesh on: every other node',
    cluster: cluster(),
    peers: [
      ['10.0.0.2', 'mesh'],
      ['10.0.0.3', 'mesh'],
    ],
  },
  {
    title: 'mesh off, one global peer',
    cluster: cluster({
      configs: [config('default', { nodeToNodeMeshEnabled: false })],
      peers: [peer('tor', { peerIP: '10.0.0.254', asNumber: 65000 })],
    }),
    peers: [['10.0.0.254', 'global']],
  },
  {
    title: 'a node-scoped peer of another node is not ours',
    cluster: cluster({
      configs: [config('default', { nodeToNodeMeshEnabled: false })],
      peers: [peer('tor-b', { peerIP: '10.0.0.254', asNumber: 65000, node: 'b' })],
    }),
    peers: [],
  },
  {
    title: 'a node selector picks us by label',
    cluster: cluster({
      configs: [config('default', { nodeToNodeMeshEnabled: false })],
      peers: [peer('rack1', { peerIP: '10.0.0.253', asNumber: 65000, nodeSelector: "rack == 'r1'" })],
    }),
    peers: [['10.0.0.253', 'node']],
  },
  {
    title: 'routing mode Static: no sessions at all',
    cluster: cluster({ configs: [config('default', { routingMode: 'Static' })] }),
    peers: [],
  },
];

for (const row of peerRows)
  test(`hostState peers: ${row.title}`, (t) => {
    t.deepEqual(
      state(row.cluster).peers.map((p) => [p.address, p.type]),
      row.peers,
    );
  });

test('hostState peers: a password that cannot be read holds the session back with the reason', (t) => {
  const c = cluster({
    configs: [config('default', { nodeToNodeMeshEnabled: false })],
    peers: [peer('tor', { peerIP: '10.0.0.254', asNumber: 65000, password: { fromFile: '/nonexistent' } })],
  });
  const s = hostState({
    cluster: c,
    settings,
    readPassword: (ref) => ({ password: undefined, passwordProblem: `cannot read ${ref?.fromFile}` }),
    ownBlocks: [],
    endpointAddresses: [],
    extraPaths: [],
  });
  t.is(s.peers[0]?.passwordProblem, 'cannot read /nonexistent');
});

const identityRows: {
  title: string;
  cluster: ClusterSnapshot;
  settings?: HostSettings;
  asn: number;
  routerId?: string;
  listenPort: number;
}[] = [
  { title: 'defaults', cluster: cluster(), asn: 64512, routerId: '10.0.0.1', listenPort: 179 },
  {
    title: 'the cluster’s AS and port, the node’s own config over the default one',
    cluster: cluster({
      configs: [config('default', { asNumber: 65100, listenPort: 1179 }), config('node.a', { listenPort: 2179 })],
    }),
    asn: 65100,
    routerId: '10.0.0.1',
    listenPort: 2179,
  },
  {
    title: 'the Node’s AS over the cluster’s, --as-number over both, --bgp-address as router ID',
    cluster: cluster({ nodes: [node('a', '10.0.0.1', { asNumber: 65001 })] }),
    settings: { ...settings, asNumber: 65002, bgpAddress4: '10.9.9.9' },
    asn: 65002,
    routerId: '10.9.9.9',
    listenPort: 179,
  },
  {
    title: 'no IPv4 address anywhere: no router ID (the speaker cannot start)',
    cluster: cluster({ nodes: [] }),
    asn: 64512,
    listenPort: 179,
  },
];

for (const row of identityRows)
  test(`hostState speaker identity: ${row.title}`, (t) => {
    const { speaker } = state(row.cluster, {}, row.settings);
    t.is(speaker.asn, row.asn);
    t.is(speaker.routerId, row.routerId);
    t.is(speaker.listenPort, row.listenPort);
  });

test('hostState nat and import policy: natOutgoing pools masquerade to outside all pools; cluster peers may send pool addresses', (t) => {
  const c = cluster({
    pools: [
      pool('out', '10.65.0.0/16', { natOutgoing: true }),
      pool('off', '10.66.0.0/16', { natOutgoing: true, disabled: true }),
      pool('in', '10.67.0.0/16'),
    ],
  });
  const s = state(c);
  t.deepEqual(s.nat, {
    natPools: ['10.65.0.0/16', '10.66.0.0/16'],
    allPools: ['10.65.0.0/16', '10.66.0.0/16', '10.67.0.0/16'],
  });
  t.deepEqual(
    s.importPolicy.pools.map((p) => p.cidr),
    ['10.65.0.0/16', '10.66.0.0/16', '10.67.0.0/16'],
  );
});

test('hostState log level and routing mode: logSeverity wins over --log-level; Static comes from the cluster', (t) => {
  t.deepEqual(state(cluster()).logLevel, { level: 'info', source: '--log-level' });
  const c = cluster({ configs: [config('default', { logSeverity: 'debug', routingMode: 'Static' })] });
  const s = state(c);
  t.deepEqual(s.logLevel, { level: 'debug', source: 'BGPConfiguration logSeverity' });
  t.is(s.routingMode, 'Static');
  t.deepEqual(
    s.nodes.map((n) => [n.name, n.ipv4]),
    [
      ['a', '10.0.0.1'],
      ['b', '10.0.0.2'],
      ['c', '10.0.0.3'],
    ],
  );
});
