// One rtnetlink socket and the bookkeeping around it: sequence numbers, datagrams of many messages
// whose last message carries NLM_F_ACK as a barrier, errors mapped back to the message that caused
// them, and dumps. The socket is the `netlink` package's RawNetlinkSocket; created inside another
// namespace (netns.ts) it speaks to that namespace's kernel state for as long as it lives.
//
// Why a barrier is enough: the kernel handles a datagram synchronously inside sendmsg, message by
// message, and queues an error for every message that failed (with or without NLM_F_ACK) before
// the answer to the last one. When the barrier's answer arrives, every error of the datagram has.
import { constants } from 'node:os';
import netlink, { type RawNetlinkSocket } from 'netlink';
import { errnoOf, type NetlinkMessage } from './message-reader.js';
import type { MessageWriter } from './message-writer.js';
import { inNetns } from './netns.js';
import { NETLINK_ROUTE, NLM_F_DUMP_INTR, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN } from './rtnetlink.js';

/** Room for the answers of a full datagram of failures (the kernel echoes each failed request). */
const RECV_BUFFER = 8 << 20;
const SEND_BUFFER = 1 << 20;
const ANSWER_TIMEOUT_MS = 30_000;
/** Sequence numbers are u32; they start again from 1 below this. */
const SEQ_WRAP = 0xffff0000;

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

export const errnoName = (errno: number): string => ERRNO_NAMES.get(errno) ?? `errno ${errno}`;

export class NetlinkError extends Error {
  readonly code: string;
  constructor(
    readonly errno: number,
    what: string,
  ) {
    super(`${what}: ${errnoName(errno)}`);
    this.name = 'NetlinkError';
    this.code = errnoName(errno);
  }
}

export interface Answers {
  /** errno per sequence number, for the messages that failed. */
  errors: Map<number, number>;
  /** Non-error answers (e.g. to a GET) per sequence number. */
  replies: Map<number, NetlinkMessage[]>;
}

interface Pending {
  first: number;
  last: number;
  answers: Answers;
  /** For a dump: called with each message of it. */
  onMessage?: (msg: NetlinkMessage) => void;
  /** For a raw dump: called with each message's payload range in the datagram (no objects made). */
  onRaw?: (datagram: Buffer, start: number, end: number) => void;
  interrupted: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class NetlinkChannel {
  private readonly socket: RawNetlinkSocket;
  private seq = 1 + Math.floor(Math.random() * 0x3fffffff);
  private readonly pending: Pending[] = [];
  private dumpChain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(socket: RawNetlinkSocket) {
    this.socket = socket;
    socket.on('message', (datagram) => this.receive(datagram));
    // ENOBUFS: the kernel dropped answers (receive buffer full). Which ones is unknown, so every
    // waiting request fails and its caller re-reads the kernel.
    socket.on('error', (err) => this.failAll(new NetlinkError(err.errno ?? constants.errno.EIO, 'netlink socket')));
    socket.unref();
  }

  /**
   * A channel to the kernel of the namespace at `netnsPath`, or of our own namespace. The socket
   * is created synchronously while the thread is inside that namespace.
   */
  static open(netnsPath?: string): NetlinkChannel {
    const create = () =>
      new netlink.RawNetlinkSocket(NETLINK_ROUTE, { recvBufferSize: RECV_BUFFER, sendBufferSize: SEND_BUFFER });
    return new NetlinkChannel(netnsPath ? inNetns(netnsPath, create) : create());
  }

  /** The socket's real receive buffer (the kernel caps what we asked for at net.core.rmem_max). */
  get recvBufferSize(): number {
    return this.socket.getRecvBufferSize();
  }

  get sendBufferSize(): number {
    return this.socket.getSendBufferSize();
  }

  /** A fresh sequence number. */
  nextSeq(): number {
    if (this.seq >= SEQ_WRAP) this.seq = 1;
    return this.seq++;
  }

  /**
   * Makes the next `n` sequence numbers consecutive (wrapping the u32 early if needed): a
   * datagram's answers are matched by range, so one datagram must never straddle the wrap.
   */
  reserve(n: number): void {
    if (this.seq + n >= SEQ_WRAP) this.seq = 1;
  }

  /**
   * Sends everything in `writer` as one datagram with an ACK on its last message, and resolves when
   * that barrier is answered: with the errors and replies of every message in it.
   */
  transact(writer: MessageWriter): Promise<Answers> {
    if (writer.messages === 0) return Promise.resolve({ errors: new Map(), replies: new Map() });
    writer.ackLast();
    const [first, last] = writer.seqRange;
    const datagram = writer.take();
    return new Promise<Answers>((resolve, reject) => {
      const answers: Answers = { errors: new Map(), replies: new Map() };
      this.track({ first, last, answers, interrupted: false, resolve: () => resolve(answers), reject }, datagram);
    });
  }

  /**
   * Runs one dump (a single NLM_F_DUMP request in `writer`), calling `onMessage` with each entry.
   * Dumps on one socket run one at a time (the kernel refuses a second one with EBUSY). Resolves
   * with whether the kernel flagged the dump as interrupted by a change (NLM_F_DUMP_INTR).
   */
  dump(writer: MessageWriter, onMessage: (msg: NetlinkMessage) => void): Promise<{ interrupted: boolean }> {
    return this.runDump(writer, { onMessage });
  }

  /**
   * A dump whose entries are handed over as payload ranges of the received datagram, valid only
   * during the call: a full table is read without an object per route.
   */
  dumpRaw(
    writer: MessageWriter,
    onRaw: (datagram: Buffer, start: number, end: number) => void,
  ): Promise<{ interrupted: boolean }> {
    return this.runDump(writer, { onRaw });
  }

  private runDump(
    writer: MessageWriter,
    handler: Pick<Pending, 'onMessage' | 'onRaw'>,
  ): Promise<{ interrupted: boolean }> {
    const run = () =>
      new Promise<{ interrupted: boolean }>((resolve, reject) => {
        const [first, last] = writer.seqRange;
        const datagram = writer.take();
        const p: Pending = {
          first,
          last,
          answers: { errors: new Map(), replies: new Map() },
          ...handler,
          interrupted: false,
          resolve: () => resolve({ interrupted: p.interrupted }),
          reject,
          timer: undefined as unknown as NodeJS.Timeout,
        };
        this.track(p, datagram);
      });
    const result = this.dumpChain.then(run, run);
    this.dumpChain = result.catch(() => {});
    return result;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('netlink channel closed'));
    this.socket.close();
  }

  private track(p: Omit<Pending, 'timer'> & { timer?: NodeJS.Timeout }, datagram: Buffer): void {
    if (this.closed) {
      p.reject(new Error('netlink channel closed'));
      return;
    }
    const pending = p as Pending;
    pending.timer = setTimeout(() => {
      this.remove(pending);
      pending.reject(new NetlinkError(constants.errno.ETIMEDOUT, 'netlink answer'));
    }, ANSWER_TIMEOUT_MS);
    this.pending.push(pending);
    if (this.pending.length === 1) this.socket.ref();
    this.socket.send(datagram, undefined, (err) => {
      if (!err) return;
      this.remove(pending);
      pending.reject(new NetlinkError(err.errno ?? constants.errno.EIO, 'netlink send'));
    });
  }

  private remove(p: Pending): void {
    clearTimeout(p.timer);
    const i = this.pending.indexOf(p);
    if (i >= 0) this.pending.splice(i, 1);
    if (this.pending.length === 0 && !this.closed) this.socket.unref();
  }

  private failAll(err: Error): void {
    for (const p of [...this.pending]) {
      this.remove(p);
      p.reject(err);
    }
  }

  private receive(datagram: Buffer): void {
    // An exception thrown here would surface inside the package's native callback and abort the
    // process: everything is caught and turned into a rejection of the request it belongs to.
    let current: Pending | undefined;
    try {
      // messages are walked by offset: a dump of a full table is one callback per route, no objects
      let off = 0;
      while (off + NLMSG_HDRLEN <= datagram.length) {
        const len = datagram.readUInt32LE(off);
        if (len < NLMSG_HDRLEN || off + len > datagram.length) break;
        const type = datagram.readUInt16LE(off + 4);
        const flags = datagram.readUInt16LE(off + 6);
        const seq = datagram.readUInt32LE(off + 8);
        current = this.pendingFor(seq);
        if (current) {
          if (current.onRaw && type !== NLMSG_DONE && type !== NLMSG_ERROR) {
            if (flags & NLM_F_DUMP_INTR) current.interrupted = true;
            current.onRaw(datagram, off + NLMSG_HDRLEN, off + len);
          } else {
            // an answer to a request that already failed (ENOBUFS, time-out) finds no pending
            const msg = { type, flags, seq, payload: datagram.subarray(off + NLMSG_HDRLEN, off + len) };
            if (current.onMessage || current.onRaw) this.dumpMessage(current, msg);
            else this.answer(current, msg);
          }
        }
        off += (len + 3) & ~3;
      }
    } catch (err) {
      if (current) {
        this.remove(current);
        current.reject(err as Error);
      }
    }
  }

  private pendingFor(seq: number): Pending | undefined {
    for (const p of this.pending) if (seq >= p.first && seq <= p.last) return p;
    return undefined;
  }

  private answer(p: Pending, msg: NetlinkMessage): void {
    const errno = errnoOf(msg);
    if (errno === undefined) {
      const list = p.answers.replies.get(msg.seq);
      if (list) list.push(msg);
      else p.answers.replies.set(msg.seq, [msg]);
      return;
    }
    if (errno !== 0) p.answers.errors.set(msg.seq, errno);
    if (msg.seq === p.last) {
      this.remove(p);
      p.resolve();
    }
  }

  private dumpMessage(p: Pending, msg: NetlinkMessage): void {
    if (msg.flags & NLM_F_DUMP_INTR) p.interrupted = true;
    if (msg.type === NLMSG_DONE || msg.type === NLMSG_ERROR) {
      this.remove(p);
      // NLMSG_DONE carries the dump's own result; NLMSG_ERROR means it never started
      const errno = msg.payload.length >= 4 ? -msg.payload.readInt32LE(0) : 0;
      if (errno > 0) p.reject(new NetlinkError(errno, 'netlink dump'));
      else p.resolve();
      return;
    }
    p.onMessage!(msg);
  }
}
