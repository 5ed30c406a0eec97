// BFD interop (RFC 5880/5881) with real routers in namespaces: our BfdService (its own process in
// namespace "a") and BIRD's `protocol bfd` / FRR's bfdd (namespace "b") come Up with each other; each
// side detects the other's death within a detection time (asserted at 10 × under load, measured in the log).
import { existsSync, readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import type { BfdSessionStatus, BfdStateChange } from '../../src/bfd/service.js';
import { type BfdSessionState, Bird, Frr, type Netns, waitFor } from '../../src/lab/index.js';
import { labFor } from '../helpers/lab.js';

const INTERVAL = 100;
const MULT = 3;
const DETECT = INTERVAL * MULT;

/** Starts our BFD in `ns` with one session to `peer`; returns its daemon and a reader of its state lines. */
function startOurs(ns: Netns, peer: string, local: string) {
  const dist = 'dist/test/helpers/bfd-peer.js';
  const argv =
    process.env.TSROUTE_TEST_DIST === '1' && existsSync(dist)
      ? [process.execPath, dist]
      : [process.execPath, '--import=tsx', 'test/helpers/bfd-peer.ts'];
  const timing = { transmitInterval: INTERVAL, receiveInterval: INTERVAL, detectMultiplier: MULT };
  const daemon = ns.spawn('bfd', [...argv, JSON.stringify({ peers: [{ peer, local, timing }] })]);
  const lines = () =>
    readFileSync(daemon.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event: string } & Partial<BfdStateChange>);
  const states = () => lines().filter((l) => l.event === 'state') as BfdStateChange[];
  const status = () =>
    (
      lines()
        .filter((l) => l.event === 'status')
        .at(-1) as { sessions?: BfdSessionStatus[] } | undefined
    )?.sessions?.[0];
  return { daemon, states, status };
}

async function routerUp(read: () => Promise<BfdSessionState[]>, peer: string) {
  return (await read()).find((s) => s.peer === peer)?.state === 'Up';
}

async function interop(t: ExecutionContext, kind: 'bird' | 'frr'): Promise<void> {
  const lab = await labFor(t);
  const a = await lab.namespace('a');
  const b = await lab.namespace('b');
  await lab.link(a, '10.98.0.1/30', b, '10.98.0.2/30');
  const spec = {
    routerId: '10.98.0.2',
    as: 65002,
    peers: [],
    bfd: { peers: [{ address: '10.98.0.1', localAddress: '10.98.0.2' }], intervalMs: INTERVAL, multiplier: MULT },
  };
  const router = kind === 'bird' ? await Bird.start(lab, b, spec) : await Frr.start(lab, b, spec);
  const read = () => router.bfdSessions();

  // 1. Both come Up.
  let ours = startOurs(a, '10.98.0.2', '10.98.0.1');
  await waitFor(
    `${kind} and us Up`,
    async () => {
      ours.daemon.assertRunning();
      return ours.states().some((s) => s.state === 'Up') && (await routerUp(read, '10.98.0.1'));
    },
    { timeoutMs: 60_000 },
  );
  // The poll sequence ran with the router: we moved from the 1 s of §6.8.3 to the configured rate,
  // and our detection time is the router's multiplier × its 100 ms.
  const negotiated = await waitFor(
    'fast timers negotiated',
    () => {
      const st = ours.status();
      return st?.state === 'Up' && st.detectTimeMs === DETECT && st.txIntervalMs === INTERVAL && st;
    },
    { timeoutMs: 20_000 },
  );
  t.true(negotiated.sourcePort >= 49152, `source port ${negotiated.sourcePort}`);
  t.is(negotiated.dropped, 0, negotiated.lastDropReason);

  // 2. We die without a word (SIGKILL): the router detects it.
  const killedAt = Date.now();
  process.kill(ours.daemon.pid, 'SIGKILL');
  await waitFor(`${kind} detects our death`, async () => !(await routerUp(read, '10.98.0.1')), { timeoutMs: 30_000 });
  const routerTook = Date.now() - killedAt;
  t.log(`${kind} saw us go (polling its CLI) after ${routerTook} ms; detection time ${DETECT} ms`);
  t.true(routerTook <= 10 * DETECT + 2000, `${kind} took ${routerTook} ms`);
  await ours.daemon.stop();

  // 3. Back Up with a fresh process, then the router's BFD dies: we detect it.
  ours = startOurs(a, '10.98.0.2', '10.98.0.1');
  await waitFor(
    `${kind} and us Up again`,
    async () => {
      ours.daemon.assertRunning();
      return ours.states().some((s) => s.state === 'Up') && (await routerUp(read, '10.98.0.1'));
    },
    { timeoutMs: 60_000 },
  );
  const diedAt = Date.now();
  if (router instanceof Bird) router.kill();
  else await router.killBfdd();
  const down = await waitFor('we detect the router gone', () => ours.states().find((s) => s.state === 'Down'), {
    timeoutMs: 30_000,
  });
  const weTook = down.at - diedAt;
  t.log(`we detected ${kind}'s death in ${weTook} ms (detection time ${DETECT} ms): ${down.diag}`);
  t.is(down.diag, 'control detection time expired');
  t.true(weTook <= 10 * DETECT, `we took ${weTook} ms`);
}

test("BIRD protocol bfd ⇄ our BfdService: Up, BIRD detects our death, we detect BIRD's", (t) => interop(t, 'bird'));
test("FRR bfdd ⇄ our BfdService: Up, FRR detects our death, we detect bfdd's", (t) => interop(t, 'frr'));
