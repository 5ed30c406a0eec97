// The RFC 4271 §8 state machine, driven event by event: the actions it asks for are the contract.
import test from 'ava';
import { describeDown, downNotification } from '../../../bgp/session/down-reason.js';
import { DEFAULT_FSM_CONFIG, type FsmAction, type FsmEvent, SessionFsm } from '../../../bgp/session/fsm.js';

const fsm = (over: Partial<typeof DEFAULT_FSM_CONFIG> = {}) =>
  new SessionFsm({ ...DEFAULT_FSM_CONFIG, connectRetry: 1, holdTime: 9, ...over });
const types = (a: FsmAction[]) => a.map((x) => (x.type === 'timer' ? `timer:${x.timer}=${x.seconds}` : x.type));

test('active peer: start connects, OPEN exchange, KEEPALIVE → Established with negotiated timers', (t) => {
  const f = fsm();
  t.deepEqual(types(f.handle({ type: 'ManualStart' })), ['timer:idleHold=null', 'timer:connectRetry=1', 'connect']);
  t.is(f.state, 'Connect');
  t.deepEqual(types(f.handle({ type: 'TcpConnected' })), ['timer:connectRetry=null', 'send-open', 'timer:hold=240']);
  t.is(f.state, 'OpenSent');
  // The peer proposes 6 s: the smaller hold time wins and keepalives go every 2 s (§4.2, §10).
  t.deepEqual(types(f.handle({ type: 'OpenReceived', holdTime: 6 })), [
    'send-keepalive',
    'timer:hold=6',
    'timer:keepalive=2',
  ]);
  t.is(f.state, 'OpenConfirm');
  const est = f.handle({ type: 'KeepaliveReceived' });
  t.is(f.state, 'Established');
  t.deepEqual(
    est.find((a) => a.type === 'established'),
    { type: 'established', holdTime: 6, keepalive: 2 },
  );
});

test('passive peer waits in Active and never connects', (t) => {
  const f = fsm({ passive: true });
  t.false(types(f.handle({ type: 'ManualStart' })).includes('connect'));
  t.is(f.state, 'Active');
  t.false(types(f.handle({ type: 'ConnectRetryTimerExpires' })).includes('connect'));
  f.handle({ type: 'TcpConnected' });
  t.is(f.state, 'OpenSent');
});

test('hold timer expiry sends NOTIFICATION 4/0, drops the session and schedules a restart', (t) => {
  const f = fsm();
  f.handle({ type: 'ManualStart' });
  f.handle({ type: 'TcpConnected' });
  f.handle({ type: 'OpenReceived', holdTime: 9 });
  f.handle({ type: 'KeepaliveReceived' });
  const a = f.handle({ type: 'HoldTimerExpires' });
  t.deepEqual(a[0], { type: 'send-notification', notification: { code: 4, subcode: 0 } });
  t.true(a.some((x) => x.type === 'down' && x.wasEstablished));
  t.true(a.some((x) => x.type === 'timer' && x.timer === 'idleHold' && x.seconds === 1));
  t.is(f.state, 'Idle');
  t.true(types(f.handle({ type: 'IdleHoldTimerExpires' })).includes('connect'));
});

test('idle hold doubles with consecutive errors and resets once Established', (t) => {
  const f = fsm();
  f.handle({ type: 'ManualStart' });
  const holds: (number | null)[] = [];
  for (let i = 0; i < 3; i++) {
    f.handle({ type: 'TcpConnected' });
    const a = f.handle({ type: 'NotificationReceived', code: 2, subcode: 2 });
    holds.push((a.find((x) => x.type === 'timer' && x.timer === 'idleHold') as { seconds: number }).seconds);
    f.handle({ type: 'IdleHoldTimerExpires' });
  }
  t.deepEqual(holds, [1, 2, 4]);
  f.handle({ type: 'TcpConnected' });
  f.handle({ type: 'OpenReceived', holdTime: 9 });
  f.handle({ type: 'KeepaliveReceived' });
  const a = f.handle({ type: 'TcpFails' });
  t.true(a.some((x) => x.type === 'timer' && x.timer === 'idleHold' && x.seconds === 1));
});

test('hold time 0 on either side means no keepalives and no hold timer', (t) => {
  const f = fsm();
  f.handle({ type: 'ManualStart' });
  f.handle({ type: 'TcpConnected' });
  t.deepEqual(types(f.handle({ type: 'OpenReceived', holdTime: 0 })), [
    'send-keepalive',
    'timer:hold=null',
    'timer:keepalive=null',
  ]);
});

test('manual stop in Established sends Cease/admin shutdown and stays down', (t) => {
  const f = fsm();
  f.handle({ type: 'ManualStart' });
  f.handle({ type: 'TcpConnected' });
  f.handle({ type: 'OpenReceived', holdTime: 9 });
  f.handle({ type: 'KeepaliveReceived' });
  const a = f.handle({ type: 'ManualStop' });
  t.like(a[0], { type: 'send-notification', notification: { code: 6, subcode: 2 } });
  t.false(types(a).some((x) => x.startsWith('timer:idleHold=') && !x.endsWith('null')));
  t.is(f.state, 'Idle');
  // The down carries the Cease we sent: no graceful-restart retention of the peer's paths.
  const down = a.find((x) => x.type === 'down');
  t.like(down, { wasEstablished: true, reason: { kind: 'admin-stop', cease: 2 } });
  t.deepEqual(down?.type === 'down' && downNotification(down.reason), { code: 6, subcode: 2, sent: true });
});

test('an UPDATE before Established is an FSM error with the state as subcode (RFC 6608)', (t) => {
  const f = fsm();
  f.handle({ type: 'ManualStart' });
  f.handle({ type: 'TcpConnected' });
  const a = f.handle({ type: 'UpdateReceived' });
  t.like(a[0], { type: 'send-notification', notification: { code: 5, subcode: 1 } });
  t.is(f.state, 'Idle');
});

test('DelayOpen: the peer OPEN arriving first is answered with OPEN and KEEPALIVE', (t) => {
  const f = fsm({ delayOpen: 2 });
  f.handle({ type: 'ManualStart' });
  t.deepEqual(types(f.handle({ type: 'TcpConnected' })), ['timer:connectRetry=null', 'timer:delayOpen=2']);
  const a = types(f.handle({ type: 'OpenReceived', holdTime: 9 }));
  t.deepEqual(a.slice(0, 3), ['timer:delayOpen=null', 'send-open', 'send-keepalive']);
  t.is(f.state, 'OpenConfirm');
});

test('a failed connection attempt retries on the ConnectRetry rhythm', (t) => {
  const f = fsm();
  f.handle({ type: 'ManualStart' });
  t.deepEqual(types(f.handle({ type: 'TcpFails' })), ['disconnect', 'timer:delayOpen=null', 'timer:connectRetry=1']);
  t.is(f.state, 'Active');
  t.true(types(f.handle({ type: 'ConnectRetryTimerExpires' })).includes('connect'));
  t.is(f.state, 'Connect');
});

test('a Cease from the peer does not grow the idle hold; the peer reaching out starts the back-off over', (t) => {
  const f = fsm();
  f.handle({ type: 'ManualStart' });
  const holdAfter = (code: number) => {
    f.handle({ type: 'TcpConnected' });
    const a = f.handle({ type: 'NotificationReceived', code, subcode: 2 });
    f.handle({ type: 'IdleHoldTimerExpires' });
    return (a.find((x) => x.type === 'timer' && x.timer === 'idleHold') as { seconds: number }).seconds;
  };
  // An administrative shutdown at the peer (Cease/2), over and over: we keep retrying every second.
  t.deepEqual([holdAfter(6), holdAfter(6), holdAfter(6)], [1, 1, 1]);
  // Real errors do grow it …
  t.deepEqual([holdAfter(2), holdAfter(2), holdAfter(2)], [1, 2, 4]);
  t.is(f.currentIdleHold, 8);
  // … until the peer connects to us: then the next wait is the initial one again.
  f.resetBackoff();
  t.is(f.currentIdleHold, 1);
});

test('why a session went down is data (DownReason); describeDown gives status and logs their text', (t) => {
  /** Brings a session to `state`, feeds `event`, and returns the reason of the 'down' action. */
  const downBy = (event: FsmEvent, state: 'OpenSent' | 'Established' = 'Established') => {
    const f = fsm();
    f.handle({ type: 'ManualStart' });
    f.handle({ type: 'TcpConnected' });
    if (state === 'Established') {
      f.handle({ type: 'OpenReceived', holdTime: 9 });
      f.handle({ type: 'KeepaliveReceived' });
    }
    const down = f.handle(event).find((a) => a.type === 'down');
    return down?.type === 'down' ? down.reason : undefined;
  };
  const received = downBy({ type: 'NotificationReceived', code: 6, subcode: 2, text: 'maintenance' })!;
  t.deepEqual(received, { kind: 'notification-received', code: 6, subcode: 2, text: 'maintenance' });
  t.is(describeDown(received), 'received NOTIFICATION 6/2 (administrative shutdown): "maintenance"');
  t.is(describeDown(downBy({ type: 'HoldTimerExpires' })!), 'hold timer expired (sent NOTIFICATION 4/0)');
  t.is(describeDown(downBy({ type: 'ManualStop' })!), 'administratively stopped');
  t.is(describeDown(downBy({ type: 'ManualStop', text: 'bye' })!), 'administratively stopped: "bye"');
  t.is(
    describeDown(downBy({ type: 'Cease', subcode: 1, restart: false })!),
    'sent NOTIFICATION 6/1 (maximum number of prefixes reached)',
  );
  t.is(describeDown(downBy({ type: 'MessageError', notification: { code: 3, subcode: 1 } })!), 'sent NOTIFICATION 3/1');
  t.is(describeDown(downBy({ type: 'UpdateReceived' }, 'OpenSent')!), 'unexpected UPDATE in OpenSent');
  t.is(describeDown(downBy({ type: 'TcpFails' })!), 'connection closed by peer');
});
