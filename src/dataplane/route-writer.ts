// Applying route operations: many RTM_NEWROUTE/RTM_DELROUTE messages per datagram, no ACK but on
// the last (the barrier), one datagram in flight. The kernel handles a datagram inside sendmsg, so
// waiting for its barrier costs one event-loop turn, lets BGP sessions run between datagrams, and
// bounds the answers waiting in our receive buffer to one datagram's worth of errors.
import { constants } from 'node:os';
import { parsePrefix } from './ip-bytes.js';
import { MessageWriter } from './message-writer.js';
import type { NetlinkChannel } from './netlink-channel.js';
import { type RouteSpec, writeDelRoute, writeNewRoute } from './route-codec.js';
import { BLACKHOLE, type RouteOp } from './route-diff.js';
import { RTPROT_TSROUTE_BLOCK } from './types.js';

export interface OpFailure {
  op: RouteOp;
  errno: number;
  /** Set when the operation never reached the kernel (its input was invalid). */
  reason?: string;
}

/** Each failed message comes back as an error of ~64 bytes in a ~1 KiB socket buffer slot. */
const ANSWER_SLOT = 1024;
const MAX_OPS_PER_DATAGRAM = 2000;
const MAX_DATAGRAM_BYTES = 128 << 10;

export interface WriteLimits {
  opsPerDatagram: number;
  bytesPerDatagram: number;
}

/** Datagram bounds that fit the socket's real buffers (the kernel caps them at rmem_max/wmem_max). */
export function limitsFor(channel: NetlinkChannel): WriteLimits {
  return {
    opsPerDatagram: Math.max(16, Math.min(MAX_OPS_PER_DATAGRAM, Math.floor(channel.recvBufferSize / ANSWER_SLOT))),
    bytesPerDatagram: Math.max(4096, Math.min(MAX_DATAGRAM_BYTES, Math.floor(channel.sendBufferSize / 2) - 1024)),
  };
}

function specOf(op: RouteOp): RouteSpec {
  const dst = parsePrefix(op.prefix);
  if (op.protocol === RTPROT_TSROUTE_BLOCK || op.value === BLACKHOLE)
    return { dst, protocol: op.protocol, type: 'blackhole' };
  return { dst, protocol: op.protocol, type: 'unicast', gateways: op.value.split(',') };
}

function encode(w: MessageWriter, seq: number, op: RouteOp): void {
  if (op.action === 'delete') {
    const type = op.protocol === RTPROT_TSROUTE_BLOCK ? 'blackhole' : 'unicast';
    writeDelRoute(w, seq, parsePrefix(op.prefix), op.protocol, type);
  } else writeNewRoute(w, seq, op.action === 'add' ? 'create' : 'replace', specOf(op));
}

/**
 * Writes `ops` in order and returns the ones that failed with their errno. Rejects when answers
 * were lost (socket overrun, time-out): then what happened to the current datagram is unknown and
 * the caller must re-read the kernel.
 */
export async function writeRoutes(
  channel: NetlinkChannel,
  ops: readonly RouteOp[],
  limits: WriteLimits = limitsFor(channel),
): Promise<OpFailure[]> {
  const failures: OpFailure[] = [];
  const w = new MessageWriter(limits.bytesPerDatagram + 1024);
  let i = 0;
  while (i < ops.length) {
    const bySeq = new Map<number, RouteOp>();
    while (i < ops.length && w.messages < limits.opsPerDatagram && w.length < limits.bytesPerDatagram) {
      const op = ops[i++]!;
      const seq = channel.nextSeq();
      try {
        encode(w, seq, op);
        bySeq.set(seq, op);
      } catch (err) {
        w.rollback();
        failures.push({ op, errno: constants.errno.EINVAL, reason: (err as Error).message });
      }
    }
    const answers = await channel.transact(w);
    for (const [seq, errno] of answers.errors) {
      const op = bySeq.get(seq);
      if (op) failures.push({ op, errno });
    }
  }
  return failures;
}
