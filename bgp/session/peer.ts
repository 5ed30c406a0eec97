// One BGP neighbour: drives the pure FSM (fsm.ts) with real timers over the connection connections.ts
// keeps, decodes what arrives with bgp/wire, checks the OPEN, negotiates capabilities and hands
// UPDATEs and ROUTE-REFRESH to the speaker through events.
import { isIPv6 } from 'node:net';
import type { Logger, NegotiatedCapabilities, PeerStateName } from '../config.js';
import { AS_TRANS, MAX_EXTENDED_MESSAGE, MAX_MESSAGE } from '../wire/constants.js';
import { decodeMessage } from '../wire/decode.js';
import { encodeKeepalive, encodeNotification } from '../wire/message.js';
import { familyOf } from '../wire/mp-reach.js';
import { CEASE_SUB, ERR, type Notify, notificationReason } from '../wire/notification.js';
import { encodeOpen } from '../wire/open.js';
import { checkOpen } from '../wire/open-check.js';
import type { Message, OpenMessage, UpdateMessage, WireContext } from '../wire/types.js';
import { CapabilityOffer } from './capabilities.js';
import { type Conn, PeerConnections } from './connections.js';
import { describeDown, downNotification } from './down-reason.js';
import { type FsmAction, type FsmEvent, SessionFsm, type TimerName } from './fsm.js';
import {
  type LocalSettings,
  normalizeAddress,
  type PeerDown,
  type PeerSettings,
  shutdownData,
} from './peer-settings.js';

export { normalizeAddress, type PeerDown } from './peer-settings.js';

export class Peer extends PeerConnections {
  private readonly timers = new Map<TimerName, NodeJS.Timeout>();
  remoteOpen: OpenMessage | undefined;
  negotiated: NegotiatedCapabilities | undefined;
  localAddressInUse: string | undefined;
  /** How this session's messages are decoded (and UPDATEs encoded): what the OPENs negotiated. */
  codecCtx: WireContext;
  /** The last NOTIFICATION the peer sent us, with its shutdown text (RFC 8203/9003) if any. */
  lastReceived: { code: number; subcode: number; text?: string; at: Date } | undefined;
  establishedAt: Date | undefined;
  /** What our OPEN offers this peer, and what it agreed to. */
  private readonly capabilities: CapabilityOffer;

  constructor(settings: PeerSettings, local: LocalSettings, log: Logger) {
    super(settings, local, log, new SessionFsm(settings.fsm));
    this.codecCtx = { fourOctetAs: true, ebgp: settings.asn !== local.asn, wireNlri: true };
    this.capabilities = new CapabilityOffer({
      asn: local.asn,
      families: settings.families,
      gracefulRestart: settings.gracefulRestart,
      extendedMessages: settings.extendedMessages,
      extendedNextHop: settings.extendedNextHop,
      addPaths: settings.addPaths,
    });
  }

  get state(): PeerStateName {
    return this.fsm.state;
  }

  get ebgp(): boolean {
    return this.settings.asn !== this.local.asn;
  }

  start(): void {
    this.stopped = false;
    this.feed({ type: 'ManualStart' });
  }

  /** Ends the session with Cease (admin shutdown by default, RFC 8203 message) and stays down. */
  stop(subcode?: number, message?: string): void {
    this.stopped = true;
    const data = message ? shutdownData(message) : undefined;
    this.feed({ type: 'ManualStop', subcode, data, text: message });
    this.dropCandidate();
    this.clearTimers();
  }

  /** Ends the session with a Cease the speaker decided (max-prefix...); `restart` re-arms the idle-hold timer. */
  cease(subcode: number, restart: boolean, message?: string): void {
    this.feed({ type: 'Cease', subcode, restart, data: message ? shutdownData(message) : undefined, text: message });
  }

  /** True while the peer is stopped by stop() (admin shutdown, removal) rather than by an error. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Changes timers for the next connection and OPEN; the running session keeps what it negotiated. */
  setTimers(timers: { holdTime: number; keepalive?: number; connectRetry: number }): void {
    this.settings.fsm.holdTime = timers.holdTime;
    this.settings.fsm.keepalive = timers.keepalive;
    this.settings.fsm.connectRetry = timers.connectRetry;
  }

  protected clearTimers(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  protected feed(event: FsmEvent): void {
    const before = this.fsm.state;
    const actions = this.fsm.handle(event);
    this.run(actions, before);
  }

  protected run(actions: FsmAction[], before: PeerStateName): void {
    let downInfo: PeerDown | undefined;
    for (const a of actions) {
      switch (a.type) {
        case 'connect':
          this.connect();
          break;
        case 'disconnect':
          if (this.conn) {
            const socket = this.conn.socket;
            this.conn = undefined;
            if (socket.connecting) {
              // Not connected yet: end() would wait for the SYN-ACK and then open a session we
              // have already given up on, beside the retry.
              if (!this.stopped)
                this.lastError = `no answer from ${this.settings.address} port ${this.settings.port} within the connect retry time (${this.settings.fsm.connectRetry} s)`;
              socket.destroy();
            } else {
              // Let a NOTIFICATION written just before reach the peer.
              socket.end();
              setTimeout(() => socket.destroy(), 1000).unref();
            }
          }
          break;
        case 'send-open':
          this.sendOpen(this.conn);
          break;
        case 'send-keepalive':
          this.send(encodeKeepalive());
          break;
        case 'send-notification':
          this.send(encodeNotification(a.notification.code, a.notification.subcode, a.notification.data));
          this.lastError = `sent NOTIFICATION ${a.notification.code}/${a.notification.subcode}`;
          break;
        case 'timer':
          this.setTimer(a.timer, a.seconds);
          break;
        case 'established':
          this.establishedAt = new Date();
          // What the peer said when it last closed the session is history now.
          this.lastReceived = undefined;
          if (this.negotiated) {
            this.negotiated.holdTime = a.holdTime;
            this.negotiated.keepalive = a.keepalive;
          }
          break;
        case 'down': {
          const gr = this.negotiated?.gracefulRestart;
          downInfo = {
            reason: a.reason,
            wasEstablished: a.wasEstablished,
            keepStale: a.wasEstablished && gr !== undefined && downNotification(a.reason) === undefined,
          };
          if (downNotification(a.reason)) this.lastError = describeDown(a.reason);
          if (a.wasEstablished) this.counters.flaps++;
          break;
        }
      }
    }
    const after = this.fsm.state;
    if (after !== before) {
      this.emit('state', before, after, downInfo?.reason);
      if (after === 'Established') this.emit('established');
    }
    if (downInfo) {
      this.establishedAt = undefined;
      if (downInfo.wasEstablished) this.emit('down', downInfo);
      this.negotiated = undefined;
      this.remoteOpen = undefined;
    }
  }

  private setTimer(name: TimerName, seconds: number | null): void {
    const old = this.timers.get(name);
    if (old) clearTimeout(old);
    this.timers.delete(name);
    if (seconds === null) return;
    const event: FsmEvent['type'] = (
      {
        connectRetry: 'ConnectRetryTimerExpires',
        hold: 'HoldTimerExpires',
        keepalive: 'KeepaliveTimerExpires',
        delayOpen: 'DelayOpenTimerExpires',
        idleHold: 'IdleHoldTimerExpires',
      } as const
    )[name];
    const t = setTimeout(() => {
      this.timers.delete(name);
      this.feed({ type: event } as FsmEvent);
    }, seconds * 1000);
    this.timers.set(name, t);
  }

  protected onData(conn: Conn, chunk: Buffer): void {
    const frames = conn.framer.push(chunk);
    if (!Array.isArray(frames)) {
      if (conn === this.conn) this.refuseMessage(frames.notification, frames.error);
      else conn.socket.destroy();
      return;
    }
    for (const frame of frames) {
      if (conn !== this.conn && conn !== this.candidate) return;
      const d = decodeMessage(frame, this.codecCtx);
      if (conn === this.candidate) {
        this.onCandidateMessage(conn, d.message);
        continue;
      }
      this.counters.messagesIn++;
      if (d.action === 'session-reset' || !d.message) {
        const reason = d.errors.join('; ');
        this.log.warn({ peer: this.settings.address, reason }, 'bad message from peer');
        this.refuseMessage(d.notification ?? { code: ERR.UPDATE, subcode: 0 }, reason);
        return;
      }
      // RFC 7606 §8: errors handled without a reset are logged.
      if (d.errors.length)
        this.log.debug({ peer: this.settings.address, action: d.action, errors: d.errors }, 'UPDATE errors handled');
      this.onMessage(d.message, d.action === 'treat-as-withdraw');
    }
  }

  /** The one way a received message is refused: its NOTIFICATION goes out, the session resets. */
  private refuseMessage(notification: Notify, error: string): void {
    this.feed({ type: 'MessageError', notification });
    this.lastError = `${this.lastError}: ${error}`;
  }

  protected onMessage(msg: Message, treatAsWithdraw = false): void {
    switch (msg.type) {
      case 'open': {
        const problem = checkOpen(msg, {
          peerAs: this.settings.asn,
          localId: this.local.routerId,
          ebgp: this.ebgp,
        });
        if (problem) {
          this.refuseMessage(problem.notification, problem.error);
          return;
        }
        this.remoteOpen = msg;
        this.negotiate(msg);
        this.feed({ type: 'OpenReceived', holdTime: msg.holdTime });
        return;
      }
      case 'keepalive':
        this.feed({ type: 'KeepaliveReceived' });
        return;
      case 'notification': {
        const { code, subcode } = msg;
        const text = msg.shutdownCommunication;
        this.lastReceived = { code, subcode, text, at: new Date() };
        this.lastError = notificationReason(code, subcode, text);
        if (text !== undefined)
          this.log.warn({ peer: this.settings.address, code, subcode, message: text }, 'peer sent a shutdown message');
        // §6.8 decided by the peer: our connection lost, theirs is waiting here. Go on with it.
        const c = this.candidate;
        if (code === ERR.CEASE && subcode === CEASE_SUB.COLLISION && c && this.fsm.state !== 'Established') {
          const old = this.conn;
          this.conn = undefined;
          old?.socket.destroy();
          this.adopt(c, c.open);
          return;
        }
        if (code === ERR.OPEN && this.capabilities.refused(subcode, Buffer.from(msg.data, 'hex')))
          this.log.warn(
            { peer: this.settings.address, offer: this.capabilities.offer() },
            'peer refused our capabilities: the next OPEN leaves them out',
          );
        this.feed({ type: 'NotificationReceived', code, subcode, text });
        return;
      }
      case 'update':
        this.counters.updatesIn++;
        this.feed({ type: 'UpdateReceived' });
        if (this.fsm.state === 'Established') this.emit('update', msg satisfies UpdateMessage, treatAsWithdraw);
        return;
      case 'route-refresh':
        if (this.fsm.state === 'Established') this.emit('refresh', familyOf(msg.afi, msg.safi), msg.subtype);
        return;
    }
  }

  private negotiate(open: OpenMessage): void {
    const neg = this.capabilities.negotiate(open.capabilities);
    this.negotiated = neg;
    const rx = neg.addPathReceive;
    this.codecCtx = {
      fourOctetAs: neg.fourOctetAs,
      ebgp: this.ebgp,
      extendedMessage: neg.extendedMessage,
      addPath: rx.length ? { ipv4: rx.includes('ipv4'), ipv6: rx.includes('ipv6') } : undefined,
      wireNlri: true,
    };
    if (this.conn) this.conn.framer.maxLength = neg.extendedMessage ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE;
  }

  private sendOpen(conn: Conn | undefined): void {
    if (!conn) return;
    this.localAddressInUse = normalizeAddress(conn.socket.localAddress);
    const asn = this.local.asn;
    const buf = encodeOpen({
      // RFC 6793 §4.1: a 4-octet AS travels in its capability, with AS_TRANS in the 2-octet field.
      myAs: asn > 0xffff ? AS_TRANS : asn,
      holdTime: this.settings.fsm.holdTime,
      bgpId: this.local.routerId,
      capabilities: this.capabilities.offer(),
    });
    conn.socket.write(buf);
    this.counters.messagesOut++;
  }

  /** Our address on the session for next hop self (IPv4 and IPv6). */
  selfAddresses(localAddress6?: string): { ipv4?: string; ipv6?: string } {
    // A link-local session address comes with its interface ("fe80::1%eth1"): the next hop is the address.
    const local = (this.localAddressInUse ?? this.settings.localAddress)?.replace(/%.*$/, '');
    if (!local) return {};
    // RFC 8950: with the capability on both sides, IPv4 routes take our IPv6 address as next hop too.
    if (isIPv6(local)) return { ipv6: local, ipv4: this.negotiated?.extendedNextHop ? local : undefined };
    return { ipv4: local, ipv6: localAddress6 ?? `::ffff:${local}` };
  }
}
