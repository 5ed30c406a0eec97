// RouteTable against a real kernel (namespaces of the test's own): blackholes and learned routes
// (ECMP, IPv6), incremental changes, foreign routes left alone, full syncs that restore what was
// deleted by hand, adoption after a restart, and retries of routes the kernel refused.
import test from 'ava';
import { RouteTable } from '../../src/dataplane/index.js';
import { type Lab, type Netns, waitFor } from '../../src/lab/index.js';
import { labFor } from '../helpers/lab.js';

async function routed(lab: Lab): Promise<Netns> {
  const ns = await lab.namespace('host');
  const peer = await lab.namespace('peer');
  await lab.link(ns, ['10.0.0.2/24', 'fd00:99::2/64'], peer, ['10.0.0.1/24', '10.0.0.3/24', 'fd00:99::1/64'], {
    aIf: 'uplink',
    bIf: 'gw',
  });
  return ns;
}

/** Our routes as "prefix proto type gateways", sorted: what the assertions compare. */
async function shown(ns: Netns): Promise<string[]> {
  const rows = [...(await ns.routes(4)), ...(await ns.routes(6))];
  return rows
    .filter((r) => r.protocol !== 'kernel')
    .map((r) => {
      const gws = r.nexthops ? r.nexthops.map((n) => n.gateway).sort() : r.gateway ? [r.gateway] : [];
      return `${r.dst} ${r.protocol} ${r.type ?? 'unicast'} ${gws.join(',')}`.trim();
    })
    .sort();
}

function open(ns: Netns, resyncIntervalMs = 60_000): RouteTable {
  return new RouteTable({ resyncIntervalMs, netnsPath: ns.path });
}

test('blackholes and learned routes follow the desired state; foreign routes stay as they are', async (t) => {
  const lab = await labFor(t);
  const ns = await routed(lab);
  await ns.ip('route', 'add', '10.80.0.0/24', 'via', '10.0.0.1', 'proto', 'static');
  await ns.ip('route', 'add', 'blackhole', '10.81.0.0/24', 'proto', '77');
  const table = open(ns);
  t.teardown(() => table.stop());
  t.deepEqual(await table.start(), { preserved: false });

  table.setBlackholes(['10.65.3.0/26', 'fd00:65::/64']);
  table.setLearned(
    [
      { prefix: '10.70.0.0/24', nextHops: ['10.0.0.1'] },
      { prefix: '10.71.0.0/24', nextHops: ['10.0.0.3', '10.0.0.1'] },
      { prefix: 'fd00:70:0::/48', nextHops: ['fd00:99:0::1'] },
      // held by a static route: ours is not installed, theirs is not replaced
      { prefix: '10.80.0.0/24', nextHops: ['10.0.0.3'] },
    ],
    true,
  );
  await table.flush();
  t.deepEqual(await shown(ns), [
    '10.65.3.0/26 81 blackhole',
    '10.70.0.0/24 bgp unicast 10.0.0.1',
    '10.71.0.0/24 bgp unicast 10.0.0.1,10.0.0.3',
    '10.80.0.0/24 static unicast 10.0.0.1',
    '10.81.0.0/24 77 blackhole',
    '169.254.1.1 80 unicast',
    'fd00:65::/64 81 blackhole',
    'fd00:70::/48 bgp unicast fd00:99::1',
  ]);
  t.is(table.ownedRouteCount(), 5);

  table.updateLearned(
    new Map([
      ['10.70.0.0/24', ['10.0.0.1', '10.0.0.3']],
      ['10.71.0.0/24', undefined],
      ['10.72.0.0/24', ['10.0.0.3']],
    ]),
  );
  table.setBlackholes(['fd00:65::/64']);
  await table.flush();
  t.deepEqual(await shown(ns), [
    '10.70.0.0/24 bgp unicast 10.0.0.1,10.0.0.3',
    '10.72.0.0/24 bgp unicast 10.0.0.3',
    '10.80.0.0/24 static unicast 10.0.0.1',
    '10.81.0.0/24 77 blackhole',
    '169.254.1.1 80 unicast',
    'fd00:65::/64 81 blackhole',
    'fd00:70::/48 bgp unicast fd00:99::1',
  ]);

  table.setLearned([], true);
  table.setBlackholes([]);
  await table.flush();
  t.deepEqual(await shown(ns), [
    '10.80.0.0/24 static unicast 10.0.0.1',
    '10.81.0.0/24 77 blackhole',
    '169.254.1.1 80 unicast',
  ]);
  t.is(table.ownedRouteCount(), 0);
});

test('a route of ours deleted or changed by hand is put back by the next full sync', async (t) => {
  const lab = await labFor(t);
  const ns = await routed(lab);
  const table = open(ns, 300);
  t.teardown(() => table.stop());
  await table.start();
  table.setBlackholes(['10.65.3.0/26']);
  table.setLearned([{ prefix: '10.70.0.0/24', nextHops: ['10.0.0.1'] }], true);
  await table.flush();
  await ns.ip('route', 'del', '10.70.0.0/24', 'proto', 'bgp');
  await ns.ip('route', 'replace', '10.65.3.0/26', 'via', '10.0.0.3', 'proto', '81');
  await waitFor(
    'our routes back',
    async () =>
      (await shown(ns)).join('|') ===
      ['10.65.3.0/26 81 blackhole', '10.70.0.0/24 bgp unicast 10.0.0.1', '169.254.1.1 80 unicast'].join('|'),
    { timeoutMs: 5000, intervalMs: 100 },
  );
  t.pass();
});

test('after a restart, learned routes already in the kernel are adopted and kept until BGP is complete', async (t) => {
  const lab = await labFor(t);
  const ns = await routed(lab);
  const first = open(ns);
  await first.start();
  first.setLearned(
    [
      { prefix: '10.70.0.0/24', nextHops: ['10.0.0.1'] },
      { prefix: '10.71.0.0/24', nextHops: ['10.0.0.1'] },
    ],
    true,
  );
  await first.flush();
  await first.stop(); // a crash: the kernel keeps everything

  const second = open(ns);
  t.teardown(() => second.stop());
  t.deepEqual(await second.start(), { preserved: true });
  t.is(second.ownedRouteCount(), 2);
  second.setBlackholes(['10.65.3.0/26']); // a pass runs; learned routes must survive it
  await second.flush();
  second.setLearned([{ prefix: '10.70.0.0/24', nextHops: ['10.0.0.3'] }], false);
  await second.flush();
  t.deepEqual(await shown(ns), [
    '10.65.3.0/26 81 blackhole',
    '10.70.0.0/24 bgp unicast 10.0.0.3',
    '10.71.0.0/24 bgp unicast 10.0.0.1',
    '169.254.1.1 80 unicast',
  ]);
  second.setLearned([{ prefix: '10.70.0.0/24', nextHops: ['10.0.0.3'] }], true);
  await second.flush();
  t.deepEqual(await shown(ns), [
    '10.65.3.0/26 81 blackhole',
    '10.70.0.0/24 bgp unicast 10.0.0.3',
    '169.254.1.1 80 unicast',
  ]);
});

test('a route the kernel refuses (next hop not reachable yet) is retried and lands once it can', async (t) => {
  const lab = await labFor(t);
  const ns = await routed(lab);
  const table = open(ns);
  t.teardown(() => table.stop());
  await table.start();
  table.setLearned(
    [
      { prefix: '10.70.0.0/24', nextHops: ['10.5.0.1'] },
      { prefix: '10.71.0.0/24', nextHops: ['10.0.0.1'] },
    ],
    true,
  );
  await table.flush();
  t.deepEqual(
    (await shown(ns)).filter((r) => r.includes('bgp')),
    ['10.71.0.0/24 bgp unicast 10.0.0.1'],
  );
  await ns.ip('addr', 'add', '10.5.0.2/24', 'dev', 'uplink');
  await waitFor('the refused route', async () => (await ns.route('10.70.0.0/24'))?.gateway === '10.5.0.1', {
    timeoutMs: 5000,
    intervalMs: 100,
  });
  t.is(table.ownedRouteCount(), 2);
});

test('a hundred thousand routes in and out, in batched datagrams', async (t) => {
  const lab = await labFor(t);
  const ns = await routed(lab);
  const table = open(ns);
  t.teardown(() => table.stop());
  await table.start();
  const routes = Array.from({ length: 100_000 }, (_, i) => ({
    prefix: `10.${128 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`,
    nextHops: i % 2 ? ['10.0.0.1'] : ['10.0.0.1', '10.0.0.3'],
  }));
  table.setLearned(routes, true);
  await table.flush();
  t.is(table.ownedRouteCount(), 100_000);
  const { stdout } = await ns.ip('route', 'show', 'proto', 'bgp');
  t.is(stdout.split('\n').filter((l) => /^\d/.test(l)).length, 100_000);
  table.setLearned([], true);
  await table.flush();
  t.is((await ns.ip('route', 'show', 'proto', 'bgp')).stdout.trim(), '');
});
