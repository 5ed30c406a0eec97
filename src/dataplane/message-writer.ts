// Netlink messages written straight into one buffer: a header, a fixed family struct, then
// type-length-value attributes aligned to 4 bytes (linux/netlink.h NLMSG_ALIGN, NLA_ALIGN). Many
// messages go into one buffer, which is sent as one datagram: the kernel handles them in order.
import { NLM_F_ACK, NLMSG_HDRLEN } from './rtnetlink.js';

const align4 = (n: number) => (n + 3) & ~3;

export class MessageWriter {
  private buf: Buffer;
  private off = 0;
  private msgStart = -1;
  private msgSeq = 0;
  private lastStart = -1;
  private count = 0;
  private firstSeq = 0;
  private lastSeq = 0;

  constructor(capacity = 1 << 16) {
    this.buf = Buffer.alloc(capacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.off;
  }

  /** Messages completed so far. */
  get messages(): number {
    return this.count;
  }

  /** Sequence numbers of the first and last message completed. */
  get seqRange(): [number, number] {
    return [this.firstSeq, this.lastSeq];
  }

  /** Starts a message; `end()` fills in its length. */
  begin(type: number, flags: number, seq: number): this {
    this.ensure(NLMSG_HDRLEN);
    this.msgStart = this.off;
    const b = this.buf;
    b.writeUInt32LE(0, this.off);
    b.writeUInt16LE(type, this.off + 4);
    b.writeUInt16LE(flags, this.off + 6);
    b.writeUInt32LE(seq >>> 0, this.off + 8);
    b.writeUInt32LE(0, this.off + 12); // port id: the kernel answers our socket whatever it says
    this.off += NLMSG_HDRLEN;
    this.msgSeq = seq;
    return this;
  }

  end(): void {
    this.buf.writeUInt32LE(this.off - this.msgStart, this.msgStart);
    this.lastStart = this.msgStart;
    this.msgStart = -1;
    if (this.count === 0) this.firstSeq = this.msgSeq;
    this.lastSeq = this.msgSeq;
    this.count += 1;
  }

  /** Drops a message that could not be finished (its input turned out to be invalid). */
  rollback(): void {
    if (this.msgStart < 0) return;
    this.off = this.msgStart;
    this.msgStart = -1;
  }

  /** Asks for an answer to the last message written: it becomes the barrier of the datagram. */
  ackLast(): void {
    if (this.lastStart < 0) return;
    const at = this.lastStart + 6;
    this.buf.writeUInt16LE(this.buf.readUInt16LE(at) | NLM_F_ACK, at);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.off++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16LE(v, this.off);
    this.off += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.off);
    this.off += 4;
    return this;
  }

  i32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.off);
    this.off += 4;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.off, this.off + n);
    this.off += n;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.off);
    this.off += data.length;
    return this;
  }

  attr(type: number, data: Uint8Array): this {
    const len = 4 + data.length;
    this.ensure(align4(len));
    this.buf.writeUInt16LE(len, this.off);
    this.buf.writeUInt16LE(type, this.off + 2);
    this.buf.set(data, this.off + 4);
    this.pad(this.off + len);
    return this;
  }

  attrU32(type: number, v: number): this {
    this.ensure(8);
    this.buf.writeUInt16LE(8, this.off);
    this.buf.writeUInt16LE(type, this.off + 2);
    this.buf.writeUInt32LE(v >>> 0, this.off + 4);
    this.off += 8;
    return this;
  }

  /** A NUL-terminated string attribute (interface names, link kinds). */
  attrString(type: number, s: string): this {
    return this.attr(type, Buffer.from(`${s}\0`));
  }

  /** Opens a nested attribute (or any length-prefixed block); close it with `closeNest`. */
  openNest(type: number): number {
    this.ensure(4);
    const at = this.off;
    this.buf.writeUInt16LE(type, at + 2);
    this.off += 4;
    return at;
  }

  /** Reserves a u16 length (a struct that starts with its own length, e.g. struct rtnexthop). */
  openLength(): number {
    this.ensure(2);
    const at = this.off;
    this.off += 2;
    return at;
  }

  /** Fills in the length at `at` (from `openNest` or `openLength`) and pads to 4 bytes. */
  closeNest(at: number): void {
    this.buf.writeUInt16LE(this.off - at, at);
    this.pad(this.off);
  }

  /** A copy of everything written, ready to send; the writer starts empty again. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.off);
    this.buf.copy(out, 0, 0, this.off);
    this.off = 0;
    this.count = 0;
    this.lastStart = -1;
    return out;
  }

  private pad(end: number): void {
    const aligned = align4(end);
    this.buf.fill(0, end, aligned);
    this.off = aligned;
  }

  private ensure(n: number): void {
    if (this.off + n + 4 <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.off + n + 4));
    this.buf.copy(bigger, 0, 0, this.off);
    this.buf = bigger;
  }
}
