import test from 'ava';
import { type PlanConfig, type PlanNode, planPeers } from '../../src/agent/peer-plan.js';

// A tiny "k=v,k2=v2" matcher: enough to drive the plan; the real selector language is the model's.
const matches = (selector: string, labels: Record<string, string>) =>
  selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return k !== undefined && labels[k.trim()] === v?.trim();
  });

const node = (name: string, ip: string, extra: Partial<PlanNode> = {}): PlanNode => ({
  name,
  labels: {},
  ipv4Address: ip,
  ...extra,
});
const mesh: PlanConfig = { asNumber: 64512, nodeToNodeMeshEnabled: true };
const noMesh: PlanConfig = { asNumber: 64512, nodeToNodeMeshEnabled: false };

test('full mesh: every other node, iBGP, no reflection', (t) => {
  const nodes = [node('a', '10.0.0.1'), node('b', '10.0.0.2'), node('c', '10.0.0.3')];
  const plan = planPeers(nodes[0]!, nodes, [], mesh, matches);
  t.deepEqual(
    plan.map((p) => [p.address, p.asNumber, p.type, p.routeReflectorClient, p.clusterPeer]),
    [
      ['10.0.0.2', 64512, 'mesh', false, true],
      ['10.0.0.3', 64512, 'mesh', false, true],
    ],
  );
});

test('a node-scoped ToR peer applies only to its node and is not a cluster peer', (t) => {
  const self = node('a', '10.0.1.2', { asNumber: 65001 });
  const plan = planPeers(
    self,
    [self],
    [
      { name: 'tor-a', peerIP: '10.0.1.1', asNumber: 65000, node: 'a' },
      { name: 'tor-b', peerIP: '10.0.2.1', asNumber: 65000, node: 'b' },
    ],
    noMesh,
    matches,
  );
  t.deepEqual(
    plan.map((p) => [p.address, p.asNumber, p.type, p.clusterPeer, p.source]),
    [['10.0.1.1', 65000, 'node', false, 'tor-a']],
  );
});

test('node selectors and peer selectors pick by label', (t) => {
  const a = node('a', '10.0.0.1', { labels: { rack: 'r1' } });
  const b = node('b', '10.0.0.2', { labels: { rack: 'r2', edge: 'yes' } });
  const peers = [
    { name: 'rack1-tor', peerIP: '10.9.9.9', asNumber: 65000, nodeSelector: 'rack=r1' },
    { name: 'edges', peerSelector: 'edge=yes' },
  ];
  t.deepEqual(
    planPeers(a, [a, b], peers, noMesh, matches).map((p) => [p.address, p.source]),
    [
      ['10.0.0.2', 'edges'],
      ['10.9.9.9', 'rack1-tor'],
    ],
  );
  // b is not in rack r1, and its peer selector matches only itself, which is never a peer.
  t.deepEqual(planPeers(b, [a, b], peers, noMesh, matches), []);
});

test('route reflectors by cluster ID without the mesh: clients peer with reflectors, reflectors with all', (t) => {
  const nodes = [
    node('rr1', '10.0.0.1', { routeReflectorClusterId: '1.1.1.1' }),
    node('rr2', '10.0.0.2', { routeReflectorClusterId: '1.1.1.1' }),
    node('h3', '10.0.0.3'),
    node('h4', '10.0.0.4'),
  ];
  const rr1 = planPeers(nodes[0]!, nodes, [], noMesh, matches);
  t.deepEqual(
    rr1.map((p) => [p.address, p.type, p.routeReflectorClient]),
    [
      ['10.0.0.2', 'mesh', false],
      ['10.0.0.3', 'client', true],
      ['10.0.0.4', 'client', true],
    ],
  );
  const h3 = planPeers(nodes[2]!, nodes, [], noMesh, matches);
  t.deepEqual(
    h3.map((p) => [p.address, p.type, p.routeReflectorClient]),
    [
      ['10.0.0.1', 'reflector', false],
      ['10.0.0.2', 'reflector', false],
    ],
  );
});

test('a reflector serves an iBGP router named by BGPPeer as a client, an eBGP one not', (t) => {
  const rr = node('rr', '10.0.0.1', { routeReflectorClusterId: '224.0.0.1' });
  const h2 = node('h2', '10.0.0.2');
  const peers = [
    { name: 'bird', peerIP: '10.0.0.9', asNumber: 64512 },
    { name: 'tor', peerIP: '10.0.0.254', asNumber: 65000 },
  ];
  const plan = planPeers(rr, [rr, h2], peers, noMesh, matches);
  t.deepEqual(
    plan.map((p) => [p.address, p.type, p.routeReflectorClient]),
    [
      ['10.0.0.2', 'client', true],
      ['10.0.0.254', 'global', false],
      ['10.0.0.9', 'client', true],
    ],
  );
  // the same peers on a node that is no reflector are plain peers
  t.deepEqual(
    planPeers(h2, [rr, h2], peers, noMesh, matches).map((p) => [p.address, p.type, p.routeReflectorClient]),
    [
      ['10.0.0.1', 'reflector', false],
      ['10.0.0.254', 'global', false],
      ['10.0.0.9', 'global', false],
    ],
  );
});

test('an explicit peer for a mesh address wins, and a peer naming ourselves is ignored', (t) => {
  const a = node('a', '10.0.0.1');
  const b = node('b', '10.0.0.2');
  const plan = planPeers(
    a,
    [a, b],
    [
      { name: 'b-special', peerIP: '10.0.0.2', asNumber: 64512, maxPrefix: 10 },
      { name: 'self', peerIP: '10.0.0.1', asNumber: 64512 },
    ],
    mesh,
    matches,
  );
  t.deepEqual(
    plan.map((p) => [p.address, p.source, p.maxPrefix, p.clusterPeer]),
    [['10.0.0.2', 'b-special', 10, true]],
  );
});

test('IPv6 sessions only when both ends have an IPv6 address', (t) => {
  const a = node('a', '10.0.0.1', { ipv6Address: 'fd00::1' });
  const b = node('b', '10.0.0.2', { ipv6Address: 'fd00::2' });
  const c = node('c', '10.0.0.3');
  t.deepEqual(
    planPeers(a, [a, b, c], [], mesh, matches).map((p) => p.address),
    ['10.0.0.2', '10.0.0.3', 'fd00::2'],
  );
});

test('unnumbered: an interface peer has a session at fe80::…%IF once its router is found there, bound to no address', (t) => {
  const self = node('a', '10.0.0.1', { ipv6Address: 'fd00::1' });
  const peers = [{ name: 'up', interface: 'eth1', asNumber: 65000 }];
  t.deepEqual(planPeers(self, [self], peers, noMesh, matches), []);
  const plan = planPeers(self, [self], peers, noMesh, matches, (ifname) => (ifname === 'eth1' ? 'fe80::1' : undefined));
  t.deepEqual(
    plan.map((p) => [p.address, p.asNumber, p.type, p.localAddress, p.clusterPeer]),
    [['fe80::1%eth1', 65000, 'global', undefined, false]],
  );
  // a link-local peer given by address is bound to no node address either
  const given = planPeers(self, [self], [{ name: 'b', peerIP: 'fe80::2%eth2', asNumber: 65000 }], noMesh, matches);
  t.is(given[0]?.localAddress, undefined);
});
