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
  const room = new Uint8Array(4);
  const gateways = new GatewayBytes();
  let i = 0;
  while (i < ops.length) {
    // the datagram's operations, indexed by sequence number - first
    const sent: (RouteOp | undefined)[] = [];
    channel.reserve(limits.opsPerDatagram);
    let first = -1;
    while (i < ops.length && sent.length < limits.opsPerDatagram && w.length < limits.bytesPerDatagram) {
      const op = ops[i++]!;
      const seq = channel.nextSeq();
      if (first < 0) first = seq;
      try {
        encode(w, seq, op, room, gateways);
        sent[seq - first] = op;
      } catch (err) {
        w.rollback();
        sent[seq - first] = undefined;
        failures.push({ op, errno: constants.errno.EINVAL, reason: (err as Error).message });
      }
    }
    const answers = await channel.transact(w);
    for (const [s, errno] of answers.errors) {
      const op = sent[s - first];
      if (op) failures.push({ op, errno });
    }
  }
  return failures;
}
