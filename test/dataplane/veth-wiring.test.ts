// VethWiring against real namespaces of the test's own: both sides configured over netlink with no
// process spawned, the container reachable over IPv4 and IPv6 at once, check() naming what is
// broken, removal idempotent, and links without the tsr prefix never touched.
import { ChildProcess } from 'node:child_process';
import test from 'ava';
import { VethWiring } from '../../src/dataplane/index.js';
import type { Lab, Netns } from '../../src/lab/index.js';
import { labFor } from '../helpers/lab.js';

/** A host namespace with addresses to send from (the agent's host has its own). */
async function hostNs(lab: Lab): Promise<Netns> {
  const host = await lab.namespace('host', { forwarding: true });
  await host.ip('addr', 'add', '10.0.0.2/32', 'dev', 'lo');
  await host.ip('addr', 'add', 'fd00:99::2/128', 'dev', 'lo');
  return host;
}

const spec = (c: Netns, addresses: string[]) => ({
  hostIfName: 'tsr0123456789a',
  ifName: 'eth0',
  mac: '02:00:00:00:00:07',
  netnsPath: c.path,
  addresses,
});

test.serial('an endpoint wired over netlink, with no process, answers at once over IPv4 and IPv6', async (t) => {
  const lab = await labFor(t);
  const host = await hostNs(lab);
  const c = await lab.namespace('c1');
  const veths = new VethWiring({ hostNetnsPath: host.path });
  t.teardown(() => veths.close());

  // every child process of Node goes through ChildProcess.prototype.spawn (not in the typings);
  // the test is serial so that no other test of this file spawns anything meanwhile
  const proto = ChildProcess.prototype as unknown as { spawn: (...args: unknown[]) => unknown };
  const spawn = proto.spawn;
  let spawned = 0;
  proto.spawn = function (this: unknown, ...args: unknown[]) {
    spawned++;
    return spawn.apply(this, args);
  };
  let wired: { hostIfindex: number; containerIfindex: number };
  try {
    wired = await veths.add(spec(c, ['10.65.3.7', 'fd00:65::7']));
  } finally {
    proto.spawn = spawn;
  }
  t.is(spawned, 0, 'no process per endpoint');

  t.true(await host.ping('10.65.3.7'));
  t.true(await host.ping('fd00:65::7'));
  t.true(await c.ping('10.0.0.2'));

  const [eth0] = JSON.parse((await c.ip('-j', 'addr', 'show', 'dev', 'eth0')).stdout) as {
    ifindex: number;
    address: string;
    operstate: string;
    addr_info: { local: string; prefixlen: number }[];
  }[];
  t.is(eth0?.ifindex, wired.containerIfindex);
  t.is(eth0?.address, '02:00:00:00:00:07');
  t.deepEqual(
    eth0?.addr_info.filter((a) => !a.local.startsWith('fe80')).map((a) => `${a.local}/${a.prefixlen}`),
    ['10.65.3.7/32', 'fd00:65::7/128'],
  );
  const routes = [...(await c.routes(4)), ...(await c.routes(6))].map((r) => `${r.dst} ${r.gateway ?? ''}`.trim());
  t.true(routes.includes('default 169.254.1.1'));
  t.true(routes.includes('169.254.1.1'));
  t.true(routes.includes('default fe80::ecee:eeff:feee:eeee'));
  const neigh = (await c.ip('neigh', 'show', 'nud', 'permanent')).stdout;
  t.regex(neigh, /169\.254\.1\.1 dev eth0 lladdr ee:ee:ee:ee:ee:ee PERMANENT/);
  t.regex(neigh, /fe80::ecee:eeff:feee:eeee dev eth0 lladdr ee:ee:ee:ee:ee:ee PERMANENT/);

  t.like(await host.route('10.65.3.7/32'), { dev: 'tsr0123456789a', protocol: '80', scope: 'link' });
  t.like(await host.route('fd00:65::7/128'), { dev: 'tsr0123456789a', protocol: '80' });
  const sysctls = await host.exec([
    'sysctl',
    '-n',
    'net.ipv4.conf.tsr0123456789a.proxy_arp',
    'net.ipv4.neigh.tsr0123456789a.proxy_delay',
    'net.ipv4.conf.tsr0123456789a.forwarding',
    'net.ipv6.conf.tsr0123456789a.proxy_ndp',
  ]);
  t.deepEqual(sysctls.stdout.trim().split('\n'), ['1', '0', '1', '1']);
  t.deepEqual(await veths.check(spec(c, ['10.65.3.7', 'fd00:65::7'])), []);

  t.true(await veths.remove('tsr0123456789a'));
  t.false(await veths.remove('tsr0123456789a'));
  t.is(await host.route('10.65.3.7/32'), undefined);
  t.deepEqual(await veths.check(spec(c, ['10.65.3.7'])), ['host interface tsr0123456789a is missing']);
});

test('check names each missing piece', async (t) => {
  const lab = await labFor(t);
  const host = await hostNs(lab);
  const c = await lab.namespace('c1');
  const veths = new VethWiring({ hostNetnsPath: host.path });
  t.teardown(() => veths.close());
  await veths.add(spec(c, ['10.65.3.7', '10.65.3.8']));
  await c.ip('addr', 'del', '10.65.3.8/32', 'dev', 'eth0');
  await host.ip('route', 'del', '10.65.3.7/32');
  t.deepEqual(await veths.check(spec(c, ['10.65.3.7', '10.65.3.8'])), [
    'route 10.65.3.7/32 dev tsr0123456789a is missing',
    `10.65.3.8 is missing on eth0 in ${c.path}`,
  ]);
});

test('a taken name fails and leaves the link that has it; names without the tsr prefix are refused', async (t) => {
  const lab = await labFor(t);
  const host = await hostNs(lab);
  const c = await lab.namespace('c1');
  const other = await lab.namespace('c2');
  const veths = new VethWiring({ hostNetnsPath: host.path });
  t.teardown(() => veths.close());
  await veths.add(spec(c, ['10.65.3.7']));
  await t.throwsAsync(veths.add(spec(other, ['10.65.3.9'])), { message: /creating veth tsr0123456789a.*EEXIST/ });
  t.true(await host.ping('10.65.3.7'));

  await host.ip('link', 'add', 'eth9', 'type', 'veth', 'peer', 'name', 'eth10');
  await t.throwsAsync(veths.add({ ...spec(c, ['10.65.3.8']), hostIfName: 'eth9' }), {
    message: /must start with "tsr"/,
  });
  await t.throwsAsync(veths.remove('eth9'), { message: /must start with "tsr"/ });
  t.regex((await host.ip('link', 'show', 'eth9')).stdout, /eth9/);
});

test('without a namespace the peer stays with the host side, unconfigured, for the runtime to move', async (t) => {
  const lab = await labFor(t);
  const host = await hostNs(lab);
  const veths = new VethWiring({ hostNetnsPath: host.path });
  t.teardown(() => veths.close());
  const { containerIfindex } = await veths.add({
    hostIfName: 'tsrabcdefabcde',
    ifName: 'tmp0a1b2c',
    mac: '02:00:00:00:00:09',
    netnsPath: '',
    addresses: ['10.65.3.9'],
    mtu: 1400,
  });
  const [peer] = JSON.parse((await host.ip('-j', 'link', 'show', 'tmp0a1b2c')).stdout) as {
    ifindex: number;
    address: string;
    mtu: number;
  }[];
  t.like(peer, { ifindex: containerIfindex, address: '02:00:00:00:00:09', mtu: 1400 });
  t.like(await host.route('10.65.3.9/32'), { dev: 'tsrabcdefabcde', protocol: '80' });
});

test('removals asked together are deleted together: each is told whether its link existed, and other links stay', async (t) => {
  const lab = await labFor(t);
  const host = await hostNs(lab);
  const veths = new VethWiring({ hostNetnsPath: host.path });
  t.teardown(() => veths.close());
  const names = Array.from({ length: 12 }, (_, i) => `tsrbatch${String(i).padStart(2, '0')}`);
  const containers = await Promise.all(names.map((_, i) => lab.namespace(`b${i}`)));
  await Promise.all(
    names.map((hostIfName, i) =>
      veths.add({
        hostIfName,
        ifName: 'eth0',
        mac: '02:00:00:00:01:01',
        netnsPath: containers[i]!.path,
        addresses: [`10.66.0.${i + 1}`],
      }),
    ),
  );
  // a link of ours that is not removed, and one of someone else's
  await veths.add({
    hostIfName: 'tsrkeep0000000',
    ifName: 'eth0',
    mac: '02:00:00:00:01:02',
    netnsPath: (await lab.namespace('keep')).path,
    addresses: ['10.66.1.1'],
  });
  await host.ip('link', 'add', 'other0', 'type', 'veth', 'peer', 'name', 'other1');
  const removed = await Promise.all([...names, 'tsrnotthere000'].map((n) => veths.remove(n)));
  t.deepEqual(removed, [...names.map(() => true), false]);
  const links = (JSON.parse((await host.ip('-j', 'link', 'show')).stdout) as { ifname: string }[]).map((l) => l.ifname);
  t.deepEqual(
    links.filter((l) => l.startsWith('tsrbatch')),
    [],
    'every removed host side is gone',
  );
  t.true(links.includes('tsrkeep0000000') && links.includes('other0'), links.join(' '));
  t.deepEqual(
    await veths.check({
      hostIfName: 'tsrkeep0000000',
      ifName: 'eth0',
      mac: '02:00:00:00:01:02',
      netnsPath: '',
      addresses: ['10.66.1.1'],
    }),
    [],
  );
  for (const [i] of names.entries()) t.is(await host.route(`10.66.0.${i + 1}/32`), undefined);
  // the container sides went with them
  t.deepEqual(JSON.parse((await containers[0]!.ip('-j', 'link', 'show', 'type', 'veth')).stdout), []);
});
