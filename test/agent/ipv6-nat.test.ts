// Dual stack and nat-outgoing: containers get an IPv4 and an IPv6 address and reach each other over
// both across hosts (IPv6 blocks over IPv6 sessions); a pool with natOutgoing reaches a network
// outside all pools, which has no route back to the pool, through the host's address, for IPv4
// (`ip tsroute_nat`) and IPv6 (`ip6 tsroute_nat`) pools alike.
import test from 'ava';
import { startCapture } from '../../src/lab/capture.js';
import { run, waitFor } from '../../src/lab/index.js';
import { addContainer, allSessionsUp, meshCluster, poolYaml } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('dual stack: IPv6 blocks announced over IPv6 sessions, containers reach each other over IPv6', async (t) => {
  const lab = await labFor(t);
  const { hosts } = await meshCluster(lab, { count: 2, ipv6: true });
  await allSessionsUp(hosts, 2);
  const [c1, c2] = await Promise.all(hosts.map((h, i) => addContainer(lab, h, `c${i + 1}`, { ipv6: true })));
  const v6 = (c: typeof c1) => c!.endpoint.addresses.find((a) => a.includes(':'))!.split('/')[0]!;
  t.regex(v6(c1), /^fd00:65:/);
  t.is(c1!.endpoint.gatewayIpv6, 'fe80::ecee:eeff:feee:eeee');
  await waitFor('h2 to learn h1 IPv6 block', async () =>
    (await hosts[1]!.ns.routes(6)).some((r) => r.protocol === 'bgp' && r.dst.startsWith('fd00:65:')),
  );
  const route = (await hosts[1]!.ns.routes(6)).find((r) => r.protocol === 'bgp');
  t.is(route?.gateway, 'fd00::1');
  await waitFor('c1 → c2 over IPv6', () => c1!.ns.ping(v6(c2)), { timeoutMs: 10_000, intervalMs: 200 });
  await waitFor('c2 → c1 over IPv6', () => c2!.ns.ping(v6(c1)), { timeoutMs: 10_000, intervalMs: 200 });
  t.pass();
});

test('nat-outgoing: a pool with natOutgoing reaches an outside network through the host address', async (t) => {
  const lab = await labFor(t);
  const { hosts } = await meshCluster(lab, {
    count: 1,
    pool: '10.66.0.0/16',
    extraManifests: poolYaml('natted', '10.67.0.0/16', 26, '  natOutgoing: true\n'),
  });
  const h1 = hosts[0]!;
  // "outside": a network no pool covers, reachable only from h1, with no route back to any pool
  const outside = await lab.namespace('outside');
  await lab.link(h1.ns, '192.0.2.1/24', outside, '192.0.2.2/24', { aIf: 'out', bIf: 'eth0' });
  const plain = await lab.namespace('plain');
  const natted = await lab.namespace('natted');
  await h1.agent.client.addEndpoint({ containerId: 'plain', netns: plain.path, pools: ['pool4'] });
  await h1.agent.client.addEndpoint({ containerId: 'natted', netns: natted.path, pools: ['natted'] });
  // nftables merges adjacent pool prefixes in the set (10.66/16 + 10.67/16 = 10.66.0.0/15)
  // nftables merges adjacent pool prefixes in the set (10.66/16 + 10.67/16 = 10.66.0.0/15).
  // (/usr/sbin/nft by path: under npm, node_modules/.bin has an unrelated `nft` first on PATH.)
  const rule = await waitFor('the masquerade rule', async () => {
    const r = await run([
      'ip',
      'netns',
      'exec',
      h1.ns.name,
      '/usr/sbin/nft',
      'list',
      'table',
      'ip',
      'tsroute_nat',
    ]).catch(() => undefined);
    return /ip saddr 10\.67\.0\.0\/16 ip daddr != \{ [^}]+ \} masquerade/.exec(r?.stdout ?? '')?.[0];
  });
  t.regex(rule, /10\.66\.0\.0\/15/);
  t.true(await natted.ping('192.0.2.2', { count: 2, timeoutS: 1 }), 'the natted pool reaches outside');
  t.false(await plain.ping('192.0.2.2', { count: 1, timeoutS: 1 }), 'the plain pool has no way back');
});

test('IPv6 nat-outgoing: a v6 pool with natOutgoing gets an ip6 masquerade rule and reaches outside', async (t) => {
  const lab = await labFor(t);
  const { hosts } = await meshCluster(lab, {
    count: 1,
    ipv6: true,
    extraManifests: poolYaml('natted6', 'fd00:67::/64', 122, '  natOutgoing: true\n'),
  });
  const h1 = hosts[0]!;
  // "outside": an IPv6 network no pool covers, reachable only from h1, with no route back to any pool
  const outside = await lab.namespace('outside6');
  await lab.link(h1.ns, 'fd99::1/64', outside, 'fd99::2/64', { aIf: 'out6', bIf: 'eth0' });
  const plain = await lab.namespace('plain6');
  const natted = await lab.namespace('natted6');
  const v6 = async (id: string, netns: string, pool: string) => {
    const e = await h1.agent.client.addEndpoint({ containerId: id, netns, ipv4Count: 0, ipv6Count: 1, pools: [pool] });
    return e.addresses.find((a) => a.includes(':'))!;
  };
  t.regex(await v6('plain6', plain.path, 'pool6'), /^fd00:65:/);
  t.regex(await v6('natted6', natted.path, 'natted6'), /^fd00:67:/);
  const rule = await waitFor('the ip6 masquerade rule', async () => {
    const r = await run([
      'ip',
      'netns',
      'exec',
      h1.ns.name,
      '/usr/sbin/nft',
      'list',
      'table',
      'ip6',
      'tsroute_nat',
    ]).catch(() => undefined);
    return /ip6 saddr fd00:67::\/64 ip6 daddr != \{ [^}]+ \} masquerade/.exec(r?.stdout ?? '')?.[0];
  });
  t.log(rule);
  t.regex(rule, /fd00:65::\/64/, 'traffic to other pools is not masqueraded');
  // what reaches outside: tcpdump there, pinging until its capture holds an echo request
  const capture = await startCapture(lab, outside, 'eth0', 'icmp6');
  const seen = await waitFor(
    'an echo request from the natted container, captured outside',
    async () => {
      await natted.ping('fd99::2', { count: 1, timeoutS: 1 });
      const out = (await run(['tcpdump', '-n', '-r', capture.file])).stdout;
      return /echo request/.test(out) ? out : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200 },
  );
  await capture.stop();
  t.log(seen.split('\n').find((l) => l.includes('echo request')));
  t.true(await natted.ping('fd99::2', { count: 2, timeoutS: 1 }), 'the natted v6 pool reaches outside');
  t.regex(seen, /IP6 fd99::1 > fd99::2: ICMP6, echo request/, 'outside sees the host address as source');
  t.notRegex(seen, /fd00:67:/, 'the pool address never leaves the host');
  t.false(await plain.ping('fd99::2', { count: 2, timeoutS: 1 }), 'the plain v6 pool has no way back');
  // the IPv4 table holds no rule for an IPv6 pool
  const v4 = await run([
    'ip',
    'netns',
    'exec',
    h1.ns.name,
    '/usr/sbin/nft',
    'list',
    'table',
    'ip',
    'tsroute_nat',
  ]).catch(() => undefined);
  t.notRegex(v4?.stdout ?? '', /masquerade/);
});
