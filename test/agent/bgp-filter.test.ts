// BGPFilter end to end: two hosts running `tsroute node run` (iBGP mesh, AS 64512) on one segment
// with an FRR (AS 65000, IPv4 and IPv6 sessions) and a BIRD (AS 65010). Host h1's peers carry
// filters, h2's carry none, so h2 is the control for every check: what h1 drops, h2 has.
// Import is seen in h1's kernel and `tsroute rib`; export in FRR's RIB (paths whose next hop is h1).
import test from 'ava';
import type { Route } from '../../src/api/types.js';
import { startAgent } from '../../src/lab/agent.js';
import { Bird, Frr, startEtcd, waitFor } from '../../src/lab/index.js';
import { addContainer, apply, bgpConfigYaml, type Host, poolYaml } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

const FILTERS = `apiVersion: tsroute.io/v1
kind: BGPFilter
metadata: {name: h1-frr}
spec:
  importV4:
    - {cidr: 10.200.1.0/24, matchOperator: Equal, action: Reject}
    - {communities: {values: ["65000:13"]}, action: Reject}
    - {asPath: {originAS: 65300}, action: Reject}
    - {asPath: {contains: 65301}, action: Reject}
    - {prefixLength: {min: 28}, action: Reject}
    - {cidr: 10.0.0.0/8, matchOperator: NotIn, action: Reject}
  importV6:
    - {cidr: "fd00:200:1::/64", matchOperator: Equal, action: Reject}
  exportV4:
    - {source: RemotePeers, action: Reject}
    - {cidr: 10.99.1.0/24, matchOperator: Equal, action: Reject}
    - {cidr: 10.0.0.0/8, matchOperator: NotIn, action: Reject}
    - {prefixLength: {min: 28, max: 30}, action: Reject}
    - {communities: {values: ["64512:7", "64512:7:7"]}, action: Reject}
    - cidr: 10.99.2.0/24
      matchOperator: Equal
      operations: [{addCommunity: {value: "64512:42"}}, {addCommunity: {value: "64512:1:2"}}]
      action: Accept
    - cidr: 10.99.3.0/24
      matchOperator: Equal
      operations: [{prependASPath: {prefix: [64999, 64998]}}]
      action: Accept
  exportV6:
    - {cidr: "fd00:99:1::/64", matchOperator: Equal, action: Reject}
---
apiVersion: tsroute.io/v1
kind: BGPFilter
metadata: {name: h1-bird}
spec:
  importV4:
    - {cidr: 10.210.0.0/24, matchOperator: Equal, operations: [{setPriority: {value: 200}}], action: Accept}
---
`;

function peer(name: string, node: string, ip: string, as: number, filters: string[] = []): string {
  return `apiVersion: tsroute.io/v1
kind: BGPPeer
metadata: {name: ${name}}
spec: {node: ${node}, peerIP: "${ip}", asNumber: ${as}, filters: [${filters.join(', ')}]}
---
`;
}

const FRR_ROUTES = [
  { prefix: '10.200.1.0/24' }, // Equal
  { prefix: '10.200.2.0/24', communities: ['65000:13'] }, // community
  { prefix: '10.200.3.0/24', asPathPrepend: [65300] }, // originAS
  { prefix: '10.200.4.0/24', asPathPrepend: [65301, 65302] }, // contains
  { prefix: '10.200.5.0/28' }, // prefixLength
  { prefix: '172.30.1.0/24' }, // NotIn 10/8
  { prefix: '10.200.6.0/24', communities: ['65000:14'] }, // passes every rule
  { prefix: '10.210.0.0/24' }, // also from BIRD: setPriority decides
  { prefix: 'fd00:200:1::/64' },
  { prefix: 'fd00:200:2::/64' },
];

/** The kernel's next hops for `prefix` on `h` ([] when it has no route). */
async function kernelVia(h: Host, prefix: string): Promise<string[]> {
  const r = await h.ns.route(prefix);
  if (!r) return [];
  return r.nexthops ? r.nexthops.map((n) => n.gateway ?? '?').sort() : [r.gateway ?? r.type ?? '?'];
}

test('BGPFilter through the agent: every match and operation seen at FRR, BIRD and the kernel', async (t) => {
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  const sw = await lab.namespace('switch');
  const bridge = await lab.bridge(sw, 'br0');
  const attach = async (label: string, v4: string, v6: string, port: string) => {
    const ns = await lab.namespace(label, { forwarding: true });
    await lab.link(sw, [], ns, [v4, v6], { aIf: port, bIf: 'eth0' });
    await sw.ip('link', 'set', port, 'master', bridge);
    return ns;
  };
  const h1ns = await attach('h1', '10.0.0.1/24', 'fd00::1/64', 'port1');
  const h2ns = await attach('h2', '10.0.0.2/24', 'fd00::2/64', 'port2');
  const frrNs = await attach('frr', '10.0.0.10/24', 'fd00::10/64', 'port10');
  const birdNs = await attach('bird', '10.0.0.20/24', 'fd00::20/64', 'port20');

  const hostPeers = (local: string, as = 64512) => [
    { address: '10.0.0.1', as, localAddress: local },
    { address: '10.0.0.2', as, localAddress: local },
  ];
  const frr = await Frr.start(lab, frrNs, {
    routerId: '10.0.0.10',
    as: 65000,
    peers: [
      ...hostPeers('10.0.0.10'),
      { address: 'fd00::1', as: 64512, localAddress: 'fd00::10' },
      { address: 'fd00::2', as: 64512, localAddress: 'fd00::10' },
    ],
    originate: FRR_ROUTES,
  });
  const bird = await Bird.start(lab, birdNs, {
    routerId: '10.0.0.20',
    as: 65010,
    peers: hostPeers('10.0.0.20'),
    originate: ['10.210.0.0/24'],
  });

  await apply(
    lab,
    etcd,
    poolYaml('pool4', '10.65.0.0/16', 26) +
      bgpConfigYaml(64512, true) +
      FILTERS +
      peer('frr-h1', 'h1', '10.0.0.10', 65000, ['h1-frr']) +
      peer('frr6-h1', 'h1', 'fd00::10', 65000, ['h1-frr']) +
      peer('bird-h1', 'h1', '10.0.0.20', 65010, ['h1-bird']) +
      peer('frr-h2', 'h2', '10.0.0.10', 65000) +
      peer('frr6-h2', 'h2', 'fd00::10', 65000) +
      peer('bird-h2', 'h2', '10.0.0.20', 65010),
  );
  const [h1, h2] = await Promise.all(
    [h1ns, h2ns].map(async (ns, i) => {
      const name = `h${i + 1}`;
      const address = `10.0.0.${i + 1}`;
      const agent = await startAgent(lab, ns, { name, etcd, bgpAddress: address, bgpAddress6: `fd00::${i + 1}` });
      return { name, ns, address, as: 64512, agent } satisfies Host;
    }),
  );
  if (!h1 || !h2) throw new Error('two hosts');
  // A container each gives each host a block of its own to announce.
  const [c1, c2] = await Promise.all([addContainer(lab, h1, 'c1'), addContainer(lab, h2, 'c2')]);
  const block = (address: string) =>
    `${address.split('.').slice(0, 3).join('.')}.${Number(address.split('.')[3]) & ~63}/26`;
  const block1 = block(c1.address);
  const block2 = block(c2.address);
  // Paths h1 originates through the API: the rejected ones first, so that seeing the last accepted
  // one at FRR means h1 has decided on all of them.
  for (const p of [
    { prefix: '10.99.1.0/24' },
    { prefix: '172.31.1.0/24' },
    { prefix: '10.99.4.0/28' },
    { prefix: '10.99.5.0/24', communities: ['64512:7'] },
    { prefix: 'fd00:99:1::/64' },
    { prefix: '10.99.2.0/24' },
    { prefix: '10.99.3.0/24' },
    { prefix: 'fd00:99:2::/64' },
    { prefix: '10.99.6.0/24' },
  ])
    await h1.agent.client.addPath(p);

  // ---- import: h1's kernel lacks exactly what its rules reject; h2 (no filter) has everything.
  const v4 = FRR_ROUTES.map((r) => r.prefix).filter((p) => !p.includes(':'));
  await waitFor(
    'h2 to install every FRR route',
    async () => {
      for (const p of v4) if ((await kernelVia(h2, p)).length === 0) return false;
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  await waitFor(
    'h1 to install the routes its filter lets in',
    async () => {
      return (await kernelVia(h1, '10.200.6.0/24')).length > 0 && (await kernelVia(h1, 'fd00:200:2::/64')).length > 0;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  const h1Kernel: Record<string, boolean> = {};
  for (const p of [...v4, 'fd00:200:1::/64', 'fd00:200:2::/64']) h1Kernel[p] = (await kernelVia(h1, p)).length > 0;
  t.deepEqual(h1Kernel, {
    '10.200.1.0/24': false, // Equal
    '10.200.2.0/24': false, // communities
    '10.200.3.0/24': false, // asPath.originAS
    '10.200.4.0/24': false, // asPath.contains
    '10.200.5.0/28': false, // prefixLength.min
    '172.30.1.0/24': false, // NotIn
    '10.200.6.0/24': true,
    '10.210.0.0/24': true,
    'fd00:200:1::/64': false, // importV6 Equal
    'fd00:200:2::/64': true,
  });
  for (const p of ['fd00:200:1::/64', 'fd00:200:2::/64'])
    t.true((await kernelVia(h2, p)).length > 0, `${p} at h2 (no filter)`);

  // ---- setPriority: BIRD's path wins on h1 (LOCAL_PREF 200) while h2 prefers FRR's (router ID).
  const h1Rib = await waitFor(
    'h1 to prefer BIRD for 10.210.0.0/24',
    async () => {
      const out = await h1.agent.cli(['rib', '--prefix', '10.210.0.0/24', '-o', 'json']);
      const routes = JSON.parse(out.stdout) as Route[];
      return routes.find((r) => r.best)?.source === '10.0.0.20' ? routes : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  t.like(
    h1Rib.find((r) => r.best),
    { localPref: 200, nextHops: ['10.0.0.20'] },
  );
  t.like(
    h1Rib.find((r) => r.source === '10.0.0.10'),
    { best: false },
  );
  t.deepEqual(await kernelVia(h1, '10.210.0.0/24'), ['10.0.0.20']);
  const h2Best = (
    await h2.agent.client.listRoutes({ view: 'LOC_RIB', prefix: '10.210.0.0/24', longer: false, peer: '' })
  ).routes.find((r) => r.best);
  t.like(h2Best, { source: '10.0.0.10' }, 'without the filter the FRR path wins');
  t.not(h2Best?.localPref, 200);
  const table = await h1.agent.cli(['rib', '--prefix', '10.210.0.0/24']);
  t.regex(table.stdout, /\*\s+10\.210\.0\.0\/24\s+10\.0\.0\.20\s+65010\s+200\b/);

  // ---- export: what FRR holds from h1 (next hop 10.0.0.1 / fd00::1) versus from h2.
  const fromH = async (nextHop: string, family: 'ipv4' | 'ipv6' = 'ipv4') =>
    new Map((await frr.routes(family)).filter((r) => r.nextHop === nextHop).map((r) => [r.prefix, r] as const));
  const fromH1 = await waitFor(
    'FRR to have the last accepted paths from h1',
    async () => {
      const m = await fromH('10.0.0.1');
      const m6 = await fromH('fd00::1', 'ipv6');
      return m.has('10.99.6.0/24') && m.has(block1) && m6.has('fd00:99:2::/64') ? m : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  // h2 passes h1's block on (iBGP-learned → eBGP), so a rule ignoring `source` would be visible.
  const fromH2 = await waitFor(
    'FRR to have h1 block from h2 too',
    async () => {
      const m = await fromH('10.0.0.2');
      return m.has(block1) && m.has(block2) ? m : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  t.true(fromH2.has(block1), 'h2 passes a learned route on: the control for source: RemotePeers');
  t.deepEqual(
    [...fromH1.keys()].sort(),
    [block1, '10.99.2.0/24', '10.99.3.0/24', '10.99.6.0/24'].sort(),
    'h1 exports its own block and the accepted paths; not what it learned (RemotePeers), 10.99.1.0/24 (Equal), ' +
      '172.31.1.0/24 (NotIn), 10.99.4.0/28 (prefixLength), 10.99.5.0/24 (communities)',
  );
  t.false(fromH1.has(block2), 'source: RemotePeers keeps the learned block of h2 from FRR');
  // (h1's best path to 10.210.0.0/24 is BIRD's, so only the rule keeps it from FRR)
  t.false(fromH1.has('10.210.0.0/24'), 'source: RemotePeers keeps the route learned from BIRD from FRR');
  t.deepEqual(fromH1.get('10.99.2.0/24')?.communities, ['64512:42'], 'addCommunity');
  t.deepEqual(fromH1.get('10.99.2.0/24')?.largeCommunities, ['64512:1:2'], 'addCommunity (large)');
  t.deepEqual(fromH1.get('10.99.3.0/24')?.asPath, [64512, 64999, 64998], 'prependASPath behind our own AS');
  t.deepEqual(fromH1.get('10.99.6.0/24')?.asPath, [64512]);
  const fromH1v6 = await fromH('fd00::1', 'ipv6');
  t.deepEqual(
    [...fromH1v6.keys()].filter((p) => p.startsWith('fd00:99:')),
    ['fd00:99:2::/64'],
    'exportV6 Equal',
  );

  // h2's view of its peers is unchanged by h1's filters (no session reset anywhere)
  const birdSessions = await bird.sessions();
  t.is(birdSessions.filter((s) => s.state === 'Established').length, 2);
});
