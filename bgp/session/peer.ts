// One BGP neighbour: drives the pure FSM with a real TCP connection and real timers, checks the OPEN,
// negotiates capabilities, resolves connection collisions (RFC 4271 §6.8) and hands decoded UPDATEs,
// End-of-RIB and ROUTE-REFRESH to the speaker through events.
import { EventEmitter } from 'node:events';
import { closeSync } from 'node:fs';
import { isIPv6, Socket, connect as tcpConnect } from 'node:net';
import type {
  AddPathMode,
  AddressFamily,
  Logger,
  NegotiatedCapabilities,
  PeerStateName,
  SessionSocketOptions,
  SocketOptionsHook,
} from '../config.js';
import { compareAddresses } from '../rib/path.js';
import { AS_TRANS, MAX_EXTENDED_MESSAGE, MAX_MESSAGE } from '../wire/constants.js';
import { decodeMessage } from '../wire/decode.js';
import { MessageFramer } from '../wire/framer.js';
import { encodeKeepalive, encodeNotification } from '../wire/message.js';
import { familyOf } from '../wire/mp-reach.js';
import { CEASE_SUB, ERR, type Notify, notificationReason } from '../wire/notification.js';
import { encodeOpen } from '../wire/open.js';
import { checkOpen } from '../wire/open-check.js';
import type { Message, OpenMessage, UpdateMessage, WireContext } from '../wire/types.js';
import { CapabilityOffer } from './capabilities.js';
import { type DownReason, describeDown, downNotification } from './down-reason.js';
import { type FsmAction, type FsmConfig, type FsmEvent, SessionFsm, type TimerName } from './fsm.js';

/**
 * How long a second connection from a peer whose session is Established waits before it is closed
 * as a collision (§6.8), while the KEEPALIVE we sent on the old connection finds out whether that one
 * is still alive: a peer that restarted without graceful restart answers it with a TCP reset.
 */
const COLLISION_PROBE_MS = 1000;

export interface PeerSettings {
  address: string;
  port: number;
  asn: number;
  localAddress?: string;
  families: AddressFamily[];
  fsm: FsmConfig;
  /** Our graceful-restart capability for this peer, if any. */
  gracefulRestart?: { restartTime: number; restarting: boolean };
  /** RFC 8654 / RFC 7911 capabilities to offer (see PeerOptions). */
  extendedMessages?: boolean;
  /** RFC 8950: offer IPv4 routes with IPv6 next hops. */
  extendedNextHop?: boolean;
  addPaths?: AddPathMode;
  /** Present when the embedding program supplied a socket-options hook: what our sockets carry. */
  sockets?: { hook: SocketOptionsHook; options: SessionSocketOptions };
}

export interface LocalSettings {
  asn: number;
  routerId: string;
}

export interface PeerDown {
  reason: DownReason;
  wasEstablished: boolean;
  /** RFC 4724 §4.2: keep the peer's routes as stale (it has GR and the session ended without a NOTIFICATION). */
  keepStale: boolean;
}

interface Conn {
  socket: Socket;
  framer: MessageFramer;
  inbound: boolean;
  /** Collision candidate: its OPEN, once received. */
  open?: OpenMessage;
}

export const normalizeAddress = (a: string | undefined): string => (a ?? '').replace(/^::ffff:(?=\d+\.)/, '');

export class Peer extends EventEmitter {
  readonly fsm: SessionFsm;
  private conn: Conn | undefined;
  /** A second connection during OpenSent/OpenConfirm, kept until its OPEN decides the collision. */
  private candidate: Conn | undefined;
  private readonly timers = new Map<TimerName, NodeJS.Timeout>();
  remoteOpen: OpenMessage | undefined;
  negotiated: NegotiatedCapabilities | undefined;
  localAddressInUse: string | undefined;
  /** How this session's messages are decoded (and UPDATEs encoded): what the OPENs negotiated. */
  codecCtx: WireContext;
  counters = { messagesIn: 0, messagesOut: 0, updatesIn: 0, updatesOut: 0, flaps: 0 };
  lastError: string | undefined;
  /** The last NOTIFICATION the peer sent us, with its shutdown text (RFC 8203/9003) if any. */
  lastReceived: { code: number; subcode: number; text?: string; at: Date } | undefined;
  establishedAt: Date | undefined;
  private stopped = true;
  /** What our OPEN offers this peer, and what it agreed to. */
  private readonly capabilities: CapabilityOffer;

  constructor(
    public settings: PeerSettings,
    private readonly local: LocalSettings,
    private readonly log: Logger,
  ) {
    super();
    this.fsm = new SessionFsm(settings.fsm);
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
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
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

  /** A connection the listener accepted from this peer's address. */
  acceptIncoming(socket: Socket): void {
    const s = this.fsm.state;
    if (this.stopped) {
      socket.destroy();
      return;
    }
    this.fsm.resetBackoff();
    if (s === 'Idle') {
      // Waiting out the idle-hold: the peer is back, so start now instead of refusing it.
      this.feed({ type: 'IdleHoldTimerExpires' });
    }
    const now = this.fsm.state;
    if ((now === 'Connect' || now === 'Active') && !this.conn) {
      this.conn = this.wire(socket, true);
      this.feed({ type: 'TcpConnected' });
      return;
    }
    // Our own connection attempt is under way (both sides connect at once, the usual case): keep this
    // one aside; whichever fails or loses the §6.8 comparison goes.
    if (now === 'Connect' || now === 'Active' || now === 'OpenSent' || now === 'OpenConfirm') {
      this.dropCandidate();
      this.candidate = this.wire(socket, true);
      return;
    }
    if (now === 'Established') {
      // §6.8: an Established session wins over a new connection, unless the peer restarted. Keep the
      // new one until its OPEN says (RFC 4724 R bit), and probe the old one: a restarted peer's
      // kernel answers a KEEPALIVE on a dead connection with a reset (see onCandidateMessage).
      this.dropCandidate();
      this.candidate = this.wire(socket, true);
      this.send(encodeKeepalive());
      return;
    }
    // Stopped by max-prefix (no automatic restart): refuse until someone resets it.
    refuse(socket, encodeNotification(ERR.CEASE, CEASE_SUB.CONNECTION_REJECTED));
  }

  /**
   * Carries on with `conn` (the peer's connection) as the session's connection, from Active, as if it
   * had just connected; `open` is its OPEN if already received.
   */
  private adopt(conn: Conn, open: OpenMessage | undefined): void {
    if (this.candidate === conn) this.candidate = undefined;
    const before = this.fsm.state;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.fsm.state = 'Active';
    this.conn = conn;
    this.run(this.fsm.handle({ type: 'TcpConnected' }), before);
    if (open) this.onMessage(open);
  }

  /** Sends raw messages (already encoded). Returns false when the socket buffer is full. */
  send(buffers: Buffer | Buffer[]): boolean {
    const socket = this.conn?.socket;
    if (!socket || socket.destroyed) return false;
    let ok = true;
    for (const b of [buffers].flat()) {
      ok = socket.write(b);
      this.counters.messagesOut++;
    }
    return ok;
  }

  sendUpdates(buffers: Buffer[]): boolean {
    this.counters.updatesOut += buffers.length;
    return this.send(buffers);
  }

  /** Resolves when the socket can take more (or is gone). */
  drained(): Promise<void> {
    const socket = this.conn?.socket;
    if (!socket || socket.destroyed || !socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.once('drain', done);
      socket.once('close', done);
    });
  }

  /** Stops reading from the peer (TCP flow control) while the speaker catches up. */
  pauseInput(paused: boolean): void {
    const socket = this.conn?.socket;
    if (!socket) return;
    if (paused) socket.pause();
    else socket.resume();
  }

  private feed(event: FsmEvent): void {
    const before = this.fsm.state;
    const actions = this.fsm.handle(event);
    this.run(actions, before);
  }

  private run(actions: FsmAction[], before: PeerStateName): void {
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

  private connect(): void {
    // A retry (ConnectRetry expired in Connect, RFC 4271 §8.2.2) replaces our pending attempt: drop
    // it first, or both SYNs reach the peer and it takes them for a collision.
    const pending = this.conn;
    if (pending && !pending.inbound) {
      this.conn = undefined;
      pending.socket.destroy();
    }
    let socket: Socket;
    try {
      socket = this.openSocket();
    } catch (err) {
      // A socket option the kernel refused, or an address it cannot bind: say so, and let the
      // closed socket take the usual way back to the retry.
      this.lastError = `cannot open a connection: ${(err as Error).message}`;
      this.log.warn({ peer: this.settings.address, err: (err as Error).message }, 'cannot open a connection');
      socket = new Socket();
      setImmediate(() => socket.destroy());
    }
    const conn = this.wire(socket, false);
    this.conn = conn;
    socket.once('connect', () => {
      if (this.conn !== conn) return;
      this.feed({ type: 'TcpConnected' });
      const c = this.candidate;
      if (c?.open) this.onCandidateMessage(c, c.open);
    });
  }

  /** Our connection attempt: through the socket-options hook when there is one (options before the SYN). */
  private openSocket(): Socket {
    const { address, port, localAddress, sockets } = this.settings;
    if (!sockets) return tcpConnect({ host: address, port, localAddress, noDelay: true });
    const fd = sockets.hook.connecting(address, sockets.options);
    let socket: Socket;
    try {
      socket = new Socket({ fd });
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    socket.connect({ host: address, port, localAddress, noDelay: true });
    return socket;
  }

  /** Hooks a socket's bytes to the framer and the message handler. */
  private wire(socket: Socket, inbound: boolean): Conn {
    socket.setNoDelay(true);
    const conn: Conn = { socket, framer: new MessageFramer(), inbound };
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (err) => {
      this.log.debug({ peer: this.settings.address, err: err.message }, 'socket error');
      if (conn === this.conn) this.lastError = err.message;
    });
    socket.on('close', () => {
      if (this.candidate === conn) {
        this.candidate = undefined;
        return;
      }
      if (this.conn === conn) {
        this.conn = undefined;
        const c = this.candidate;
        if (c && (this.fsm.state === 'Connect' || this.fsm.state === 'Active')) {
          // Our attempt failed but the peer's connection is here: carry on with it.
          this.candidate = undefined;
          this.conn = c;
          this.feed({ type: 'TcpConnected' });
          if (c.open) this.onMessage(c.open);
          return;
        }
        this.feed({ type: 'TcpFails' });
        // The Established session's connection died while the peer's new one waited (our probe found
        // it dead: the peer restarted): go on with the new connection at once.
        if (c && this.candidate === c && this.fsm.state === 'Idle' && this.fsm.running && !this.stopped) {
          this.log.info({ peer: this.settings.address }, 'old connection gone: continuing on the new one');
          this.adopt(c, c.open);
        }
      }
    });
    return conn;
  }

  private dropCandidate(): void {
    if (!this.candidate) return;
    const c = this.candidate;
    this.candidate = undefined;
    c.socket.destroy();
  }

  private onData(conn: Conn, chunk: Buffer): void {
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

  private onMessage(msg: Message, treatAsWithdraw = false): void {
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

  /** §6.8: the connection opened by the side with the higher BGP Identifier survives. */
  private onCandidateMessage(conn: Conn, msg: Message | undefined): void {
    if (msg?.type !== 'open') {
      this.dropCandidate();
      return;
    }
    conn.open = msg;
    // Our SYN is still unanswered while the peer's connection already carries its OPEN (RFC 4271
    // §8.2.2, Connect: an incoming connection is used): drop our attempt and go on with theirs.
    // Waiting for ours kept the session down for good when our SYNs could not reach the peer (no
    // route back from our source address) although its connection to us was fine. Only one side can
    // get here: a peer that sent an OPEN on its own connection has that connection up.
    if (this.fsm.state === 'Connect' && this.conn && !this.conn.inbound && this.conn.socket.connecting) {
      const pending = this.conn;
      this.conn = undefined;
      pending.socket.destroy();
      this.adopt(conn, msg);
      return;
    }
    // Still connecting ourselves: decide once our attempt connects or fails.
    if (this.fsm.state === 'Connect' || this.fsm.state === 'Active') return;
    if (this.fsm.state === 'Established') {
      this.collisionWhileEstablished(conn, msg);
      return;
    }
    const remoteWins = compareAddresses(this.local.routerId, msg.bgpId) < 0;
    if (!remoteWins) {
      conn.socket.end(encodeNotification(ERR.CEASE, CEASE_SUB.COLLISION));
      this.candidate = undefined;
      return;
    }
    // The peer's connection (inbound) wins: close ours with Cease/collision and restart on theirs.
    this.send(encodeNotification(ERR.CEASE, CEASE_SUB.COLLISION));
    const old = this.conn;
    this.conn = undefined;
    old?.socket.end();
    this.adopt(conn, msg);
  }

  /**
   * A second connection's OPEN while the session is Established. The rule (RFC 4271 §6.8, RFC 4724
   * §4.2): the Established session wins and the new connection is closed with Cease/collision, unless
   * the peer restarted, which we believe only when the old connection turns out dead within
   * COLLISION_PROBE_MS (acceptIncoming sent a KEEPALIVE on it; a restarted peer's kernel answers with a
   * reset and the close handler adopts the new connection, keeping the peer's routes stale). The
   * graceful-restart R bit alone is not taken as proof: a router that has just started (FRR) sets it in
   * every OPEN while both sides still dial each other, and replacing the running session then made
   * it flap at start.
   */
  private collisionWhileEstablished(conn: Conn, open: OpenMessage): void {
    if (open.capabilities.some((c) => c.kind === 'graceful-restart' && c.restarting)) {
      this.log.debug(
        { peer: this.settings.address },
        'second OPEN has the R bit: replacing only if the old connection is dead',
      );
    }
    setTimeout(() => {
      if (this.candidate !== conn || this.fsm.state !== 'Established') return;
      this.log.debug({ peer: this.settings.address }, 'second connection closed: the Established session wins');
      this.candidate = undefined;
      conn.socket.end(encodeNotification(ERR.CEASE, CEASE_SUB.COLLISION));
    }, COLLISION_PROBE_MS).unref();
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

/**
 * Closes a connection we never read from with a last message. Reading is switched on, or the peer's
 * FIN would never be seen and the half-closed socket would keep the listener from closing.
 */
function refuse(socket: Socket, last: Buffer): void {
  socket.on('error', () => {});
  socket.resume();
  socket.end(last);
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** RFC 8203: the shutdown communication is a length byte and up to 255 bytes of UTF-8. */
function shutdownData(message: string): Uint8Array {
  const text = Buffer.from(message, 'utf8').subarray(0, 255);
  return Buffer.concat([Buffer.from([text.length]), text]);
}
