// Which TCP connection carries a peer's session: our own attempt (through the socket-options hook
// when there is one), the peer's incoming one, or — when both exist — the one RFC 4271 §6.8 collision
// resolution keeps; and the bytes out. Peer (peer.ts) builds on this with the FSM and the messages.
import { EventEmitter } from 'node:events';
import { closeSync } from 'node:fs';
import { Socket, connect as tcpConnect } from 'node:net';
import type { Logger } from '../config.js';
import { compareAddresses } from '../prefix.js';
import { MessageFramer } from '../wire/framer.js';
import { encodeKeepalive, encodeNotification } from '../wire/message.js';
import { CEASE_SUB, ERR } from '../wire/notification.js';
import type { Message, OpenMessage } from '../wire/types.js';
import type { PackedUpdates } from '../wire/update-encode.js';
import type { FsmAction, FsmEvent, SessionFsm } from './fsm.js';
import type { LocalSettings, PeerSettings } from './peer-settings.js';

/**
 * How long a second connection from a peer whose session is Established waits before it is closed
 * as a collision (§6.8), while the KEEPALIVE we sent on the old connection finds out whether that one
 * is still alive: a peer that restarted without graceful restart answers it with a TCP reset.
 */
const COLLISION_PROBE_MS = 1000;

export interface Conn {
  socket: Socket;
  framer: MessageFramer;
  inbound: boolean;
  /** Collision candidate: its OPEN, once received. */
  open?: OpenMessage;
}

export abstract class PeerConnections extends EventEmitter {
  /** The session's connection. */
  protected conn: Conn | undefined;
  /** A second connection during OpenSent/OpenConfirm, kept until its OPEN decides the collision. */
  protected candidate: Conn | undefined;
  /** True while stopped by stop() (admin shutdown, removal) rather than by an error. */
  protected stopped = true;
  counters = { messagesIn: 0, messagesOut: 0, updatesIn: 0, updatesOut: 0, flaps: 0 };
  lastError: string | undefined;

  constructor(
    public settings: PeerSettings,
    protected readonly local: LocalSettings,
    protected readonly log: Logger,
    readonly fsm: SessionFsm,
  ) {
    super();
  }

  /** Feeds one FSM event and carries out its actions. */
  protected abstract feed(event: FsmEvent): void;
  /** Carries out FSM actions (`before`: the state they were decided in). */
  protected abstract run(actions: FsmAction[], before: SessionFsm['state']): void;
  protected abstract clearTimers(): void;
  /** Bytes from the connection `conn`. */
  protected abstract onData(conn: Conn, chunk: Buffer): void;
  /** A message on the session's connection. */
  protected abstract onMessage(msg: Message): void;

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
  protected adopt(conn: Conn, open: OpenMessage | undefined): void {
    if (this.candidate === conn) this.candidate = undefined;
    const before = this.fsm.state;
    this.clearTimers();
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

  /** A batch of UPDATEs packed back to back: one socket write, however many messages. */
  sendUpdates(packed: PackedUpdates): boolean {
    const socket = this.conn?.socket;
    if (!socket || socket.destroyed) return false;
    this.counters.updatesOut += packed.count;
    this.counters.messagesOut += packed.count;
    return packed.count === 0 || socket.write(packed.bytes);
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

  protected connect(): void {
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
  protected openSocket(): Socket {
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
  protected wire(socket: Socket, inbound: boolean): Conn {
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

  protected dropCandidate(): void {
    if (!this.candidate) return;
    const c = this.candidate;
    this.candidate = undefined;
    c.socket.destroy();
  }

  /** §6.8: the connection opened by the side with the higher BGP Identifier survives. */
  protected onCandidateMessage(conn: Conn, msg: Message | undefined): void {
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
  protected collisionWhileEstablished(conn: Conn, open: OpenMessage): void {
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
