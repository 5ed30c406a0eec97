// The agent's kernel after churn of attribute-diverse routes: two BIRD peers (eBGP, AS 65001 and
// 65002) announce overlapping tables where every four prefixes share a set of real-looking
// attributes (src/lab/attr-table.ts), reconfigured wave after wave (routes come and go, paths
// change length, the better peer changes). After each wave the kernel of `tsroute node run` holds
// exactly one learned route per announced prefix, via the peer whose AS path is shorter — no stale
// route, no missing one, no wrong next hop.
import test from 'ava';
import { startAgent } from '../../src/lab/agent.js';
import { type AttrSet, attrSetOf } from '../../src/lab/attr-table.js';
import { Bird, type Origination, startEtcd, waitFor } from '../../src/lab/index.js';
import { apply, bgpConfigYaml, peerYaml, poolYaml } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

const SPACE = 1500;
const WAVES = 4;
const HOST = '10.0.0.2';
const PEERS = [
  { address: '10.0.0.10', as: 65001 },
  { address: '10.0.0.20', as: 65002 },
];
const prefixOf = (i: number) => `10.${100 + (i >> 8)}.${i & 255}.0/24`;

function lcg(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

test('kernel after waves of attribute-diverse churn from two BIRD peers: exactly one route per prefix, via the shorter AS path', async (t) => {
  t.timeout(300_000);
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  const sw = await lab.namespace('switch');
  const bridge = await lab.bridge(sw, 'br0');
  const attach = async (label: string, address: string) => {
    const ns = await lab.namespace(label, { forwarding: true });
    const port = `port-${label}`;
    await lab.link(sw, [], ns, `${address}/24`, { aIf: port, bIf: 'eth0' });
    await sw.ip('link', 'set', port, 'master', bridge);
    return ns;
  };
  const host = await attach('host', HOST);
  const birds = await Promise.all(
    PEERS.map(async (p, i) => {
      const ns = await attach(`bird${i + 1}`, p.address);
      return Bird.start(lab, ns, {
        routerId: p.address,
        as: p.as,
        kernel: false,
        peers: [{ address: HOST, as: 64512, localAddress: p.address }],
      });
    }),
  );
  await apply(
    lab,
    etcd,
    poolYaml('pool', '10.64.0.0/16', 26) +
      bgpConfigYaml(64512, false) +
      PEERS.map((p, i) => peerYaml(`bird${i + 1}`, { peerIP: p.address, asNumber: p.as })).join(''),
  );
  const agent = await startAgent(lab, host, { name: 'host', etcd, bgpAddress: HOST, logLevel: 'info' });
  await waitFor(
    'both BIRD sessions Established',
    async () => (await agent.status()).peers.filter((p) => p.state === 'Established').length === 2,
    { timeoutMs: 60_000, intervalMs: 200 },
  );

  const rnd = lcg(5);
  for (let wave = 0; wave < WAVES; wave++) {
    const tables: Map<string, AttrSet>[] = [new Map(), new Map()];
    const want = new Map<string, string>();
    for (let i = 0; i < SPACE; i++) {
      const sets = [0, 1].map((b) => (rnd(5) < 3 ? attrSetOf(100 * b + wave, i >> 2) : undefined));
      const [a, b] = sets;
      // Where both announce, one path is strictly shorter (else the tie-break, not the table, would decide).
      if (a && b && a.asPath.length === b.asPath.length) {
        const longer = rnd(2) === 0 ? a : b;
        sets[sets.indexOf(longer)] = { ...longer, asPath: [...longer.asPath, 64_999] };
      }
      const present = sets.flatMap((s, k) => (s ? [{ s, k }] : []));
      for (const { s, k } of present) tables[k]!.set(prefixOf(i), s);
      if (present.length) {
        const best = present.reduce((x, y) => (y.s.asPath.length < x.s.asPath.length ? y : x));
        want.set(prefixOf(i), PEERS[best.k]!.address);
      }
    }
    await Promise.all(
      birds.map((bird, k) =>
        bird.originate(
          [...tables[k]!].map(
            ([prefix, s]): Origination => ({
              prefix,
              asPathPrepend: s.asPath,
              communities: s.communities,
              largeCommunities: s.largeCommunities,
              ...(s.med === undefined ? {} : { med: s.med }),
            }),
          ),
        ),
      ),
    );
    const wantText = [...want]
      .map(([p, via]) => `${p} via ${via}`)
      .sort()
      .join('\n');
    let got = '';
    await waitFor(
      `wave ${wave}: the kernel holds exactly the ${want.size} best routes`,
      async () => {
        got = (await host.routes(4))
          .filter((r) => r.protocol === 'bgp' && r.dst.startsWith('10.1'))
          .map((r) => `${r.dst} via ${r.gateway ?? r.nexthops?.map((n) => n.gateway).join(',')}`)
          .sort()
          .join('\n');
        return got === wantText;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    ).catch(() => undefined);
    const gotLines = got.split('\n');
    const wantLines = wantText.split('\n');
    t.true(
      got === wantText,
      `wave ${wave}: ${gotLines.length} routes, want ${wantLines.length}; missing ${wantLines
        .filter((l) => !gotLines.includes(l))
        .slice(0, 4)
        .join('; ')}; unexpected ${gotLines
        .filter((l) => !wantLines.includes(l))
        .slice(0, 4)
        .join('; ')}`,
    );
  }
});
