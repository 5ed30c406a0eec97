import test from 'ava';
import { compilePolicy } from '../../bgp/policy/evaluate.js';
import { desiredAnnouncements, installableNextHops } from '../../src/agent/announcements.js';
import { poolImportPolicy } from '../../src/agent/bgp-controller.js';
import { aggregate, cidrOf } from '../../src/agent/prefixes.js';
import { formatCidr } from '../../src/model/index.js';

const pools = [
  { name: 'v4', cidr: '10.65.0.0/16' },
  { name: 'v6', cidr: 'fd00:65::/64' },
  { name: 'quiet', cidr: '10.66.0.0/16', disableBGPExport: true },
  { name: 'off', cidr: '10.67.0.0/16', disabled: true },
];
const none = { borrowed: [], extraPaths: [], advertisements: [] };

test('sibling blocks aggregate, never past their pool', (t) => {
  const a = desiredAnnouncements({
    pools,
    ownBlocks: ['10.65.0.0/26', '10.65.0.64/26', '10.65.0.128/26', '10.65.1.0/26', 'fd00:65::/122', 'fd00:65::40/122'],
    ...none,
  });
  t.deepEqual([...a.keys()], ['10.65.0.0/25', '10.65.0.128/26', '10.65.1.0/26', 'fd00:65::/121']);
  const whole = aggregate(
    ['10.0.0.0/17', '10.0.128.0/17'].map((x) => cidrOf(x)!),
    [cidrOf('10.0.0.0/16')!],
  );
  t.deepEqual(whole.map(formatCidr), ['10.0.0.0/16']);
  const capped = aggregate(
    ['10.0.0.0/17', '10.0.128.0/17'].map((x) => cidrOf(x)!),
    [cidrOf('10.0.0.0/17')!, cidrOf('10.0.128.0/17')!],
  );
  t.deepEqual(capped.map(formatCidr), ['10.0.0.0/17', '10.0.128.0/17']);
});

test('nothing from pools with disableBGPExport; a disabled pool still announces the blocks in use', (t) => {
  const a = desiredAnnouncements({
    pools,
    ownBlocks: ['10.66.0.0/26', '10.67.0.0/26'],
    ...none,
    borrowed: ['10.66.1.5', '10.67.1.5'],
  });
  t.deepEqual([...a.keys()], ['10.67.0.0/26', '10.67.1.5/32']);
});

test('borrowed addresses become host routes, with prefix-advertisement communities', (t) => {
  const a = desiredAnnouncements({
    pools,
    ownBlocks: ['10.65.0.0/26'],
    borrowed: ['10.65.9.7', '10.65.0.5', 'fd00:65::99'],
    extraPaths: [{ prefix: '10.65.200.1/32', communities: ['65000:1'] }],
    advertisements: [{ cidr: '10.65.0.0/16', communities: ['64512:100'] }],
  });
  t.deepEqual(
    [...a.values()].map((x) => [x.prefix, x.origin, x.communities.join(' ')]),
    [
      ['10.65.0.0/26', 'block', '64512:100'],
      ['10.65.9.7/32', 'borrowed', '64512:100'],
      ['fd00:65::99/128', 'borrowed', ''],
      ['10.65.200.1/32', 'api', '64512:100 65000:1'],
    ],
  );
});

test('cluster peers may only send pool addresses (poolImportPolicy, the import policy of cluster sessions)', (t) => {
  const policy = compilePolicy(poolImportPolicy(pools));
  const accepts = (prefix: string) =>
    policy.run({ origin: 0, asPath: [] }, { prefix, peerType: 'ibgp', rrClient: false, localAs: 64512 }).accept;
  t.true(accepts('10.65.3.0/26'));
  t.true(accepts('10.65.3.7/32'));
  t.true(accepts('fd00:65::99/128'));
  t.false(accepts('0.0.0.0/0'));
  t.false(accepts('10.0.0.0/8'));
  t.false(accepts('192.168.1.0/24'));
  t.false(accepts('fd00:66::/64'));
});

test('what we announce ourselves and self next hops never reach the kernel', (t) => {
  const announced = new Set(['10.65.0.0/26']);
  const self = new Set(['10.0.0.1']);
  t.is(installableNextHops('10.65.0.0/26', ['10.0.0.2'], announced, self), undefined, 'we announce it');
  t.deepEqual(installableNextHops('10.65.1.0/26', ['10.0.0.3', '10.0.0.2'], announced, self), ['10.0.0.2', '10.0.0.3']);
  t.deepEqual(installableNextHops('10.65.1.0/26', ['10.0.0.3', '10.0.0.1'], announced, self), ['10.0.0.3']);
  t.is(installableNextHops('10.65.2.0/26', ['10.0.0.1'], announced, self), undefined, 'only our own next hop');
});
