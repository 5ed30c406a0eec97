// The BFD session machine (RFC 5880 §6.8.6 transitions, §6.8.3/§6.8.7 timing, §6.8.4 detection).
import test from 'ava';
import { BfdState, type ControlPacket, encodeControl, type PacketFields } from '../../src/bfd/packet.js';
import {
  detectionTimeMs,
  newSession,
  type Session,
  type SessionAction,
  SLOW_TX_US,
  step,
  txIntervalMs,
} from '../../src/bfd/session.js';

const config = { desiredMinTxUs: 100_000, requiredMinRxUs: 100_000, detectMult: 3 };
const { Down, Init, Up, AdminDown } = BfdState;

function pkt(fields: Partial<PacketFields>): ControlPacket {
  const p: PacketFields = {
    diag: 0,
    state: Down,
    poll: false,
    final: false,
    detectMult: 3,
    myDiscriminator: 99,
    yourDiscriminator: 0,
    desiredMinTxInterval: 100_000,
    requiredMinRxInterval: 100_000,
    ...fields,
  };
  const b = encodeControl(p);
  return {
    ...p,
    version: 1,
    length: b.length,
    controlPlaneIndependent: false,
    authPresent: false,
    demand: false,
    multipoint: false,
    requiredMinEchoRxInterval: 0,
  };
}

function inState(state: BfdState): Session {
  return { ...newSession(1, config, 0), state };
}

const states = (actions: SessionAction[]) =>
  actions.filter((a) => a.type === 'state').map((a) => [a.from, a.to, a.diag]);
const sends = (actions: SessionAction[]) => actions.flatMap((a) => (a.type === 'send' ? [a.packet] : []));

// §6.8.6 state table: local state × received state → new state (and diag when going down).
const table: [BfdState, BfdState, BfdState, number?][] = [
  [Down, Down, Init],
  [Down, Init, Up],
  [Down, Up, Down],
  [Down, AdminDown, Down],
  [Init, Down, Init],
  [Init, Init, Up],
  [Init, Up, Up],
  [Init, AdminDown, Down, 3],
  [Up, Down, Down, 3],
  [Up, Init, Up],
  [Up, Up, Up],
  [Up, AdminDown, Down, 3],
  [AdminDown, Up, AdminDown],
];
for (const [local, remote, expected, diag] of table) {
  test(`§6.8.6: local ${BfdState[local]} + received ${BfdState[remote]} → ${BfdState[expected]}`, (t) => {
    const { session, actions } = step(inState(local), {
      type: 'rx',
      packet: pkt({ state: remote, yourDiscriminator: remote === Down || remote === AdminDown ? 0 : 1 }),
      now: 10,
      rand: 0.5,
    });
    t.is(session.state, expected);
    t.is(session.remoteDiscr, 99);
    if (diag !== undefined) t.is(session.diag, diag);
    t.is(states(actions).length, local === expected ? 0 : 1);
  });
}

test('§6.8.3: while not Up we ask for 1 s transmit; Up switches to the configured rate with a poll', (t) => {
  let s = newSession(1, config, 0);
  t.is(s.advertisedTxUs, SLOW_TX_US);
  s = step(s, { type: 'rx', packet: pkt({ state: Down }), now: 0, rand: 0 }).session; // → Init
  const r = step(s, { type: 'rx', packet: pkt({ state: Up, yourDiscriminator: 1 }), now: 5, rand: 0 });
  t.is(r.session.state, Up);
  t.is(r.session.advertisedTxUs, 100_000);
  t.true(r.session.polling);
  // Faster TX may be used at once (only an increase waits for the Final).
  t.is(r.session.txInUseUs, 100_000);
  const out = sends(r.actions);
  t.is(out.length, 1);
  t.true(out[0]!.poll);
  t.is(out[0]!.state, Up);
  const done = step(r.session, {
    type: 'rx',
    packet: pkt({ state: Up, yourDiscriminator: 1, final: true }),
    now: 6,
    rand: 0,
  });
  t.false(done.session.polling);
});

test('§6.8.3: a slower transmit interval waits for the Final; a faster receive interval too', (t) => {
  let s: Session = { ...newSession(1, config, 0), state: Up, advertisedTxUs: 100_000, txInUseUs: 100_000 };
  s = step(s, {
    type: 'config',
    config: { desiredMinTxUs: 500_000, requiredMinRxUs: 50_000, detectMult: 3 },
    now: 0,
    rand: 0,
  }).session;
  t.true(s.polling);
  t.is(s.advertisedTxUs, 500_000);
  t.is(s.txInUseUs, 100_000);
  t.is(s.advertisedRxUs, 50_000);
  t.is(s.rxInUseUs, 100_000);
  s = step(s, { type: 'rx', packet: pkt({ state: Up, yourDiscriminator: 1, final: true }), now: 1, rand: 0 }).session;
  t.is(s.txInUseUs, 500_000);
  t.is(s.rxInUseUs, 50_000);
});

test('§6.8.7: a Poll is answered at once with Final, Poll clear', (t) => {
  const r = step(inState(Up), {
    type: 'rx',
    packet: pkt({ state: Up, yourDiscriminator: 1, poll: true }),
    now: 0,
    rand: 0,
  });
  const out = sends(r.actions);
  t.is(out.length, 1);
  t.true(out[0]!.final);
  t.false(out[0]!.poll);
});

test('§6.8.7: transmit interval is max(our TX, their RX) jittered to 75–100 % (75–90 % with multiplier 1)', (t) => {
  const s: Session = { ...inState(Up), txInUseUs: 100_000, remoteMinRxUs: 200_000 };
  t.is(txIntervalMs(s, 0), 150);
  t.true(Math.abs(txIntervalMs(s, 1) - 200) < 1e-9);
  const one: Session = { ...s, config: { ...config, detectMult: 1 } };
  t.is(txIntervalMs(one, 0), 150);
  t.true(Math.abs(txIntervalMs(one, 1) - 180) < 1e-9);
  t.is(txIntervalMs({ ...s, remoteMinRxUs: 0 }, 0.5), 0, 'RX 0 from the peer: send nothing');
});

test('§6.8.4: detection time is their multiplier × max(our RX, their TX); expiry takes Up down with diag 1', (t) => {
  const r = step(inState(Up), {
    type: 'rx',
    packet: pkt({ state: Up, yourDiscriminator: 1, detectMult: 5, desiredMinTxInterval: 300_000 }),
    now: 1000,
    rand: 0,
  });
  t.is(detectionTimeMs(r.session), 1500);
  t.is(r.session.detectAt, 2500);
  const early = step(r.session, { type: 'timer', now: 2499, rand: 0 });
  t.is(early.session.state, Up);
  const late = step(early.session, { type: 'timer', now: 2500, rand: 0 });
  t.is(late.session.state, Down);
  t.is(late.session.diag, 1);
  t.is(late.session.remoteDiscr, 0);
  t.deepEqual(states(late.actions), [[Up, Down, 1]]);
  t.is(late.session.advertisedTxUs, SLOW_TX_US, 'back to the slow rate once down');
});

test('timer sends the periodic packet with our discriminators and schedules the next one', (t) => {
  const r = step(newSession(42, config, 0), { type: 'timer', now: 0, rand: 1 });
  const out = sends(r.actions);
  t.is(out.length, 1);
  t.like(out[0], {
    myDiscriminator: 42,
    yourDiscriminator: 0,
    state: Down,
    desiredMinTxInterval: SLOW_TX_US,
    poll: false,
  });
  t.is(r.session.nextTxAt, 1000);
  t.is(sends(step(r.session, { type: 'timer', now: 999, rand: 1 }).actions).length, 0);
});

test('admin-down tells the peer AdminDown with diag 7 and stops sending', (t) => {
  const r = step(inState(Up), { type: 'admin-down', now: 0 });
  t.like(sends(r.actions)[0], { state: AdminDown, diag: 7 });
  t.is(r.session.nextTxAt, Number.POSITIVE_INFINITY);
});
