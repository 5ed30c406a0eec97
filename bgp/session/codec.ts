// What the session layer needs from a message codec. `wire-codec.ts` provides it on top of bgp/wire;
// keeping the interface here means the FSM, peer and speaker never see the codec's own types.
import type { AddressFamily } from '../config.js';
import type { AttrSet } from '../rib/attributes.js';
import type { DecodeError, DecodeResult, OpenCapabilities, SessionCodecContext } from './messages.js';

export interface Framer {
  /** Adds bytes from the socket; returns the whole messages now complete, or a header error. */
  push(chunk: Buffer): Buffer[] | DecodeError;
  /** RFC 8654: accept messages up to 65535 bytes (OPEN and KEEPALIVE stay within 4096). */
  setExtended(on: boolean): void;
}

export interface OpenToSend {
  asn: number;
  holdTime: number;
  routerId: string;
  capabilities: OpenCapabilities;
}

/**
 * The prefixes of one batch as the RIB hands them over: a count, each prefix as text (for logs and
 * views), and a writer of its NLRI bytes — `write(i, out, off)` puts prefix i at `off` and returns the
 * offset after it; it may write up to 32 bytes past that (bgp/wire's PrefixWriter).
 */
export interface PrefixSet {
  readonly count: number;
  text(i: number): string;
  write(i: number, out: Uint8Array, off: number): number;
}

export interface UpdateBatch {
  family: AddressFamily;
  withdraw: PrefixSet;
  announce: { attrs: AttrSet; prefixes: PrefixSet }[];
}

export interface Codec {
  framer(): Framer;
  decode(message: Buffer, ctx: SessionCodecContext): DecodeResult;
  encodeOpen(open: OpenToSend): Buffer;
  encodeKeepalive(): Buffer;
  encodeNotification(code: number, subcode: number, data?: Uint8Array): Buffer;
  encodeRouteRefresh(family: AddressFamily, subtype?: number): Buffer;
  /** As few UPDATEs as fit the batch (4096-byte messages, 65535 with RFC 8654 extended messages). */
  encodeUpdates(batch: UpdateBatch, ctx: SessionCodecContext): Buffer[];
  encodeEndOfRib(family: AddressFamily): Buffer;
}
