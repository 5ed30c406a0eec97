// Splits a TCP byte stream into whole BGP messages, checking each header as RFC 4271 §6.1 asks:
// many messages per chunk and messages split across chunks are both normal.
import { HEADER_LENGTH, MAX_EXTENDED_MESSAGE, MAX_MESSAGE, MSG } from './constants.js';
import type { Refusal } from './notification.js';
import { ERR, HEADER_SUB } from './notification.js';

/** Smallest legal length per type (RFC 4271 §4.2–4.4, RFC 2918 §3). */
const MIN_LENGTH: Record<number, number> = {
  [MSG.OPEN]: 29,
  [MSG.UPDATE]: 23,
  [MSG.NOTIFICATION]: 21,
  [MSG.KEEPALIVE]: 19,
  [MSG.ROUTE_REFRESH]: 23,
};

/** A header the framer refuses (RFC 4271 §6.1). */
export type FrameError = Refusal;

/** Checks one header at b[off]; undefined when it is good. */
export function checkHeader(b: Uint8Array, off: number, maxLength: number): FrameError | undefined {
  for (let i = 0; i < 16; i++)
    if (b[off + i] !== 0xff)
      return { error: 'bad marker', notification: { code: ERR.HEADER, subcode: HEADER_SUB.NOT_SYNCHRONIZED } };
  const len = (b[off + 16]! << 8) | b[off + 17]!;
  const type = b[off + 18]!;
  const min = MIN_LENGTH[type];
  if (min === undefined)
    return {
      error: `bad message type ${type}`,
      notification: { code: ERR.HEADER, subcode: HEADER_SUB.BAD_TYPE, data: Uint8Array.of(type) },
    };
  // RFC 4271 §6.1: too short, too long, or wrong for the type (KEEPALIVE exactly 19) → Bad Message Length with
  // the length. RFC 8654 §4: extended messages never apply to OPEN (nor KEEPALIVE).
  const max = type === MSG.OPEN ? MAX_MESSAGE : maxLength;
  if (len < min || len > max || (type === MSG.KEEPALIVE && len !== HEADER_LENGTH))
    return {
      error: `bad message length ${len} for type ${type}`,
      notification: { code: ERR.HEADER, subcode: HEADER_SUB.BAD_LENGTH, data: Uint8Array.of(len >> 8, len & 0xff) },
    };
  return undefined;
}

export class MessageFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** RFC 8654: raise the limit once extended messages are negotiated. */
  maxLength = MAX_MESSAGE;

  enableExtendedMessages(): void {
    this.maxLength = MAX_EXTENDED_MESSAGE;
  }

  /** Adds bytes; returns the messages now complete (views, header included), or the header error. */
  push(chunk: Buffer): Buffer[] | FrameError {
    const buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    let off = 0;
    while (buf.length - off >= HEADER_LENGTH) {
      const bad = checkHeader(buf, off, this.maxLength);
      if (bad) return bad;
      const len = buf.readUInt16BE(off + 16);
      if (buf.length - off < len) break;
      out.push(buf.subarray(off, off + len));
      off += len;
    }
    this.buf = off === buf.length ? Buffer.alloc(0) : buf.subarray(off);
    return out;
  }
}
