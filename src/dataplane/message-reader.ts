// Reading what the kernel sends back: the messages in one datagram, and the attributes of one
// message. Views into the received buffer, no copies.
import { NLMSG_ERROR, NLMSG_HDRLEN } from './rtnetlink.js';

export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  /** The payload after the 16-byte header. */
  payload: Buffer;
}

const align4 = (n: number) => (n + 3) & ~3;

/** Every complete message in a datagram (a truncated tail is ignored). */
export function* messages(datagram: Buffer): Generator<NetlinkMessage> {
  let off = 0;
  while (off + NLMSG_HDRLEN <= datagram.length) {
    const len = datagram.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > datagram.length) return;
    yield {
      type: datagram.readUInt16LE(off + 4),
      flags: datagram.readUInt16LE(off + 6),
      seq: datagram.readUInt32LE(off + 8),
      payload: datagram.subarray(off + NLMSG_HDRLEN, off + len),
    };
    off += align4(len);
  }
}

/** The errno of an NLMSG_ERROR message (0 for an ACK), or undefined for any other message. */
export function errnoOf(msg: NetlinkMessage): number | undefined {
  if (msg.type !== NLMSG_ERROR || msg.payload.length < 4) return undefined;
  return -msg.payload.readInt32LE(0);
}

/**
 * Calls `fn(type, value)` for each attribute in `buf` from `start`. The type has its nested and
 * byte-order flag bits (NLA_F_NESTED, NLA_F_NET_BYTEORDER) cleared.
 */
export function forEachAttr(buf: Buffer, start: number, fn: (type: number, value: Buffer) => void): void {
  let off = start;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) return;
    fn(buf.readUInt16LE(off + 2) & 0x3fff, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
}

/** A NUL-terminated string attribute's text. */
export function attrString(value: Buffer): string {
  const nul = value.indexOf(0);
  return value.toString('latin1', 0, nul < 0 ? value.length : nul);
}
