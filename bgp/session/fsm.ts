// The RFC 4271 §8 session state machine as a pure function of (state, event) → (state, actions).
// It owns no socket and no clock: the peer driver turns its actions into TCP and setTimeout calls and
// feeds back what happened, so every transition is testable without a network.

import { CEASE_SUB, ERR, FSM_SUB, type Notify } from '../wire/notification.js';
import type { DownReason } from './down-reason.js';

export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export type TimerName = 'connectRetry' | 'hold' | 'keepalive' | 'delayOpen' | 'idleHold';

export type FsmEvent =
  | { type: 'ManualStart' }
  | { type: 'ManualStop'; subcode?: number; data?: Uint8Array; text?: string }
  | { type: 'ConnectRetryTimerExpires' }
  | { type: 'HoldTimerExpires' }
  | { type: 'KeepaliveTimerExpires' }
  | { type: 'DelayOpenTimerExpires' }
  | { type: 'IdleHoldTimerExpires' }
  /** A TCP connection is up, ours or the peer's (Events 16/17). */
  | { type: 'TcpConnected' }
  | { type: 'TcpFails' }
  /** A valid OPEN (checked by the driver), with the peer's hold time. */
  | { type: 'OpenReceived'; holdTime: number }
  /** A bad header or OPEN, or a fatal UPDATE error: answer with this NOTIFICATION and reset. */
  | { type: 'MessageError'; notification: Notify }
  /** `text`: the peer's RFC 8203/9003 shutdown communication, if it sent one. */
  | { type: 'NotificationReceived'; code: number; subcode: number; text?: string }
  | { type: 'KeepaliveReceived' }
  | { type: 'UpdateReceived' }
  /** Something the driver decided ends the session (max-prefix, de-configuration, collision). */
  | { type: 'Cease'; subcode: number; data?: Uint8Array; text?: string; restart: boolean };

export type FsmAction =
  | { type: 'connect' }
  | { type: 'disconnect' }
  | { type: 'send-open' }
  | { type: 'send-keepalive' }
  | { type: 'send-notification'; notification: Notify }
  /** Start (seconds) or stop (null) a timer. */
  | { type: 'timer'; timer: TimerName; seconds: number | null }
  | { type: 'established'; holdTime: number; keepalive: number }
  /** The session left Established (or a setup attempt failed), and why. */
  | { type: 'down'; reason: DownReason; wasEstablished: boolean };

export interface FsmConfig {
  passive: boolean;
  /** Seconds between connection attempts (RFC 4271 §10 suggests 120; tests use 1). */
  connectRetry: number;
  /** Our proposed hold time; 0 disables keepalives (RFC 4271 §4.2). */
  holdTime: number;
  /** Keepalive interval; default a third of the negotiated hold time (§10). */
  keepalive?: number;
  /** Seconds to wait for the peer's OPEN before sending ours (§8.1.1 DelayOpen); 0 = off. */
  delayOpen: number;
  /** First idle-hold time after an error; doubles on each further error (§8.1.1 DampPeerOscillations). */
  idleHold: number;
  idleHoldMax: number;
}

/** §8.2.2: "a large value" for the HoldTimer while waiting for the OPEN (suggested 4 minutes). */
export const OPEN_HOLD_TIME = 240;

export const DEFAULT_FSM_CONFIG: FsmConfig = {
  passive: false,
  connectRetry: 120,
  holdTime: 90,
  delayOpen: 0,
  idleHold: 1,
  idleHoldMax: 60,
};

export class SessionFsm {
  state: SessionState = 'Idle';
  /** True between ManualStart and ManualStop: errors lead back here through the idle-hold timer. */
  private isRunning = false;
  private delayOpenRunning = false;
  private idleHold: number;
  negotiatedHold = 0;
  negotiatedKeepalive = 0;

  constructor(public config: FsmConfig) {
    this.idleHold = config.idleHold;
  }

  /** True between ManualStart and ManualStop (or a Cease without restart). */
  get running(): boolean {
    return this.isRunning;
  }

  /** The idle hold the next error would wait (seconds); grows with consecutive errors. */
  get currentIdleHold(): number {
    return this.idleHold;
  }

  /**
   * The peer reached out to us (an incoming connection): whatever failed before, it is back, so the
   * back-off starts over instead of making it wait out an idle hold grown while it was away.
   */
  resetBackoff(): void {
    this.idleHold = this.config.idleHold;
  }

  /** Feeds one event; returns the actions to carry out, in order. */
  handle(event: FsmEvent): FsmAction[] {
    const a: FsmAction[] = [];
    const s = this.state;
    switch (event.type) {
      case 'ManualStart':
        if (s === 'Idle') {
          this.isRunning = true;
          this.idleHold = this.config.idleHold;
          this.start(a);
        }
        return a;
      case 'IdleHoldTimerExpires':
        if (s === 'Idle' && this.isRunning) this.start(a);
        return a;
      case 'ManualStop':
        this.isRunning = false;
        if (s === 'Idle') {
          a.push({ type: 'timer', timer: 'idleHold', seconds: null });
          return a;
        }
        if (s === 'OpenSent' || s === 'OpenConfirm' || s === 'Established') {
          const subcode = event.subcode ?? CEASE_SUB.ADMIN_SHUTDOWN;
          a.push({ type: 'send-notification', notification: { code: ERR.CEASE, subcode, data: event.data } });
          // A session we close with a NOTIFICATION is no restart: the peer's paths go at once, not
          // kept stale for its restart time (RFC 4724 §4.2 covers only a session ended without one).
          // A BFD Down (RFC 5882) ends the session this way, so its routes are withdrawn at once.
          this.toIdle(a, { kind: 'admin-stop', message: event.text, cease: subcode }, false);
        } else this.toIdle(a, { kind: 'admin-stop', message: event.text }, false);
        return a;
      case 'Cease':
        if (s === 'Idle') return a;
        if (s === 'OpenSent' || s === 'OpenConfirm' || s === 'Established')
          a.push({
            type: 'send-notification',
            notification: { code: ERR.CEASE, subcode: event.subcode, data: event.data },
          });
        if (!event.restart) this.isRunning = false;
        this.toIdle(a, { kind: 'notification-sent', code: ERR.CEASE, subcode: event.subcode, text: event.text }, false);
        return a;
      case 'ConnectRetryTimerExpires':
        if (s === 'Connect' || s === 'Active') {
          a.push({ type: 'disconnect' });
          if (!this.config.passive) {
            a.push({ type: 'connect' });
            this.go('Connect');
          }
          a.push({ type: 'timer', timer: 'connectRetry', seconds: this.config.connectRetry });
          this.delayOpenRunning = false;
        }
        return a;
      case 'TcpConnected':
        if (s === 'Connect' || s === 'Active') {
          a.push({ type: 'timer', timer: 'connectRetry', seconds: null });
          if (this.config.delayOpen > 0) {
            this.delayOpenRunning = true;
            a.push({ type: 'timer', timer: 'delayOpen', seconds: this.config.delayOpen });
          } else {
            a.push({ type: 'send-open' }, { type: 'timer', timer: 'hold', seconds: OPEN_HOLD_TIME });
            this.go('OpenSent');
          }
        }
        return a;
      case 'DelayOpenTimerExpires':
        if ((s === 'Connect' || s === 'Active') && this.delayOpenRunning) {
          this.delayOpenRunning = false;
          a.push({ type: 'send-open' }, { type: 'timer', timer: 'hold', seconds: OPEN_HOLD_TIME });
          this.go('OpenSent');
        }
        return a;
      case 'TcpFails':
        if (s === 'Connect' || s === 'Active') {
          // Keep trying on the ConnectRetry rhythm (§8.2.2 Connect/Active, Event 18).
          this.delayOpenRunning = false;
          a.push(
            { type: 'disconnect' },
            { type: 'timer', timer: 'delayOpen', seconds: null },
            { type: 'timer', timer: 'connectRetry', seconds: this.config.connectRetry },
          );
          this.go('Active');
        } else if (s !== 'Idle') {
          this.toIdle(a, { kind: 'connection-closed' }, false);
        }
        return a;
      case 'OpenReceived':
        return this.onOpen(event.holdTime, a);
      case 'KeepaliveReceived':
        if (s === 'OpenConfirm') {
          this.go('Established');
          this.idleHold = this.config.idleHold;
          if (this.negotiatedHold > 0) a.push({ type: 'timer', timer: 'hold', seconds: this.negotiatedHold });
          a.push({ type: 'established', holdTime: this.negotiatedHold, keepalive: this.negotiatedKeepalive });
        } else if (s === 'Established') {
          if (this.negotiatedHold > 0) a.push({ type: 'timer', timer: 'hold', seconds: this.negotiatedHold });
        } else this.fsmError(a, 'KEEPALIVE');
        return a;
      case 'UpdateReceived':
        if (s === 'Established') {
          if (this.negotiatedHold > 0) a.push({ type: 'timer', timer: 'hold', seconds: this.negotiatedHold });
        } else this.fsmError(a, 'UPDATE');
        return a;
      case 'KeepaliveTimerExpires':
        if (s === 'OpenConfirm' || s === 'Established') {
          a.push({ type: 'send-keepalive' });
          if (this.negotiatedKeepalive > 0)
            a.push({ type: 'timer', timer: 'keepalive', seconds: this.negotiatedKeepalive });
        }
        return a;
      case 'HoldTimerExpires':
        if (s === 'OpenSent' || s === 'OpenConfirm' || s === 'Established') {
          a.push({ type: 'send-notification', notification: { code: ERR.HOLD_TIMER, subcode: 0 } });
          this.toIdle(a, { kind: 'hold-timer-expired' }, true);
        }
        return a;
      case 'MessageError':
        if (s === 'Idle') return a;
        a.push({ type: 'send-notification', notification: event.notification });
        this.toIdle(
          a,
          { kind: 'notification-sent', code: event.notification.code, subcode: event.notification.subcode },
          true,
        );
        return a;
      case 'NotificationReceived':
        if (s === 'Idle') return a;
        // A Cease is the peer's decision (shutdown, reset, collision), not a failing session: it does
        // not grow the back-off, or a peer back from maintenance would find us waiting (§8.1.1).
        this.toIdle(
          a,
          { kind: 'notification-received', code: event.code, subcode: event.subcode, text: event.text },
          event.code !== ERR.CEASE,
        );
        return a;
    }
  }

  private onOpen(peerHold: number, a: FsmAction[]): FsmAction[] {
    const s = this.state;
    const negotiate = () => {
      // §4.2: the smaller of the two hold times; 0 means no keepalives at all.
      this.negotiatedHold = Math.min(this.config.holdTime, peerHold);
      const ka = this.config.keepalive ?? Math.floor(this.negotiatedHold / 3);
      this.negotiatedKeepalive =
        this.negotiatedHold === 0 ? 0 : Math.max(1, Math.min(ka, Math.floor(this.negotiatedHold / 3)));
    };
    if (s === 'OpenSent') {
      negotiate();
      a.push({ type: 'send-keepalive' });
      this.armTimers(a);
      this.go('OpenConfirm');
    } else if ((s === 'Connect' || s === 'Active') && this.delayOpenRunning) {
      // §8.2.2 Event 20 with DelayOpenTimer running: answer with OPEN and KEEPALIVE at once.
      this.delayOpenRunning = false;
      negotiate();
      a.push({ type: 'timer', timer: 'delayOpen', seconds: null }, { type: 'send-open' }, { type: 'send-keepalive' });
      this.armTimers(a);
      this.go('OpenConfirm');
    } else this.fsmError(a, 'OPEN');
    return a;
  }

  private armTimers(a: FsmAction[]): void {
    a.push({ type: 'timer', timer: 'hold', seconds: this.negotiatedHold > 0 ? this.negotiatedHold : null });
    a.push({
      type: 'timer',
      timer: 'keepalive',
      seconds: this.negotiatedKeepalive > 0 ? this.negotiatedKeepalive : null,
    });
  }

  /** An unexpected message: RFC 6608 FSM error with the state as subcode. */
  private fsmError(a: FsmAction[], message: 'OPEN' | 'KEEPALIVE' | 'UPDATE'): void {
    const s = this.state;
    if (s === 'Idle') return;
    const subcode =
      s === 'OpenSent'
        ? FSM_SUB.IN_OPENSENT
        : s === 'OpenConfirm'
          ? FSM_SUB.IN_OPENCONFIRM
          : s === 'Established'
            ? FSM_SUB.IN_ESTABLISHED
            : FSM_SUB.UNSPECIFIED;
    if (s === 'OpenSent' || s === 'OpenConfirm' || s === 'Established')
      a.push({ type: 'send-notification', notification: { code: ERR.FSM, subcode } });
    this.toIdle(a, { kind: 'unexpected-message', message, state: s, subcode }, true);
  }

  private start(a: FsmAction[]): void {
    a.push({ type: 'timer', timer: 'idleHold', seconds: null });
    a.push({ type: 'timer', timer: 'connectRetry', seconds: this.config.connectRetry });
    if (this.config.passive) this.go('Active');
    else {
      a.push({ type: 'connect' });
      this.go('Connect');
    }
  }

  /** `error`: a protocol or configuration error, which doubles the next idle hold (damping). */
  private toIdle(a: FsmAction[], reason: DownReason, error: boolean): void {
    const wasEstablished = this.state === 'Established';
    for (const timer of ['connectRetry', 'hold', 'keepalive', 'delayOpen'] as const)
      a.push({ type: 'timer', timer, seconds: null });
    a.push({ type: 'disconnect' });
    a.push({ type: 'down', reason, wasEstablished });
    this.delayOpenRunning = false;
    this.negotiatedHold = 0;
    this.negotiatedKeepalive = 0;
    this.go('Idle');
    if (this.isRunning) {
      // Automatic restart after an idle hold that grows with each consecutive error.
      a.push({ type: 'timer', timer: 'idleHold', seconds: this.idleHold });
      if (error) this.idleHold = Math.min(this.config.idleHoldMax, this.idleHold * 2);
    }
  }

  private go(state: SessionState): void {
    this.state = state;
  }
}
