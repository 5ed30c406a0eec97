// Two BfdServices (each in its own worker thread) talk BFD over loopback: they come Up, a killed one
// is detected by the other within its detection time, and a closed one says AdminDown.
import test from 'ava';
import { BfdService, type BfdStateChange } from '../../src/bfd/service.js';
import { waitFor } from '../../src/lab/index.js';

const timing = { transmitInterval: 50, receiveInterval: 50, detectMultiplier: 3 };

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
  t.teardown(() => a.close());
  await waitFor('both Up', async () => (await up(a)) && (await up(b)), { timeoutMs: 20_000 });
  const [sa] = await a.status();
  t.true(sa!.sourcePort >= 49152 && sa!.sourcePort <= 65535, `source port ${sa!.sourcePort} (RFC 5881 §4)`);
  t.not(sa!.remoteDiscriminator, 0);
  t.is(sa!.remoteDiscriminator, (await b.status())[0]!.localDiscriminator);
  // After the poll sequence both use the configured 50 ms, not the 1 s of §6.8.3.
  await waitFor('fast rate negotiated', async () => (await a.status())[0]!.detectTimeMs === 150, { timeoutMs: 10_000 });
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
  t.log(`detected in ${took} ms (detection time 150 ms)`);
  t.is(down.diag, 'control detection time expired');
  t.true(took <= 1500, `detected in ${took} ms, more than 10 × 150 ms`);
});

test('a closed service tells its peer AdminDown: the peer goes Down with "neighbor signaled session down"', async (t) => {
  const { a, b, events } = await pair();
  t.teardown(() => a.close());
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
