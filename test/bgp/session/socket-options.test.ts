// The speaker's side of session security: which socket options a peer's settings ask for, which
// settings it refuses (at addPeer, never later inside a timer), and TCP-MD5 through the real addon
// between two speakers on 127.0.0.0/8 (the kernel drops what is not signed with the right key).

import { closeSync } from 'node:fs';
import test from 'ava';
import { BgpSpeaker, type PeerOptions, type SocketOptionsHook } from '../../../bgp/index.js';
import { sessionOptionsProblem, sessionSocketOptions } from '../../../bgp/session/socket-options.js';
import { openTcpSocket, setAcceptedOptions, setListenerMd5, socketHops } from '../../../src/dataplane/index.js';
import { freePort, sleep, waitFor } from '../../../src/lab/index.js';

const base: PeerOptions = { address: '10.0.0.1', asn: 65000 };

test('socket options: eBGP TTL 1 by default, multihop sets the TTL, GTSM sends 255 and floors at 256 − hops', (t) => {
  t.deepEqual(sessionSocketOptions(base, true), { ttl: 1 });
  t.deepEqual(sessionSocketOptions(base, false), {});
  t.deepEqual(sessionSocketOptions({ ...base, multihop: 3 }, true), { ttl: 3 });
  t.deepEqual(sessionSocketOptions({ ...base, multihop: 3 }, false), { ttl: 3 });
  t.deepEqual(sessionSocketOptions({ ...base, ttlSecurity: 1 }, true), { ttl: 255, minTtl: 255 });
  t.deepEqual(sessionSocketOptions({ ...base, ttlSecurity: 2 }, false), { ttl: 255, minTtl: 254 });
  t.deepEqual(sessionSocketOptions({ ...base, password: 'x' }, false), { md5Password: 'x' });
});

test('socket options: what the speaker refuses, in words', (t) => {
  const p = (o: Partial<PeerOptions>, hook = true) => sessionOptionsProblem({ ...base, ...o }, hook);
  t.is(p({}), undefined);
  t.is(p({ localAddress: 'UseNodeIP' }), 'peer 10.0.0.1: localAddress "UseNodeIP" is not an IP address');
  t.regex(p({ localAddress: 'fd00::1' })!, /not of the peer's address family/);
  t.regex(p({ multihop: 2, ttlSecurity: 1 })!, /multihop and ttlSecurity exclude each other/);
  t.regex(p({ multihop: 0 })!, /multihop must be 1..255/);
  t.regex(p({ ttlSecurity: 255 })!, /ttlSecurity must be 1..254/);
  t.regex(p({ password: 'x'.repeat(81) })!, /at most|1 to 80 bytes/);
  t.regex(p({ password: '' })!, /1 to 80 bytes/);
  t.regex(p({ password: 'x' }, false)!, /need the speaker's socketOptions hook/);
});

test('a peer with sourceAddress "UseNodeIP" passed through is refused at addPeer and the speaker keeps running', async (t) => {
  const port = await freePort();
  const s = new BgpSpeaker({ asn: 65001, routerId: '1.1.1.1', listen: { address: '127.0.0.1', port }, warmUp: false });
  await s.start();
  t.teardown(() => s.stop());
  t.throws(() => s.addPeer({ address: '127.0.0.2', asn: 65002, localAddress: 'UseNodeIP' }), {
    message: /localAddress "UseNodeIP" is not an IP address/,
  });
  s.addPeer({ address: '127.0.0.3', asn: 65002, localAddress: '127.0.0.1', connectRetry: 1 });
  await sleep(1500);
  t.is(s.peers().length, 1);
});

const hook: SocketOptionsHook = { connecting: openTcpSocket, listening: setListenerMd5, accepted: setAcceptedOptions };

async function md5Pair(keyA: string | undefined, keyB: string | undefined) {
  const [pa, pb] = [await freePort(), await freePort()];
  const sa = new BgpSpeaker({
    asn: 65001,
    routerId: '1.1.1.1',
    listen: { address: '127.0.0.1', port: pa },
    socketOptions: hook,
    warmUp: false,
  });
  const sb = new BgpSpeaker({
    asn: 65002,
    routerId: '2.2.2.2',
    listen: { address: '127.0.0.2', port: pb },
    socketOptions: hook,
    warmUp: false,
  });
  const timers = { connectRetry: 1, holdTime: 9 };
  sa.addPeer({ address: '127.0.0.2', port: pb, asn: 65002, localAddress: '127.0.0.1', password: keyA, ...timers });
  sb.addPeer({ address: '127.0.0.1', port: pa, asn: 65001, localAddress: '127.0.0.2', password: keyB, ...timers });
  await Promise.all([sa.start(), sb.start()]);
  return { sa, sb };
}

test('TCP-MD5 between two speakers: equal keys come up, different or one-sided keys never do', async (t) => {
  const up = await md5Pair('k3y', 'k3y');
  t.teardown(() => Promise.all([up.sa.stop(), up.sb.stop()]));
  await waitFor('MD5 session up', () => up.sa.peers()[0]?.state === 'Established', { timeoutMs: 20_000 });
  for (const [a, b] of [
    ['k3y', 'other'],
    ['k3y', undefined],
  ] as const) {
    const down = await md5Pair(a, b);
    t.teardown(() => Promise.all([down.sa.stop(), down.sb.stop()]));
    await sleep(3500);
    t.not(down.sa.peers()[0]?.state, 'Established', `${a} / ${b}`);
    t.not(down.sb.peers()[0]?.state, 'Established', `${a} / ${b}`);
    t.regex(down.sa.peers()[0]?.lastError ?? '', /no answer from 127\.0\.0\.2/);
  }
});

test('the addon puts the TTL and the GTSM floor on IPv4 and IPv6 sockets (IP_MINTTL, IPV6_MINHOPCOUNT)', (t) => {
  for (const peer of ['10.0.0.1', 'fd00::1']) {
    const gtsm = openTcpSocket(peer, { ttl: 255, minTtl: 254, md5Password: 'k' });
    t.deepEqual(socketHops(gtsm, peer), [255, 254], peer);
    closeSync(gtsm);
    const single = openTcpSocket(peer, { ttl: 1 });
    t.deepEqual(socketHops(single, peer), [1, 0], peer);
    closeSync(single);
  }
  t.throws(() => openTcpSocket('10.0.0.1', { md5Password: 'x'.repeat(81) }), { message: /at most 80 bytes/ });
});

test('TCP-MD5 over IPv6 (::1 both ends, dual-stack listener keys): equal keys come up, different ones never do', async (t) => {
  const pair = async (keyA: string, keyB: string) => {
    const [pa, pb] = [await freePort(), await freePort()];
    const make = (routerId: string, asn: number, port: number) =>
      new BgpSpeaker({ asn, routerId, listen: { address: '::', port }, socketOptions: hook, warmUp: false });
    const sa = make('1.1.1.1', 65001, pa);
    const sb = make('2.2.2.2', 65002, pb);
    const timers = { connectRetry: 1, holdTime: 9 };
    sa.addPeer({ address: '::1', port: pb, asn: 65002, password: keyA, ...timers });
    sb.addPeer({ address: '::1', port: pa, asn: 65001, password: keyB, ...timers });
    await Promise.all([sa.start(), sb.start()]);
    t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
    return sa;
  };
  const up = await pair('v6-key', 'v6-key');
  await waitFor('IPv6 MD5 session up', () => up.peers()[0]?.state === 'Established', { timeoutMs: 20_000 });
  const down = await pair('v6-key', 'other');
  await sleep(3500);
  t.not(down.peers()[0]?.state, 'Established');
  t.regex(down.peers()[0]?.lastError ?? '', /no answer from ::1/);
});
