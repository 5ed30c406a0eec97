// Unnumbered peering (BGPPeer.spec.interface, or peerIP fe80::…%eth1): two hosts, each running
// `tsroute node run`, hang off one ToR over links that carry no IPv4 address at all. The sessions run
// between IPv6 link-local addresses; IPv4 routes travel with IPv6 next hops (RFC 8950) and go into
// the kernels as `via inet6 fe80::… dev X`; containers on the two hosts reach each other across.
import test from 'ava';
import { startAgent } from '../../src/lab/agent.js';
import { Bird, Frr, type Lab, type Netns, startEtcd, waitFor } from '../../src/lab/index.js';
import { addContainer, apply, bgpConfigYaml, type Host, poolYaml, reachability } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

const doc = (kind: string, name: string, spec: Record<string, unknown>) =>
  `apiVersion: tsroute.io/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec: ${JSON.stringify(spec)}\n---\n`;

/** The link-local address of `ifname` in `ns`, once the kernel has made it usable (DAD done). */
async function linkLocal(ns: Netns, ifname: string): Promise<string> {
  let found = '';
  await waitFor(`${ns.label} ${ifname} link-local address`, async () => {
    const { stdout } = await ns.ip('-j', '-6', 'addr', 'show', 'dev', ifname, 'scope', 'link');
    const info = (JSON.parse(stdout) as { addr_info: { local: string; tentative?: boolean }[] }[])[0]?.addr_info;
    found = info?.find((a) => !a.tentative)?.local ?? '';
    return found !== '';
  });
  return found;
}

interface Fabric {
  lab: Lab;
  tor: Netns;
  hosts: Host[];
  /** The ToR's link-local address toward host i (index 0: h1). */
  torLinkLocal: string[];
  hostLinkLocal: string[];
}

/**
 * Two hosts under a ToR; each link has only its kernel-made IPv6 link-local addresses. A host's
 * own address (router ID, node address) sits on lo as a /32 that no link carries.
 */
async function unnumberedFabric(
  lab: Lab,
  router: (tor: Netns, hostLinkLocal: string[], torLinkLocal: string[]) => Promise<unknown>,
  peerSpec: (i: number, torLinkLocal: string) => Record<string, unknown>,
): Promise<Fabric> {
  const etcd = await startEtcd(lab);
  const tor = await lab.namespace('tor', { forwarding: true });
  const hostNs: Netns[] = [];
  for (let i = 1; i <= 2; i++) {
    const ns = await lab.namespace(`h${i}`, { forwarding: true });
    await lab.link(tor, [], ns, [], { aIf: `to-h${i}`, bIf: 'eth1' });
    await ns.ip('addr', 'add', `10.255.0.${i}/32`, 'dev', 'lo');
    hostNs.push(ns);
  }
  const torLinkLocal = await Promise.all([1, 2].map((i) => linkLocal(tor, `to-h${i}`)));
  const hostLinkLocal = await Promise.all(hostNs.map((ns) => linkLocal(ns, 'eth1')));
  await router(tor, hostLinkLocal, torLinkLocal);
  let manifests =
    poolYaml('pool4', '10.65.0.0/16', 26) + poolYaml('pool6', 'fd00:65::/64', 122) + bgpConfigYaml(64512, false);
  for (let i = 1; i <= 2; i++) manifests += doc('BGPPeer', `tor-h${i}`, peerSpec(i, torLinkLocal[i - 1]!));
  await apply(lab, etcd, manifests);
  const hosts = await Promise.all(
    hostNs.map(async (ns, i) => {
      const name = `h${i + 1}`;
      const address = `10.255.0.${i + 1}`;
      const as = 65001 + i;
      const agent = await startAgent(lab, ns, { name, etcd, bgpAddress: address, as });
      return { name, ns, address, as, agent };
    }),
  );
  return { lab, tor, hosts, torLinkLocal, hostLinkLocal };
}

/** Both hosts Established with the ToR at `fe80::…%eth1`; containers ping across; kernel routes via inet6. */
async function checkAcross(t: import('ava').ExecutionContext, f: Fabric): Promise<void> {
  await waitFor(
    'both hosts Established with the ToR over eth1 link-local',
    async () => {
      for (const [i, h] of f.hosts.entries()) {
        const peer = (await h.agent.status()).peers.find((p) => p.address === `${f.torLinkLocal[i]}%eth1`);
        if (peer?.state !== 'Established') return false;
      }
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
  const containers = await Promise.all(f.hosts.map((h, i) => addContainer(f.lab, h, `c${i + 1}`)));
  const failed = await reachability(containers, 30_000);
  if (failed.length)
    for (const ns of [f.tor, ...f.hosts.map((h) => h.ns)])
      t.log(ns.label, JSON.stringify(await ns.routes(4)), (await ns.ip('-6', 'neigh')).stdout);
  t.deepEqual(failed, []);
  // each host reaches the other's block through the ToR's link-local address on eth1, learned by BGP
  for (const [i, h] of f.hosts.entries()) {
    const other = containers[1 - i]!;
    const block = `${other.address.split('.').slice(0, 3).join('.')}.${Number(other.address.split('.')[3]) & ~63}/26`;
    const r = (await h.ns.routes(4)).find((x) => x.dst === block) as
      | { dst: string; protocol: string; dev?: string; gateway?: string; via?: { family: string; host: string } }
      | undefined;
    t.truthy(r, `${h.name} has a route for ${block}`);
    t.is(r?.protocol, 'bgp');
    t.is(r?.dev, 'eth1');
    t.deepEqual(r?.via, { family: 'inet6', host: f.torLinkLocal[i] }, `${h.name}: ${JSON.stringify(r)}`);
  }
}

test('unnumbered at FRR (neighbor IF interface remote-as external): link-local sessions found by RA/ND, IPv4 via inet6 fe80:: in the kernel, containers reach each other (IPv6 too)', async (t) => {
  const lab = await labFor(t);
  let frr: Frr | undefined;
  const f = await unnumberedFabric(
    lab,
    async (tor) => {
      frr = await Frr.start(lab, tor, {
        routerId: '10.255.0.100',
        as: 65000,
        peers: [],
        extraConfig: [
          'router bgp 65000',
          ...[1, 2].flatMap((i) => [
            ` neighbor to-h${i} interface remote-as external`,
            ` neighbor to-h${i} timers 3 9`,
            ` neighbor to-h${i} timers connect 1`,
          ]),
          ' address-family ipv6 unicast',
          '  neighbor to-h1 activate',
          '  neighbor to-h2 activate',
          ' exit-address-family',
        ].join('\n'),
      });
    },
    (i) => ({ node: `h${i}`, interface: 'eth1', asNumber: 65000 }),
  );
  await checkAcross(t, f);
  // FRR holds each host's block with the host's link-local next hop (RFC 8950 from us)
  const rib = JSON.parse(await frr!.vtysh('show bgp ipv4 unicast json')) as {
    routes: Record<string, { nexthops: { ip: string; afi: string }[] }[]>;
  };
  const hops = Object.values(rib.routes).flatMap((paths) => paths.flatMap((p) => p.nexthops.map((n) => n.ip)));
  for (const ll of f.hostLinkLocal) t.true(hops.includes(ll), `FRR has a route via ${ll}: ${JSON.stringify(hops)}`);
  // IPv6 blocks ride the same session: installed via the ToR's link-local address on eth1, pinged across
  const [a, b] = await Promise.all(f.hosts.map((h, i) => addContainer(lab, h, `v6c${i + 1}`, { ipv6: true })));
  const v6 = (c: typeof a) => c.endpoint.addresses.find((x) => x.includes(':'))!.split('/')[0]!;
  await waitFor(`${v6(a)} ↔ ${v6(b)}`, async () => (await a.ns.ping(v6(b))) && (await b.ns.ping(v6(a))), {
    timeoutMs: 30_000,
    intervalMs: 300,
  });
  const r6 = (await f.hosts[0]!.ns.routes(6)).find((r) => r.protocol === 'bgp') as
    | { dst: string; gateway?: string; dev?: string }
    | undefined;
  t.like(r6, { gateway: f.torLinkLocal[0], dev: 'eth1' }, JSON.stringify(r6));
});

test('unnumbered at BIRD (neighbor fe80::…%IF, extended next hop on): peerIP fe80::…%eth1 given explicitly, IPv4 via inet6 fe80:: both ways, containers reach each other', async (t) => {
  const lab = await labFor(t);
  let bird: Bird | undefined;
  const f = await unnumberedFabric(
    lab,
    async (tor, hostLinkLocal) => {
      const conf = [
        `log "${lab.logDir}/bird-tor.log" all;`,
        'router id 10.255.0.100;',
        'protocol device { scan time 1; }',
        'protocol kernel kern4 { ipv4 { import none; export where source = RTS_BGP; }; merge paths on; }',
        'protocol kernel kern6 { ipv6 { import none; export where source = RTS_BGP; }; merge paths on; }',
        ...[1, 2].flatMap((i) => [
          `protocol bgp h${i} {`,
          '  local as 65000;',
          `  neighbor ${hostLinkLocal[i - 1]} % 'to-h${i}' as ${65000 + i};`,
          '  hold time 9; keepalive time 3; connect retry time 2; connect delay time 1; error wait time 1, 5;',
          '  ipv4 { import all; export all; extended next hop on; };',
          '  ipv6 { import all; export all; };',
          '}',
        ]),
      ].join('\n');
      bird = await Bird.startWithConfig(lab, tor, { routerId: '10.255.0.100', as: 65000, peers: [] }, `${conf}\n`);
    },
    (i, torLinkLocal) => ({ node: `h${i}`, peerIP: `${torLinkLocal}%eth1`, asNumber: 65000 }),
  );
  await checkAcross(t, f);
  // BIRD installed each host's block into its kernel via the host's link-local address (RFC 8950 from us)
  const torRoutes = (await f.tor.routes(4)) as { dst: string; dev?: string; via?: { host: string } }[];
  for (const [i, ll] of f.hostLinkLocal.entries())
    t.true(
      torRoutes.some((r) => r.via?.host === ll && r.dev === `to-h${i + 1}`),
      `BIRD's kernel has a route via inet6 ${ll} dev to-h${i + 1}: ${JSON.stringify(torRoutes)}`,
    );
  t.truthy(bird);
});
