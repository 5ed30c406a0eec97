// Two BfdServices (each in its own worker thread) talk BFD over loopback: they come Up, a killed one
// is detected by the other within its detection time, and a closed one says AdminDown.
import dgram from 'node:dgram';
import test from 'ava';
import { BfdState, encodeControl } from '../../src/bfd/packet.js';
import { BfdService, type BfdStateChange } from '../../src/bfd/service.js';
import { waitFor } from '../../src/lab/index.js';

// 100 ms × 3: a 300 ms detection time, kept generous for a loaded 2-core test machine.
const timing = { transmitInterval: 100, receiveInterval: 100, detectMultiplier: 3 };
const DETECT = 300;

async function pair() {
  const a = await BfdService.start({ listen: ['127.0.0.1'], listenPort: 0 });
  const b = await BfdService.start({ listen: ['127.0.0.2'], listenPort: 0 });
  const events: { a: BfdStateChange[]; b: BfdStateChange[] } = { a: [], b: [] };
  a.on('state', (c) => events.a.push(c));
  b.on('state', (c) => events.b.push(c));
  a.add({ peer: '127.0.0.2', local: '127.0.0.1', port: b.ports[0], timing });
  b.add({ peer: '127.0.0.1', local: '127.0.0.2', port: a.ports[0], timing });
  return { a, b, events };
}

const up = async (s: BfdService) => (await s.status())[0]?.state === 'Up';

test('two services come Up; the survivor detects a killed peer within its detection time', async (t) => {
  const { a, b, events } = await pair();
  t.teardown(() => Promise.all([a.close(), b.close()]).then(() => {}));
  await waitFor('both Up', async () => (await up(a)) && (await up(b)), { timeoutMs: 20_000 });
  const [sa] = await a.status();
  t.true(sa!.sourcePort >= 49152 && sa!.sourcePort <= 65535, `source port ${sa!.sourcePort} (RFC 5881 §4)`);
  t.not(sa!.remoteDiscriminator, 0);
  t.is(sa!.remoteDiscriminator, (await b.status())[0]!.localDiscriminator);
  // After the poll sequence both use the configured 100 ms, not the 1 s of §6.8.3.
  await waitFor('fast rate negotiated', async () => (await a.status())[0]!.detectTimeMs === DETECT, {
    timeoutMs: 10_000,
  });
  t.is(events.a.at(-1)?.state, 'Up');
  t.false(
    events.a.some((e) => e.state === 'Down'),
    'no flap on the way up',
  );

  const killedAt = Date.now();
  await b.kill();
  const down = await waitFor('A sees Down', async () => events.a.find((e) => e.state === 'Down'), {
    timeoutMs: 10_000,
  });
  const took = down.at - killedAt;
  t.log(`detected in ${took} ms (detection time ${DETECT} ms)`);
  t.is(down.diag, 'control detection time expired');
  t.true(took <= 10 * DETECT, `detected in ${took} ms, more than 10 × ${DETECT} ms`);
});

test('a closed service tells its peer AdminDown: the peer goes Down with "neighbor signaled session down"', async (t) => {
  const { a, b, events } = await pair();
  t.teardown(() => Promise.all([a.close(), b.close()]).then(() => {}));
  await waitFor('both Up', async () => (await up(a)) && (await up(b)), { timeoutMs: 20_000 });
  await b.close();
  const down = await waitFor('A sees Down', async () => events.a.find((e) => e.state === 'Down'), {
    timeoutMs: 10_000,
  });
  t.is(down.diag, 'neighbor signaled session down');
});

test('bad timing is refused with a clear error', async (t) => {
  const a = await BfdService.start({ listen: ['127.0.0.1'], listenPort: 0 });
  t.teardown(() => a.close());
  t.throws(() => a.add({ peer: '127.0.0.2', timing: { ...timing, detectMultiplier: 0 } }), {
    message: /detectMultiplier must be an integer in 2\.\.255/,
  });
  t.throws(() => a.add({ peer: '127.0.0.2', timing: { ...timing, transmitInterval: 1.5 } }), {
    message: /transmitInterval/,
  });
});

test('RFC 5881 §5: a packet that arrives with TTL 254 is dropped and counted; TTL 255 is accepted', async (t) => {
  const a = await BfdService.start({ listen: ['127.0.0.1'], listenPort: 0 });
  t.teardown(() => a.close());
  a.add({ peer: '127.0.0.2', local: '127.0.0.1', port: 9, timing });
  await waitFor('session exists', async () => (await a.status()).length === 1);
  const sender = dgram.createSocket('udp4');
  t.teardown(() => sender.close());
  await new Promise<void>((resolve) => sender.bind(0, '127.0.0.2', resolve));
  const hello = encodeControl({
    diag: 0,
    state: BfdState.Down,
    poll: false,
    final: false,
    detectMult: 3,
    myDiscriminator: 77,
    yourDiscriminator: 0,
    desiredMinTxInterval: 1_000_000,
    requiredMinRxInterval: 50_000,
  });
  sender.setTTL(254);
  sender.send(hello, a.ports[0]!, '127.0.0.1');
  const dropped = await waitFor('TTL 254 dropped', async () => (await a.status()).find((s) => s.dropped === 1));
  t.regex(dropped.lastDropReason ?? '', /TTL 254/);
  t.is(dropped.state, 'Down', 'the far packet did not move the session');
  t.is(dropped.remoteDiscriminator, 0);
  sender.setTTL(255);
  sender.send(hello, a.ports[0]!, '127.0.0.1');
  const accepted = await waitFor('TTL 255 accepted', async () => (await a.status()).find((s) => s.received === 1));
  t.is(accepted.state, 'Init');
  t.is(accepted.remoteDiscriminator, 77);
});

// Serial: the busy-wait blocks this whole test process, and the other tests' timing is not its subject.
test.serial(
  'the main thread blocked for 2 s does not disturb BFD: sessions with a 300 ms detection time stay Up',
  async (t) => {
    const { a, b, events } = await pair();
    t.teardown(() => Promise.all([a.close(), b.close()]).then(() => {}));
    await waitFor('both Up', async () => (await up(a)) && (await up(b)), { timeoutMs: 20_000 });
    await waitFor('fast rate negotiated', async () => (await a.status())[0]!.detectTimeMs === DETECT, {
      timeoutMs: 10_000,
    });
    const receivedBefore = (await a.status())[0]!.received;
    // Both services' main-thread side is this thread: a BGP speaker busy with a big table looks like this.
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      /* busy: no timers, no I/O on this thread */
    }
    await new Promise((r) => setTimeout(r, 200)); // let queued state messages arrive
    t.deepEqual(
      [...events.a, ...events.b].filter((e) => e.state === 'Down'),
      [],
      'no Down while the main thread was blocked',
    );
    const after = (await a.status())[0]!;
    t.is(after.state, 'Up');
    // ~2.2 s at 75–100 ms per packet (~25): the worker kept receiving while this thread was stuck.
    t.true(after.received - receivedBefore >= 15, `${after.received - receivedBefore} packets received meanwhile`);
  },
);

test('IPv6: two services on ::1 come Up (hop limit 255 sent and checked)', async (t) => {
  const a = await BfdService.start({ listen: ['::1'], listenPort: 0 });
  const b = await BfdService.start({ listen: ['::1'], listenPort: 0 });
  t.teardown(() => Promise.all([a.close(), b.close()]).then(() => {}));
  a.add({ peer: '::1', local: '::1', port: b.ports[0], timing });
  b.add({ peer: '::1', local: '::1', port: a.ports[0], timing });
  await waitFor('both Up over IPv6', async () => (await up(a)) && (await up(b)), { timeoutMs: 20_000 });
  const [sa] = await a.status();
  t.is(sa!.dropped, 0, sa!.lastDropReason);
  t.true(sa!.received > 0);
});
