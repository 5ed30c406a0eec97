// BGPFilter end to end: two hosts running `tsroute node run` (iBGP mesh, AS 64512, IPv4 and IPv6)
// on one segment with an FRR (AS 65000) and a BIRD (AS 65010), both over IPv4 and IPv6 sessions,
// and a second BIRD in our own AS (iBGP, h1 only) that sees LOCAL_PREF. Host h1's peers carry
// filters, h2's carry none, so h2 is the control for every check: what h1 drops, h2 has. Every rule
// exists once per family (importV4/importV6, exportV4/exportV6). Import is seen in h1's kernel and
// `tsroute rib`; export in the routers' RIBs (the paths whose next hop is h1).
import test from 'ava';
import type { Route } from '../../src/api/types.js';
import { startAgent } from '../../src/lab/agent.js';
import { Bird, Frr, type Origination, startEtcd, waitFor } from '../../src/lab/index.js';
import { addContainer, apply, bgpConfigYaml, type Host, poolYaml } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

/** The prefixes of one family that the rules are about. */
interface Family {
  v: 4 | 6;
  /** inside the NotIn rule's range */
  scope: string;
  minLen: number;
  maxLen: number;
  // routes FRR originates, one per import rule
  eq: string;
  comm: string;
  origin: string;
  contains: string;
  long: string;
  outside: string;
  pass: string;
  /** originated by FRR and BIRD: setPriority decides */
  both: string;
  // paths h1 originates through the API, one per export rule
  xEq: string;
  xOutside: string;
  xLong: string;
  xComm: string;
  xAddComm: string;
  xPrepend: string;
  xPass: string;
  /** rejected by `In` its range */
  xIn: string;
  xInRange: string;
  /** rejected by `NotEqual` xPass (both carry community 64512:8) */
  xNe: string;
  bird: string;
  ibgp: string;
  frr: string;
  h1: string;
  h2: string;
}

const V4: Family = {
  v: 4,
  scope: '10.0.0.0/8',
  minLen: 28,
  maxLen: 30,
  eq: '10.200.1.0/24',
  comm: '10.200.2.0/24',
  origin: '10.200.3.0/24',
  contains: '10.200.4.0/24',
  long: '10.200.5.0/28',
  outside: '172.30.1.0/24',
  pass: '10.200.6.0/24',
  both: '10.210.0.0/24',
  xEq: '10.99.1.0/24',
  xOutside: '172.31.1.0/24',
  xLong: '10.99.4.0/28',
  xComm: '10.99.5.0/24',
  xAddComm: '10.99.2.0/24',
  xPrepend: '10.99.3.0/24',
  xPass: '10.99.6.0/24',
  xIn: '10.98.7.0/24',
  xInRange: '10.98.0.0/16',
  xNe: '10.97.1.0/24',
  frr: '10.0.0.10',
  bird: '10.0.0.20',
  ibgp: '10.0.0.30',
  h1: '10.0.0.1',
  h2: '10.0.0.2',
};
const V6: Family = {
  v: 6,
  scope: 'fd00::/8',
  minLen: 80,
  maxLen: 96,
  eq: 'fd00:200:1::/64',
  comm: 'fd00:200:2::/64',
  origin: 'fd00:200:3::/64',
  contains: 'fd00:200:4::/64',
  long: 'fd00:200:5::/80',
  outside: '2001:db8:30::/64',
  pass: 'fd00:200:6::/64',
  both: 'fd00:210::/64',
  xEq: 'fd00:99:1::/64',
  xOutside: '2001:db8:31::/64',
  xLong: 'fd00:99:4::/80',
  xComm: 'fd00:99:5::/64',
  xAddComm: 'fd00:99:2::/64',
  xPrepend: 'fd00:99:3::/64',
  xPass: 'fd00:99:6::/64',
  xIn: 'fd00:98:7::/64',
  xInRange: 'fd00:98::/32',
  xNe: 'fd00:97:1::/64',
  frr: 'fd00::10',
  bird: 'fd00::20',
  ibgp: 'fd00::30',
  h1: 'fd00::1',
  h2: 'fd00::2',
};

const importRules = (f: Family) => [
  // every imported route is learned from a peer, so `source` holds and the rule rejects
  { cidr: f.eq, matchOperator: 'Equal', source: 'RemotePeers', action: 'Reject' },
  { communities: { values: ['65000:13'] }, action: 'Reject' },
  { asPath: { originAS: 65300 }, action: 'Reject' },
  { asPath: { contains: 65301 }, action: 'Reject' },
  { prefixLength: { min: f.minLen, max: f.maxLen }, action: 'Reject' },
  { cidr: f.scope, matchOperator: 'NotIn', action: 'Reject' },
];
const exportRules = (f: Family) => [
  { source: 'RemotePeers', action: 'Reject' },
  { cidr: f.xEq, matchOperator: 'Equal', action: 'Reject' },
  { cidr: f.xInRange, matchOperator: 'In', action: 'Reject' },
  { cidr: f.xPass, matchOperator: 'NotEqual', communities: { values: ['64512:8'] }, action: 'Reject' },
  { cidr: f.scope, matchOperator: 'NotIn', action: 'Reject' },
  { prefixLength: { min: f.minLen, max: f.maxLen }, action: 'Reject' },
  { communities: { values: ['64512:7', '64512:7:7'] }, action: 'Reject' },
  {
    cidr: f.xAddComm,
    matchOperator: 'Equal',
    operations: [{ addCommunity: { value: '64512:42' } }, { addCommunity: { value: '64512:1:2' } }],
    action: 'Accept',
  },
  {
    cidr: f.xPrepend,
    matchOperator: 'Equal',
    operations: [{ prependASPath: { prefix: [64999, 64998] } }],
    action: 'Accept',
  },
];
const birdImport = (f: Family) => ({
  cidr: f.both,
  matchOperator: 'Equal',
  operations: [
    { setPriority: { value: 200 } },
    { addCommunity: { value: '64512:99' } },
    { prependASPath: { prefix: [65555] } },
  ],
  action: 'Accept',
});
/** LOCAL_PREF only travels to iBGP peers: a second BIRD in our AS sees it. */
const ibgpExport = (f: Family) => ({
  cidr: f.xPass,
  matchOperator: 'Equal',
  operations: [{ setPriority: { value: 300 } }],
  action: 'Accept',
});

// YAML is a superset of JSON: the manifests are written as JSON documents.
const doc = (kind: string, name: string, spec: unknown) =>
  `${JSON.stringify({ apiVersion: 'tsroute.io/v1', kind, metadata: { name }, spec })}\n---\n`;
const FILTERS =
  doc('BGPFilter', 'h1-frr', {
    importV4: importRules(V4),
    importV6: importRules(V6),
    exportV4: exportRules(V4),
    exportV6: exportRules(V6),
  }) +
  doc('BGPFilter', 'h1-bird', { importV4: [birdImport(V4)], importV6: [birdImport(V6)] }) +
  doc('BGPFilter', 'h1-ibgp', { exportV4: [ibgpExport(V4)], exportV6: [ibgpExport(V6)] });

const frrRoutes = (f: Family): Origination[] => [
  { prefix: f.eq },
  { prefix: f.comm, communities: ['65000:13'] },
  { prefix: f.origin, asPathPrepend: [65300] },
  { prefix: f.contains, asPathPrepend: [65301, 65302] },
  { prefix: f.long },
  { prefix: f.outside },
  { prefix: f.pass, communities: ['65000:14'] },
  { prefix: f.both },
];

/** The kernel's next hops for `prefix` on `h` ([] when it has no route). */
async function kernelVia(h: Host, prefix: string): Promise<string[]> {
  const r = await h.ns.route(prefix);
  if (!r) return [];
  return r.nexthops ? r.nexthops.map((n) => n.gateway ?? '?').sort() : [r.gateway ?? r.type ?? '?'];
}

/** This host's own blocks: the blackholes it installs for them. */
async function ownBlocks(h: Host, v: 4 | 6): Promise<string[]> {
  return (await h.ns.routes(v)).filter((r) => r.type === 'blackhole').map((r) => r.dst);
}

test('BGPFilter through the agent: every match and operation seen at FRR, BIRD and the kernel', async (t) => {
  // ~25 s on an idle machine; several routers and two agents on a loaded one can take minutes
  t.timeout(300_000);
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  const sw = await lab.namespace('switch');
  const bridge = await lab.bridge(sw, 'br0');
  const attach = async (label: string, last: number) => {
    const ns = await lab.namespace(label, { forwarding: true });
    await lab.link(sw, [], ns, [`10.0.0.${last}/24`, `fd00::${last}/64`], { aIf: `port${last}`, bIf: 'eth0' });
    await sw.ip('link', 'set', `port${last}`, 'master', bridge);
    return ns;
  };
  const [h1ns, h2ns, frrNs, birdNs, ibgpNs] = await Promise.all([
    attach('h1', 1),
    attach('h2', 2),
    attach('frr', 10),
    attach('bird', 20),
    attach('ibgp', 30),
  ]);
  const hostPeers = (router: 'frr' | 'bird' | 'ibgp') =>
    [V4, V6].flatMap((f) => [
      { address: f.h1, as: 64512, localAddress: f[router] },
      { address: f.h2, as: 64512, localAddress: f[router] },
    ]);
  const frr = await Frr.start(lab, frrNs, {
    routerId: '10.0.0.10',
    as: 65000,
    peers: hostPeers('frr'),
    originate: [...frrRoutes(V4), ...frrRoutes(V6)],
  });
  const bird = await Bird.start(lab, birdNs, {
    routerId: '10.0.0.20',
    as: 65010,
    peers: hostPeers('bird'),
    originate: [V4.both, V6.both],
  });
  const ibgp = await Bird.start(lab, ibgpNs, {
    routerId: '10.0.0.30',
    as: 64512,
    peers: [V4, V6].map((f) => ({ address: f.h1, as: 64512, localAddress: f.ibgp })),
  });

  let peers = '';
  for (const f of [V4, V6]) {
    const s = f.v === 6 ? '6' : '';
    peers += doc('BGPPeer', `frr${s}-h1`, { node: 'h1', peerIP: f.frr, asNumber: 65000, filters: ['h1-frr'] });
    peers += doc('BGPPeer', `bird${s}-h1`, { node: 'h1', peerIP: f.bird, asNumber: 65010, filters: ['h1-bird'] });
    peers += doc('BGPPeer', `ibgp${s}-h1`, { node: 'h1', peerIP: f.ibgp, asNumber: 64512, filters: ['h1-ibgp'] });
    peers += doc('BGPPeer', `frr${s}-h2`, { node: 'h2', peerIP: f.frr, asNumber: 65000 });
    peers += doc('BGPPeer', `bird${s}-h2`, { node: 'h2', peerIP: f.bird, asNumber: 65010 });
  }
  await apply(
    lab,
    etcd,
    poolYaml('pool4', '10.65.0.0/16', 26) +
      poolYaml('pool6', 'fd00:65::/64', 122) +
      bgpConfigYaml(64512, true) +
      FILTERS +
      peers,
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
  // A dual-stack container each gives each host blocks of its own to announce.
  await Promise.all([addContainer(lab, h1, 'c1', { ipv6: true }), addContainer(lab, h2, 'c2', { ipv6: true })]);
  // Paths h1 originates through the API: the rejected ones first, so that seeing the last accepted
  // one at FRR means h1 has decided on all of them.
  for (const f of [V4, V6]) {
    for (const prefix of [f.xEq, f.xOutside, f.xLong, f.xIn]) await h1.agent.client.addPath({ prefix });
    await h1.agent.client.addPath({ prefix: f.xNe, communities: ['64512:8'] });
    await h1.agent.client.addPath({ prefix: f.xComm, communities: [f.v === 4 ? '64512:7' : '64512:7:7'] });
  }
  for (const f of [V4, V6]) for (const prefix of [f.xAddComm, f.xPrepend]) await h1.agent.client.addPath({ prefix });
  for (const f of [V4, V6]) await h1.agent.client.addPath({ prefix: f.xPass, communities: ['64512:8'] });

  const h1Block4 = await waitFor('h1 to hold an IPv4 block', async () => (await ownBlocks(h1, 4))[0]);
  for (const f of [V4, V6]) {
    const fam = `IPv${f.v}`;
    // ---- import: h1's kernel lacks exactly what its rules reject; h2 (no filter) has everything.
    const originated = frrRoutes(f).map((r) => r.prefix);
    await waitFor(
      `h2 to install every FRR ${fam} route`,
      async () => {
        for (const p of originated) if ((await kernelVia(h2, p)).length === 0) return false;
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    await waitFor(
      `h1 to install the ${fam} routes its filter lets in`,
      async () => (await kernelVia(h1, f.pass)).length > 0,
      {
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
    const installed: Record<string, boolean> = {};
    for (const p of originated) installed[p] = (await kernelVia(h1, p)).length > 0;
    t.deepEqual(
      installed,
      {
        [f.eq]: false, // cidr + matchOperator Equal
        [f.comm]: false, // communities
        [f.origin]: false, // asPath.originAS
        [f.contains]: false, // asPath.contains
        [f.long]: false, // prefixLength.min
        [f.outside]: false, // NotIn
        [f.pass]: true,
        [f.both]: true,
      },
      `${fam} import at h1`,
    );

    // ---- setPriority: BIRD's path wins on h1 (LOCAL_PREF 200) while h2 prefers FRR's (router ID).
    const h1Rib = await waitFor(
      `h1 to prefer BIRD for ${f.both}`,
      async () => {
        const out = await h1.agent.cli(['rib', '--prefix', f.both, '-o', 'json']);
        const routes = JSON.parse(out.stdout) as Route[];
        return routes.find((r) => r.best)?.source === f.bird ? routes : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    t.like(
      h1Rib.find((r) => r.best),
      { localPref: 200, asPath: [65555, 65010], communities: ['64512:99'] },
      `${fam} import: setPriority, prependASPath (in front on import), addCommunity`,
    );
    t.like(
      h1Rib.find((r) => r.source === f.frr),
      { best: false },
    );
    const h2Rib = await h2.agent.client.listRoutes({ view: 'LOC_RIB', prefix: f.both, longer: false, peer: '' });
    const h2Best = h2Rib.routes.find((r) => r.best);
    t.like(h2Best, { source: f.frr }, `${fam}: without the filter the FRR path wins`);
    t.not(h2Best?.localPref, 200);
    if (f.v === 4) {
      t.deepEqual(await kernelVia(h1, f.both), [f.bird], 'the kernel follows the preferred path');
      const table = await h1.agent.cli(['rib', '--prefix', f.both]);
      t.regex(
        table.stdout,
        /\*\s+10\.210\.0\.0\/24\s+10\.0\.0\.20\s+65555 65010\s+200\s/,
        '`tsroute rib` shows LPREF 200',
      );
    }

    // ---- export: what FRR holds from h1 versus from h2.
    const family = f.v === 4 ? 'ipv4' : 'ipv6';
    const from = async (nextHop: string) =>
      new Map((await frr.routes(family)).filter((r) => r.nextHop === nextHop).map((r) => [r.prefix, r] as const));
    const [block1] = await ownBlocks(h1, f.v);
    const [block2] = await ownBlocks(h2, f.v);
    if (!block1 || !block2) throw new Error(`${fam}: each host should have a block`);
    const fromH1 = await waitFor(
      `FRR to have the last accepted ${fam} paths from h1`,
      async () => {
        const m = await from(f.h1);
        return m.has(f.xPass) && m.has(block1) ? m : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    // h2 passes h1's block on (iBGP-learned → eBGP): without `source` honoured, h1 would do the same.
    await waitFor(`FRR to have h1's ${fam} block from h2 too`, async () => (await from(f.h2)).has(block1), {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    t.deepEqual(
      [...fromH1.keys()].sort(),
      [block1, f.xAddComm, f.xPrepend, f.xPass].sort(),
      `${fam}: h1 exports its own block and the accepted paths; not what it learned (source: RemotePeers), ` +
        'the Equal, In, NotEqual, NotIn, prefixLength and communities rejects',
    );
    t.false(fromH1.has(block2), `${fam}: source: RemotePeers keeps h2's block, learned by iBGP, from FRR`);
    // (h1's best path to `both` is BIRD's, so only the rule keeps it from FRR)
    t.false(fromH1.has(f.both), `${fam}: source: RemotePeers keeps BIRD's route from FRR`);
    t.like(
      fromH1.get(f.xAddComm),
      { communities: ['64512:42'], largeCommunities: ['64512:1:2'] },
      `${fam}: addCommunity (standard and large)`,
    );
    t.deepEqual(fromH1.get(f.xPrepend)?.asPath, [64512, 64999, 64998], `${fam}: prependASPath behind our own AS`);
    t.deepEqual(fromH1.get(f.xPass)?.asPath, [64512]);

    // ---- export setPriority: the iBGP BIRD sees LOCAL_PREF 300 on that one path, 100 on the others.
    const atIbgp = await waitFor(
      `the iBGP BIRD to have h1's ${fam} paths`,
      async () => {
        const m = new Map((await ibgp.routes(family)).map((r) => [r.prefix, r] as const));
        return m.has(f.xPass) && m.has(block1) ? m : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    t.is(atIbgp.get(f.xPass)?.localPref, 300, `${fam}: export setPriority`);
    t.is(atIbgp.get(block1)?.localPref, 100);
  }
  // ---- a changed filter applies live: export re-sent, import refreshed, no session re-made.
  const since = async () =>
    Object.fromEntries((await h1.agent.status()).peers.map((p) => [p.address, p.sinceUnixMs] as const));
  const before = await since();
  const changed = FILTERS.replace(JSON.stringify(exportRules(V4)), JSON.stringify(exportRules(V4).slice(2))).replace(
    JSON.stringify(importRules(V4)),
    JSON.stringify(importRules(V4).slice(1)),
  );
  t.not(changed, FILTERS);
  await apply(lab, etcd, changed);
  await waitFor(
    'FRR to get the formerly rejected 10.99.1.0/24 and h2 block from h1',
    async () => {
      const m = new Map((await frr.routes('ipv4')).filter((r) => r.nextHop === V4.h1).map((r) => [r.prefix, r]));
      return m.has(V4.xEq) && [...m.keys()].some((p) => p.startsWith('10.65.') && p !== h1Block4);
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  await waitFor(
    `h1 to install ${V4.eq} after the import rule went`,
    async () => (await kernelVia(h1, V4.eq)).length > 0,
    {
      timeoutMs: 60_000,
      intervalMs: 250,
    },
  );
  t.deepEqual(await since(), before, 'no session of h1 was re-made');

  // h1's filters changed nothing for the sessions themselves
  t.is((await ibgp.sessions()).filter((s) => s.state === 'Established').length, 2);
  t.is((await bird.sessions()).filter((s) => s.state === 'Established').length, 4);
  t.is((await frr.sessions()).filter((s) => s.state === 'Established').length, 4);
});
