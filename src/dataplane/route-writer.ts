// Applying route operations: many RTM_NEWROUTE/RTM_DELROUTE messages per datagram, no ACK but on
// the last (the barrier), one datagram in flight. The kernel handles a datagram inside sendmsg, so
// waiting for its barrier costs one event-loop turn, lets BGP sessions run between datagrams, and
// bounds the answers waiting in our receive buffer to one datagram's worth of errors.
import { constants } from 'node:os';
import { type Gateway, gatewayOf, parsePrefix } from './ip-bytes.js';
import { MessageWriter } from './message-writer.js';
import type { NetlinkChannel } from './netlink-channel.js';
import { writeDelRoute, writeNewRoute } from './route-codec.js';
import type { RouteOp, RouteValue } from './route-diff.js';
import { PROTOCOL_OF } from './types.js';

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

/** Gateway bytes per RouteValue: a table has many routes but few distinct next-hop sets. */
class GatewayBytes {
  private readonly cache = new Map<RouteValue, Gateway[]>();

  of(value: RouteValue): Gateway[] {
    let bytes = this.cache.get(value);
    if (!bytes) {
      bytes = value.split(',').map(gatewayOf);
      if (this.cache.size >= 4096) this.cache.clear();
      this.cache.set(value, bytes);
    }
    return bytes;
  }
}

function encode(w: MessageWriter, seq: number, op: RouteOp, room: Uint8Array, gateways: GatewayBytes): void {
  const dst = parsePrefix(op.prefix, room);
  const protocol = PROTOCOL_OF[op.kind];
  const type = op.kind === 'blackhole' ? 'blackhole' : 'unicast';
  if (op.action === 'delete') writeDelRoute(w, seq, dst, protocol, type);
  else
    writeNewRoute(w, seq, op.action === 'add' ? 'create' : 'replace', {
      dst,
      protocol,
      type,
      gateways: type === 'unicast' ? gateways.of(op.value) : undefined,
    });
}

/** A message that failed: its index among those written, and the errno. */
export interface WriteFailure {
  index: number;
  errno: number;
  /** Set when the message never reached the kernel (its input was invalid). */
  reason?: string;
}

/**
 * Writes `count` messages in order, `encode(w, seq, i)` writing the i-th, and returns the ones that
 * failed with their errno (an encoder that throws fails its message with EINVAL). Rejects when
 * answers were lost (socket overrun, time-out): then what happened to the current datagram is
 * unknown and the caller must re-read the kernel.
 */
export async function writeMessages(
  channel: NetlinkChannel,
  count: number,
  encode: (w: MessageWriter, seq: number, i: number) => void,
  limits: WriteLimits = limitsFor(channel),
): Promise<WriteFailure[]> {
  const failures: WriteFailure[] = [];
  const w = new MessageWriter(limits.bytesPerDatagram + 1024);
  // the datagram's message indices, by sequence number - first (-1: never sent)
  const sent = new Int32Array(limits.opsPerDatagram);
  let i = 0;
  while (i < count) {
    channel.reserve(limits.opsPerDatagram);
    let first = -1;
    let n = 0;
    while (i < count && n < limits.opsPerDatagram && w.length < limits.bytesPerDatagram) {
      const index = i++;
      const seq = channel.nextSeq();
      if (first < 0) first = seq;
      n = seq - first + 1;
      try {
        encode(w, seq, index);
        sent[seq - first] = index;
      } catch (err) {
        w.rollback();
        sent[seq - first] = -1;
        failures.push({ index, errno: constants.errno.EINVAL, reason: (err as Error).message });
      }
    }
    const answers = await channel.transact(w);
    for (const [s, errno] of answers.errors) {
      const index = s - first >= 0 && s - first < n ? sent[s - first]! : -1;
      if (index >= 0) failures.push({ index, errno });
    }
  }
  return failures;
}

/** Writes `ops` (blackholes: a few) in order; see `writeMessages`. */
export async function writeRoutes(
  channel: NetlinkChannel,
  ops: readonly RouteOp[],
  limits: WriteLimits = limitsFor(channel),
): Promise<OpFailure[]> {
  const room = new Uint8Array(4);
  const gateways = new GatewayBytes();
  const failures = await writeMessages(
    channel,
    ops.length,
    (w, seq, i) => encode(w, seq, ops[i]!, room, gateways),
    limits,
  );
  return failures.map((f) => ({ op: ops[f.index]!, errno: f.errno, reason: f.reason }));
}
