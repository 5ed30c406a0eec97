// Error handling against ExaBGP: a peer that goes silent is dropped at hold-timer expiry with
// NOTIFICATION 4/0, and malformed attributes get RFC 7606 treatment with the session kept up.
import test from 'ava';
import { type Exabgp, run, waitFor } from '../../../src/lab/index.js';
import { A4, B4, tsrouteAndRouter } from './pair.js';

/** The PIDs of every process in a namespace this test created (ExaBGP and its API helper). */
async function pidsIn(ns: { name: string }): Promise<number[]> {
  const { stdout } = await run(['ip', 'netns', 'pids', ns.name]);
  return stdout.split(/\s+/).filter(Boolean).map(Number);
}

test('a silent peer is dropped at hold-timer expiry with NOTIFICATION 4/0 (Hold Timer Expired)', async (t) => {
  const { b, ts, router } = await tsrouteAndRouter(t, 'exabgp', {
    families: ['ipv4'],
    peer: { holdTime: 3, keepalive: 1 },
    routerPeer: { holdTime: 3 },
  });
  const exa = router as Exabgp;
  const pids = await pidsIn(b);
  // Freeze ExaBGP: its TCP connection stays open but nothing more comes from it.
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  const frozenAt = Date.now();
  try {
    await waitFor('tsroute drops the session', async () => (await ts.peers())[0]!.state !== 'Established', {
      timeoutMs: 30_000,
    });
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  }
  const waited = Date.now() - frozenAt;
  // Never before the hold time (less a second for the 1 s keepalive granularity); the upper bound
  // only catches a timer that never fires: a loaded machine may run it late.
  t.log(`dropped after ${waited} ms with a 3 s hold time`);
  t.true(waited >= 2500 && waited < 30_000, `dropped after ${waited} ms with a 3 s hold time`);
  const [peer] = await ts.peers();
  t.regex(peer!.lastError ?? '', /hold timer expired \(sent NOTIFICATION 4\/0\)/);
  // ExaBGP, thawed, reads what we sent before closing.
  const note = await waitFor('ExaBGP received our NOTIFICATION', () => exa.rawMessages('notification')[0]);
  t.is(note[19], 4, 'error code 4: Hold Timer Expired');
  t.is(note[20], 0);
});

test('RFC 7606: a malformed MED withdraws the route, a bad ATOMIC_AGGREGATE is discarded; the session stays up', async (t) => {
  const { ts, router } = await tsrouteAndRouter(t, 'exabgp', { families: ['ipv4'] });
  const exa = router as Exabgp;
  await waitFor('ExaBGP up', async () => (await exa.sessions())[0]?.state === 'Established');
  exa.send(`neighbor ${A4} announce route 10.230.1.0/24 next-hop ${B4}`);
  await waitFor('route learned', async () => (await ts.locRib({ prefix: '10.230.1.0/24' })).length === 1);
  // MED with a 2-byte value (it must be 4): treat-as-withdraw (RFC 7606 §7.4).
  exa.send(`neighbor ${A4} announce route 10.230.1.0/24 next-hop ${B4} attribute [ 0x04 0x80 0x0001 ]`);
  await waitFor('route treated as withdrawn', async () => (await ts.locRib({ prefix: '10.230.1.0/24' })).length === 0);
  // ATOMIC_AGGREGATE with a 1-byte value (it must be empty): attribute discard (§7.6), route kept.
  exa.send(`neighbor ${A4} announce route 10.230.2.0/24 next-hop ${B4} attribute [ 0x06 0x40 0x01 ]`);
  await waitFor(
    'route with discarded attribute learned',
    async () => (await ts.locRib({ prefix: '10.230.2.0/24' })).length === 1,
  );
  const [peer] = await ts.peers();
  t.is(peer!.state, 'Established');
  t.is(peer!.counters.flaps, 0);
  // Cease/connection collision (6/7) on a second connection ExaBGP opened is §6.8 at work, not an
  // error: any other NOTIFICATION would mean the malformed attributes reset the session.
  const notes = exa.rawMessages('notification').map((m) => `${m[19]}/${m[20]}`);
  t.deepEqual(
    notes.filter((n) => n !== '6/7'),
    [],
    'no NOTIFICATION but collision resolution was sent',
  );
});
