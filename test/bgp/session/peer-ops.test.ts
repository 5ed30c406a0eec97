// Operating one session of two tsroute speakers over 127.0.0.0/8: admin shutdown with an RFC 9003
// message and enable, hard and soft reset, timer changes without a reset, a second connection while
// Established (§6.8 collision vs RFC 4724 restart), and max-prefix warning and restartAfter.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import test from 'ava';
import { BgpSpeaker, type PeerOptions } from '../../../bgp/index.js';
import { encodeOpen } from '../../../bgp/wire/open.js';
import { freePort, sleep, waitFor } from '../../../src/lab/index.js';

async function pair(a: Partial<PeerOptions> = {}, b: Partial<PeerOptions> = {}) {
  const [pa, pb] = [await freePort(), await freePort()];
  const sa = new BgpSpeaker({ asn: 65001, routerId: '1.1.1.1', listen: { address: '127.0.0.1', port: pa } });
  const sb = new BgpSpeaker({ asn: 65002, routerId: '2.2.2.2', listen: { address: '127.0.0.2', port: pb } });
  const timers = { connectRetry: 1, holdTime: 9 };
  sa.addPeer({ address: '127.0.0.2', port: pb, asn: 65002, localAddress: '127.0.0.1', ...timers, ...a });
  sb.addPeer({ address: '127.0.0.1', port: pa, asn: 65001, localAddress: '127.0.0.2', ...timers, ...b });
  await Promise.all([sa.start(), sb.start()]);
  return { sa, sb, pa, pb };
}

const up = (s: BgpSpeaker) => s.peers().every((p) => p.state === 'Established');

test('shutdown with a message: the peer shows the text, we stay down until enabled, then the session returns', async (t) => {
  const { sa, sb } = await pair();
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  await waitFor('both Established', () => up(sa) && up(sb));
  sa.shutdownPeer('127.0.0.2', 'maintenance until 14:00');
  const seen = await waitFor('B hears Cease/2 with the text', () => sb.peer('127.0.0.1')!.lastNotificationReceived);
  t.like(seen, { code: 6, subcode: 2, text: 'maintenance until 14:00' });
  t.is(
    sb.peer('127.0.0.1')!.lastError,
    'received NOTIFICATION 6/2 (administrative shutdown): "maintenance until 14:00"',
  );
  t.deepEqual(sa.peer('127.0.0.2')!.adminShutdown, { message: 'maintenance until 14:00' });
  // B keeps dialling every second; A refuses while shut down.
  await sleep(3000);
  t.is(sa.peer('127.0.0.2')!.state, 'Idle');
  t.not(sb.peer('127.0.0.1')!.state, 'Established');
  sa.enablePeer('127.0.0.2');
  await waitFor('Established again after enable', () => up(sa) && up(sb));
  t.is(sa.peer('127.0.0.2')!.adminShutdown, undefined);
});

test('hard reset sends Cease/4 and the session comes straight back; soft reset keeps it and resends routes', async (t) => {
  const { sa, sb } = await pair();
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  await waitFor('both Established', () => up(sa) && up(sb));
  sb.announce('10.7.0.0/24');
  await waitFor('route at A', () => sa.locRib().length === 1);
  const before = sa.peer('127.0.0.2')!.establishedAt!;
  const updatesAtB = sb.peer('127.0.0.1')!.counters.updatesOut;
  t.true(sa.resetPeer('127.0.0.2', { soft: true }));
  // B answers the ROUTE-REFRESH with its table again: more UPDATEs out of B, same session.
  await waitFor('B resent its table', () => sb.peer('127.0.0.1')!.counters.updatesOut > updatesAtB);
  t.is(sa.peer('127.0.0.2')!.establishedAt, before);

  const started = Date.now();
  sa.resetPeer('127.0.0.2', { message: 'new filters' });
  const cease4 = await waitFor('B hears Cease/4', () => {
    const n = sb.peer('127.0.0.1')!.lastNotificationReceived;
    return n?.subcode === 4 ? n : undefined;
  });
  t.is(cease4.text, 'new filters');
  await waitFor('Established again', () => up(sa) && up(sb) && sa.peer('127.0.0.2')!.establishedAt !== before);
  t.log(`hard reset → Established again in ${Date.now() - started} ms`);
  t.true(Date.now() - started < 10_000);
  await waitFor('route back at A', () => sa.locRib().length === 1);
});

test('timer changes keep the running session; the new hold time is negotiated at the next OPEN', async (t) => {
  const { sa, sb } = await pair();
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  await waitFor('both Established', () => up(sa) && up(sb));
  const before = sa.peer('127.0.0.2')!.establishedAt;
  sa.updatePeer('127.0.0.2', { holdTime: 6, keepalive: 2, connectRetry: 2 });
  await sleep(500);
  t.is(sa.peer('127.0.0.2')!.establishedAt, before, 'no reset');
  t.is(sa.peer('127.0.0.2')!.capabilities?.holdTime, 9, 'the running session keeps what it negotiated');
  sa.resetPeer('127.0.0.2');
  await waitFor('Established again', () => up(sa) && up(sb) && sa.peer('127.0.0.2')!.establishedAt !== before);
  t.is(sa.peer('127.0.0.2')!.capabilities?.holdTime, 6);
  t.is(sb.peer('127.0.0.1')!.capabilities?.holdTime, 6, 'the peer agreed to our new hold time');
});

/** Opens a raw TCP connection to `port` from 127.0.0.2 and sends B's OPEN, optionally with the R bit. */
function secondConnection(port: number, restarting: boolean) {
  const socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
  const received: Buffer[] = [];
  socket.on('data', (d) => received.push(d));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('connect', () =>
    socket.write(
      encodeOpen({
        myAs: 65002,
        holdTime: 9,
        bgpId: '2.2.2.2',
        capabilities: [
          { kind: 'multiprotocol', afi: 1, safi: 1 },
          { kind: 'multiprotocol', afi: 2, safi: 1 },
          { kind: 'route-refresh' },
          { kind: 'four-octet-as', asn: 65002 },
          {
            kind: 'graceful-restart',
            restarting,
            notification: false,
            restartTime: 30,
            families: [{ afi: 1, safi: 1, forwarding: true }],
          },
        ],
      }),
    ),
  );
  return { socket, received, closed };
}

test('a second connection while Established is closed with Cease/collision and the session stays up', async (t) => {
  const { sa, sb, pa } = await pair({ gracefulRestart: { restartTime: 30 } }, { gracefulRestart: { restartTime: 30 } });
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  await waitFor('both Established', () => up(sa) && up(sb));
  const before = sa.peer('127.0.0.2')!.establishedAt;
  const second = secondConnection(pa, false);
  await second.closed;
  // NOTIFICATION 6/7 (RFC 4486 connection collision resolution) after the OPEN we never answered.
  const bytes = Buffer.concat(second.received);
  const notification = bytes.indexOf(Buffer.from([0x00, 0x15, 0x03, 0x06, 0x07]));
  t.true(notification >= 0, `got ${bytes.toString('hex')}`);
  t.is(sa.peer('127.0.0.2')!.state, 'Established');
  t.is(sa.peer('127.0.0.2')!.establishedAt, before, 'the running session was not touched');
  t.is(sa.peer('127.0.0.2')!.counters.flaps, 0);
});

test('a second connection with the graceful-restart R bit is closed too while the old connection answers (a just-started router dialling at once)', async (t) => {
  // FRR sets the R bit in every OPEN for a while after it starts; taking that alone as "the peer
  // restarted" replaced the running session and made it flap at start (seen with the quickstart ToR).
  const { sa, sb, pa } = await pair({ gracefulRestart: { restartTime: 30 } }, { gracefulRestart: { restartTime: 30 } });
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  await waitFor('both Established', () => up(sa) && up(sb));
  sb.announce('10.8.0.0/24');
  await waitFor('route at A', () => sa.locRib().length === 1);
  const before = sa.peer('127.0.0.2')!.establishedAt;
  const second = secondConnection(pa, true);
  await second.closed;
  const bytes = Buffer.concat(second.received);
  t.true(bytes.indexOf(Buffer.from([0x00, 0x15, 0x03, 0x06, 0x07])) >= 0, `got ${bytes.toString('hex')}`);
  t.is(sa.peer('127.0.0.2')!.establishedAt, before, 'the running session was not touched');
  t.is(sa.peer('127.0.0.2')!.counters.flaps, 0);
  t.falsy(sa.locRib()[0]?.stale, 'routes not marked stale');
});

test('max-prefix: a warning at the threshold, then a trip, and the session comes back by itself after restartAfter', async (t) => {
  const { sa, sb } = await pair({ maxPrefix: { limit: 4, warningPercent: 50, restartAfter: 2 } });
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  const warnings: { count: number }[] = [];
  sa.on('max-prefix-warning', (e) => warnings.push(e));
  await waitFor('both Established', () => up(sa) && up(sb));
  sb.announce('10.9.1.0/24');
  sb.announce('10.9.2.0/24');
  await waitFor('warning at 2 of 4 (50 %)', () => warnings.length === 1);
  sb.announce('10.9.3.0/24');
  await sleep(300);
  t.is(warnings.length, 1, 'one warning per crossing, not per UPDATE');
  sb.announce('10.9.4.0/24');
  sb.announce('10.9.5.0/24');
  await waitFor('trip: B hears Cease/1', () => sb.peer('127.0.0.1')!.lastNotificationReceived?.subcode === 1);
  const tripped = Date.now();
  sb.withdraw('10.9.5.0/24');
  await waitFor('back by itself after restartAfter', () => up(sa) && up(sb), { timeoutMs: 20_000 });
  const after = Date.now() - tripped;
  t.log(`session back ${after} ms after the trip (restartAfter 2 s)`);
  t.true(after >= 1500, `came back after ${after} ms, before restartAfter`);
});

test("the peer's connection is used while our own SYNs go unanswered (RFC 4271 §8.2.2 Connect)", async (t) => {
  // A listener that never accepts, its one-slot queue already full: the kernel drops further SYNs,
  // like a peer we have no route to. A dials it; B dials A normally.
  const hole = spawn('python3', [
    '-c',
    'import socket,time\ns=socket.socket();s.bind(("127.0.0.2",0));s.listen(0)\nf=socket.create_connection(s.getsockname())\nprint(s.getsockname()[1],flush=True)\ntime.sleep(300)',
  ]);
  t.teardown(() => hole.kill('SIGKILL'));
  const holePort = await new Promise<number>((resolve, reject) => {
    hole.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    hole.once('error', reject);
  });
  const [pa, pb] = [await freePort(), await freePort()];
  const sa = new BgpSpeaker({ asn: 65001, routerId: '1.1.1.1', listen: { address: '127.0.0.1', port: pa } });
  const sb = new BgpSpeaker({ asn: 65002, routerId: '2.2.2.2', listen: { address: '127.0.0.2', port: pb } });
  // A's ConnectRetry is long, so without the fix its unanswered attempt would hold it in Connect.
  sa.addPeer({ address: '127.0.0.2', port: holePort, asn: 65002, localAddress: '127.0.0.1', connectRetry: 60 });
  sb.addPeer({ address: '127.0.0.1', port: pa, asn: 65001, localAddress: '127.0.0.2', connectRetry: 1 });
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  await sa.start();
  await waitFor('A is dialling into the hole', () => sa.peer('127.0.0.2')!.state === 'Connect');
  await sb.start();
  await waitFor("both Established over B's connection", () => up(sa) && up(sb), { timeoutMs: 30_000 });
  t.pass();
});
