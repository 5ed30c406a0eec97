// The route encoder byte for byte against layouts worked out by hand from linux/netlink.h and
// linux/rtnetlink.h, and the decoder on what the encoder writes. That the kernel reads these bytes
// as meant is proven in kernel-accepts.test.ts.
import test from 'ava';
import {
  addressBytes,
  addressText,
  canonicalAddress,
  canonicalPrefix,
  gatewayOf,
  parsePrefix,
} from '../../src/dataplane/ip-bytes.js';
import { messages } from '../../src/dataplane/message-reader.js';
import { MessageWriter } from '../../src/dataplane/message-writer.js';
import { decodeRoute, writeDelRoute, writeNewRoute } from '../../src/dataplane/route-codec.js';

const hex = (b: Buffer) => b.toString('hex');
const gw = (...xs: string[]) => xs.map(addressBytes);

test('a learned route: nlmsghdr, rtmsg, RTA_DST, RTA_GATEWAY', (t) => {
  const w = new MessageWriter(64);
  writeNewRoute(w, 7, 'create', {
    dst: parsePrefix('10.1.2.0/24'),
    protocol: 186,
    type: 'unicast',
    gateways: gw('10.0.0.1'),
  });
  t.is(
    hex(w.take()),
    [
      '2c000000', // length 44
      '1800', // RTM_NEWROUTE
      '0106', // NLM_F_REQUEST | NLM_F_EXCL | NLM_F_CREATE
      '07000000', // seq
      '00000000', // port id
      '02180000', // AF_INET, dst_len 24, src_len 0, tos 0
      'feba0001', // table main, proto 186, scope universe, RTN_UNICAST
      '00000000', // rtm_flags
      '08000100', // RTA_DST, 8 bytes
      '0a010200',
      '08000500', // RTA_GATEWAY
      '0a000001',
    ].join(''),
  );
});

test('ECMP: RTA_MULTIPATH with one struct rtnexthop + RTA_GATEWAY per next hop', (t) => {
  const w = new MessageWriter(64);
  writeNewRoute(w, 8, 'replace', {
    dst: parsePrefix('10.1.3.0/24'),
    protocol: 186,
    type: 'unicast',
    gateways: gw('10.0.0.1', '10.0.0.3'),
  });
  t.is(
    hex(w.take()),
    [
      '48000000', // 16 + 12 + 8 + 36
      '1800',
      '0105', // NLM_F_REQUEST | NLM_F_REPLACE | NLM_F_CREATE
      '08000000',
      '00000000',
      '02180000',
      'feba0001',
      '00000000',
      '08000100',
      '0a010300',
      '24000900', // RTA_MULTIPATH, 36 bytes
      '10000000', // rtnh_len 16, flags 0, hops 0
      '00000000', // ifindex 0: the kernel resolves the gateway
      '08000500',
      '0a000001',
      '10000000',
      '00000000',
      '08000500',
      '0a000003',
    ].join(''),
  );
});

test('a blackhole and its delete: proto 81, RTN_BLACKHOLE; the delete matches any scope', (t) => {
  const w = new MessageWriter(64);
  writeNewRoute(w, 9, 'create', { dst: parsePrefix('10.65.3.0/26'), protocol: 81, type: 'blackhole' });
  writeDelRoute(w, 10, parsePrefix('10.65.3.0/26'), 81, 'blackhole');
  t.is(
    hex(w.take()),
    [
      '24000000',
      '1800',
      '0106',
      '09000000',
      '00000000',
      '021a0000',
      'fe510006', // table main, proto 81, scope universe, RTN_BLACKHOLE
      '00000000',
      '08000100',
      '0a410300',
      '24000000',
      '1900', // RTM_DELROUTE
      '0100', // NLM_F_REQUEST only: errors come back without NLM_F_ACK
      '0a000000',
      '00000000',
      '021a0000',
      'fe51ff06', // scope RT_SCOPE_NOWHERE: any
      '00000000',
      '08000100',
      '0a410300',
    ].join(''),
  );
});

test('IPv6: 16-byte RTA_DST; an IPv4 route through an IPv6 next hop uses RTA_VIA (RFC 8950)', (t) => {
  const w = new MessageWriter(64);
  writeNewRoute(w, 11, 'create', { dst: parsePrefix('fd00:1::/64'), protocol: 81, type: 'blackhole' });
  const [v6] = [...messages(w.take())];
  t.is(v6!.payload.length, 12 + 20);
  t.is(hex(v6!.payload.subarray(12)), `14000100${'fd000001000000000000000000000000'}`);

  writeNewRoute(w, 12, 'create', {
    dst: parsePrefix('10.9.0.0/16'),
    protocol: 186,
    type: 'unicast',
    gateways: gw('fe80::1'),
  });
  const [via] = [...messages(w.take())];
  // RTA_VIA (18): struct rtvia { family AF_INET6 (10), 16 address bytes }
  t.is(hex(via!.payload.subarray(20)), `16001200${'0a00'}fe800000000000000000000000000001${'0000'}`);
});

test('decodeRoute reads back what the encoder wrote, multipath included', (t) => {
  const w = new MessageWriter(256);
  writeNewRoute(w, 1, 'create', {
    dst: parsePrefix('10.1.3.0/24'),
    protocol: 186,
    type: 'unicast',
    gateways: gw('10.0.0.3', '10.0.0.1'),
  });
  writeNewRoute(w, 2, 'create', { dst: parsePrefix('fd00:1::/64'), protocol: 81, type: 'blackhole' });
  writeNewRoute(w, 3, 'create', {
    dst: parsePrefix('0.0.0.0/0'),
    protocol: 3,
    type: 'unicast',
    gateways: gw('169.254.1.1'),
    oif: 4,
  });
  const routes = [...messages(w.take())].map(decodeRoute);
  t.deepEqual(routes, [
    {
      prefix: '10.1.3.0/24',
      family: 'ipv4',
      protocol: 186,
      type: 'unicast',
      nextHops: ['10.0.0.3', '10.0.0.1'],
      oif: 0,
    },
    { prefix: 'fd00:1::/64', family: 'ipv6', protocol: 81, type: 'blackhole', nextHops: [], oif: 0 },
    { prefix: '0.0.0.0/0', family: 'ipv4', protocol: 3, type: 'unicast', nextHops: ['169.254.1.1'], oif: 4 },
  ]);
});

test('a message whose input is invalid is rolled back, the rest of the datagram stays', (t) => {
  const w = new MessageWriter(64);
  writeNewRoute(w, 1, 'create', { dst: parsePrefix('10.0.0.0/8'), protocol: 81, type: 'blackhole' });
  const before = w.length;
  w.begin(24, 1, 2).u32(0);
  w.rollback();
  t.is(w.length, before);
  t.is(w.messages, 1);
  t.deepEqual(w.seqRange, [1, 1]);
});

test('addresses and prefixes: text to bytes and back, canonical IPv6, bad input refused', (t) => {
  t.deepEqual([...addressBytes('192.0.2.255')], [192, 0, 2, 255]);
  t.is(addressText(addressBytes('fd00:0:0::0:7')), 'fd00::7');
  t.deepEqual(parsePrefix('10.65.3.7'), { family: 'ipv4', bytes: Uint8Array.of(10, 65, 3, 7), length: 32 });
  t.is(parsePrefix('fd00::/48').length, 48);
  t.is(canonicalPrefix('fd00:0::/64'), 'fd00::/64');
  t.is(canonicalPrefix('10.1.2.3'), '10.1.2.3/32');
  for (const bad of ['10.1.2', '10.1.2.256', '10..1.2', '1.2.3.4.5', 'x', '10.0.0.0/33', '10.0.0.0/', 'fd00::/129'])
    t.throws(() => parsePrefix(bad), undefined, bad);
});

test('a link-local gateway goes out of its interface: RTA_OIF (one hop) or rtnexthop ifindex (ECMP), read back as "fe80::…%index"', (t) => {
  const w = new MessageWriter(256);
  writeNewRoute(w, 1, 'create', {
    dst: parsePrefix('10.9.0.0/16'),
    protocol: 186,
    type: 'unicast',
    gateways: [gatewayOf('fe80::1%3')],
  });
  writeNewRoute(w, 2, 'create', {
    dst: parsePrefix('10.8.0.0/16'),
    protocol: 186,
    type: 'unicast',
    gateways: ['fe80::1%3', 'fe80::2%4'].map(gatewayOf),
  });
  const [one, two] = [...messages(w.take())];
  // RTA_OIF (4) = 3 before the RTA_VIA
  t.true(hex(one!.payload.subarray(20)).startsWith('0800040003000000'));
  t.deepEqual(decodeRoute(one!)?.nextHops, ['fe80::1%3']);
  t.deepEqual(decodeRoute(two!)?.nextHops, ['fe80::1%3', 'fe80::2%4']);
  t.throws(() => gatewayOf('fe80::1%eth1'), { message: /must be an index/ });
  t.is(canonicalAddress('FE80::0001%3'), 'fe80::1%3');
});
