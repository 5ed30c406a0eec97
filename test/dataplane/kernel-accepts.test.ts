// The encoder's bytes sent to a real kernel (a namespace of this test's own) and read back with
// `ip -j route`: the kernel installs what we meant, reports errors per message without NLM_F_ACK,
// and a delete by protocol never removes another owner's route. Also: the socket created through
// setns really belongs to the namespace, and inNetns always comes back.
import { readlinkSync, statSync } from 'node:fs';
import test from 'ava';
import { addressBytes, gatewayOf, parsePrefix } from '../../src/dataplane/ip-bytes.js';
import { readRoutes } from '../../src/dataplane/kernel-routes.js';
import { decodeLink, writeLinkDump } from '../../src/dataplane/link-codec.js';
import { MessageWriter } from '../../src/dataplane/message-writer.js';
import { NetlinkChannel } from '../../src/dataplane/netlink-channel.js';
import { inNetns } from '../../src/dataplane/netns.js';
import { writeDelRoute, writeNewRoute } from '../../src/dataplane/route-codec.js';
import type { Lab, Netns } from '../../src/lab/index.js';
import { labFor } from '../helpers/lab.js';

/** A namespace with an uplink on which 10.0.0.1 and 10.0.0.3 (and fd00:99::1) are reachable. */
async function routed(lab: Lab): Promise<Netns> {
  const ns = await lab.namespace('host');
  const peer = await lab.namespace('peer');
  await lab.link(ns, ['10.0.0.2/24', 'fd00:99::2/64'], peer, ['10.0.0.1/24', '10.0.0.3/24', 'fd00:99::1/64'], {
    aIf: 'uplink',
    bIf: 'gw',
  });
  return ns;
}

test('routes written by the encoder are the routes ip shows', async (t) => {
  const lab = await labFor(t);
  const ns = await routed(lab);
  const channel = NetlinkChannel.open(ns.path);
  t.teardown(() => channel.close());
  const w = new MessageWriter();
  const s = () => channel.nextSeq();
  writeNewRoute(w, s(), 'create', {
    dst: parsePrefix('10.70.0.0/24'),
    protocol: 186,
    type: 'unicast',
    gateways: [addressBytes('10.0.0.1')],
  });
  writeNewRoute(w, s(), 'create', {
    dst: parsePrefix('10.71.0.7/32'),
    protocol: 186,
    type: 'unicast',
    gateways: ['10.0.0.1', '10.0.0.3'].map(addressBytes),
  });
  writeNewRoute(w, s(), 'create', { dst: parsePrefix('10.65.3.0/26'), protocol: 81, type: 'blackhole' });
  writeNewRoute(w, s(), 'create', { dst: parsePrefix('fd00:65::/64'), protocol: 81, type: 'blackhole' });
  writeNewRoute(w, s(), 'create', {
    dst: parsePrefix('fd00:70::/48'),
    protocol: 186,
    type: 'unicast',
    gateways: [addressBytes('fd00:99::1')],
  });
  const { errors } = await channel.transact(w);
  t.deepEqual([...errors], []);

  const v4 = await ns.routes(4);
  t.like(
    v4.find((r) => r.dst === '10.70.0.0/24'),
    { gateway: '10.0.0.1', dev: 'uplink', protocol: 'bgp' },
  );
  const ecmp = v4.find((r) => r.dst === '10.71.0.7');
  t.is(ecmp?.protocol, 'bgp');
  t.deepEqual(ecmp?.nexthops?.map((n) => n.gateway).sort(), ['10.0.0.1', '10.0.0.3']);
  t.like(
    v4.find((r) => r.dst === '10.65.3.0/26'),
    { type: 'blackhole', protocol: '81' },
  );
  const v6 = await ns.routes(6);
  t.like(
    v6.find((r) => r.dst === 'fd00:65::/64'),
    { type: 'blackhole', protocol: '81' },
  );
  t.like(
    v6.find((r) => r.dst === 'fd00:70::/48'),
    { gateway: 'fd00:99::1', protocol: 'bgp' },
  );

  // and our own dump decodes them the same way
  const ours = await readRoutes(channel, new Set([81, 186]));
  t.deepEqual(ours.map((r) => `${r.prefix} ${r.type} ${[...r.nextHops].sort()}`).sort(), [
    '10.65.3.0/26 blackhole ',
    '10.70.0.0/24 unicast 10.0.0.1',
    '10.71.0.7/32 unicast 10.0.0.1,10.0.0.3',
    'fd00:65::/64 blackhole ',
    'fd00:70::/48 unicast fd00:99::1',
  ]);
});

test('errors come back per message without NLM_F_ACK; create never overwrites; delete needs our protocol', async (t) => {
  const lab = await labFor(t);
  const ns = await routed(lab);
  await ns.ip('route', 'add', '10.80.0.0/24', 'via', '10.0.0.1', 'proto', 'static');
  const channel = NetlinkChannel.open(ns.path);
  t.teardown(() => channel.close());
  const w = new MessageWriter();
  const unreachable = channel.nextSeq();
  writeNewRoute(w, unreachable, 'create', {
    dst: parsePrefix('10.72.0.0/24'),
    protocol: 186,
    type: 'unicast',
    gateways: [addressBytes('10.9.9.9')],
  });
  const foreign = channel.nextSeq();
  writeNewRoute(w, foreign, 'create', {
    dst: parsePrefix('10.80.0.0/24'),
    protocol: 186,
    type: 'unicast',
    gateways: [addressBytes('10.0.0.3')],
  });
  const notOurs = channel.nextSeq();
  writeDelRoute(w, notOurs, parsePrefix('10.80.0.0/24'), 186, 'unicast');
  const fine = channel.nextSeq();
  writeNewRoute(w, fine, 'create', {
    dst: parsePrefix('10.73.0.0/24'),
    protocol: 186,
    type: 'unicast',
    gateways: [addressBytes('10.0.0.1')],
  });
  const { errors } = await channel.transact(w);
  t.deepEqual(
    [...errors].sort((a, b) => a[0] - b[0]),
    [
      [unreachable, 101], // ENETUNREACH
      [foreign, 17], // EEXIST
      [notOurs, 3], // ESRCH
    ],
  );
  const v4 = await ns.routes(4);
  t.like(
    v4.find((r) => r.dst === '10.80.0.0/24'),
    { gateway: '10.0.0.1', protocol: 'static' },
  );
  t.truthy(v4.find((r) => r.dst === '10.73.0.0/24'));
});

test('a socket made inside a namespace sees that namespace; inNetns always returns to ours', async (t) => {
  const lab = await labFor(t);
  const ns = await routed(lab);
  const own = readlinkSync('/proc/thread-self/ns/net');
  const channel = NetlinkChannel.open(ns.path);
  t.teardown(() => channel.close());
  t.is(readlinkSync('/proc/thread-self/ns/net'), own);
  const names: string[] = [];
  const w = new MessageWriter();
  writeLinkDump(w, channel.nextSeq());
  await channel.dump(w, (m) => {
    const l = decodeLink(m);
    if (l) names.push(l.name);
  });
  t.deepEqual(names.sort(), ['lo', 'uplink']);

  t.throws(
    () =>
      inNetns(ns.path, () => {
        throw new Error('inside');
      }),
    { message: 'inside' },
  );
  t.is(readlinkSync('/proc/thread-self/ns/net'), own);
  t.throws(() => inNetns(ns.path, () => Promise.resolve(1)), { message: /synchronous/ });
  t.is(readlinkSync('/proc/thread-self/ns/net'), own);
  t.throws(() => inNetns(ns.path, () => inNetns(ns.path, () => 1)), { message: /nest/ });
  t.is(readlinkSync('/proc/thread-self/ns/net'), own);
  const theirs = `net:[${statSync(ns.path).ino}]`;
  t.not(theirs, own);
  t.is(
    inNetns(ns.path, () => readlinkSync('/proc/thread-self/ns/net')),
    theirs,
  );
  t.throws(() => inNetns('/nonexistent/netns', () => 1), { code: 'ENOENT' });
  t.is(readlinkSync('/proc/thread-self/ns/net'), own);
});

test('IPv4 routes via link-local IPv6 gateways (RFC 8950): one out of its link, ECMP across two links; read back as fe80::…%index', async (t) => {
  const lab = await labFor(t);
  const ns = await lab.namespace('host');
  const [a, b] = [await lab.namespace('up1'), await lab.namespace('up2')];
  await lab.link(ns, [], a, [], { aIf: 'eth1', bIf: 'to-host' });
  await lab.link(ns, [], b, [], { aIf: 'eth2', bIf: 'to-host' });
  const channel = NetlinkChannel.open(ns.path);
  t.teardown(() => channel.close());
  const index = async (ifname: string) =>
    (JSON.parse((await ns.ip('-j', 'link', 'show', ifname)).stdout) as { ifindex: number }[])[0]!.ifindex;
  const [i1, i2] = [await index('eth1'), await index('eth2')];
  const w = new MessageWriter();
  writeNewRoute(w, channel.nextSeq(), 'create', {
    dst: parsePrefix('10.72.0.0/26'),
    protocol: 186,
    type: 'unicast',
    gateways: [gatewayOf(`fe80::1%${i1}`)],
  });
  writeNewRoute(w, channel.nextSeq(), 'create', {
    dst: parsePrefix('10.73.0.0/26'),
    protocol: 186,
    type: 'unicast',
    gateways: [`fe80::1%${i1}`, `fe80::2%${i2}`].map(gatewayOf),
  });
  const { errors } = await channel.transact(w);
  t.deepEqual([...errors], []);
  const v4 = (await ns.routes(4)) as {
    dst: string;
    dev?: string;
    via?: { family: string; host: string };
    nexthops?: { dev: string; via?: { host: string } }[];
  }[];
  t.like(
    v4.find((r) => r.dst === '10.72.0.0/26'),
    { dev: 'eth1', via: { family: 'inet6', host: 'fe80::1' } },
  );
  t.deepEqual(
    v4
      .find((r) => r.dst === '10.73.0.0/26')
      ?.nexthops?.map((n) => `${n.via?.host} ${n.dev}`)
      .sort(),
    ['fe80::1 eth1', 'fe80::2 eth2'],
  );
  // what the reconciler reads back names each gateway's link, so the diff finds nothing to do
  const ours = await readRoutes(channel, new Set([186]));
  t.deepEqual(ours.find((r) => r.prefix === '10.72.0.0/26')?.nextHops, [`fe80::1%${i1}`]);
  t.deepEqual(ours.find((r) => r.prefix === '10.73.0.0/26')?.nextHops.sort(), [`fe80::1%${i1}`, `fe80::2%${i2}`]);
});
