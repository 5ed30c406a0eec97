// BFD control packets (RFC 5880 §4.1): encode, decode and the packet-only reception checks of
// §6.8.6. Authentication is not implemented: a packet with the A bit set is refused (§6.8.6: "If the A
// bit is set and no authentication is in use (bfd.AuthType is zero), the packet MUST be discarded").

/** RFC 5880 §4.1: the only version defined. */
export const BFD_VERSION = 1;
/** §4.1: length of a control packet without an authentication section. */
export const BFD_HEADER_LENGTH = 24;

/** §4.1 "State (Sta)". */
export enum BfdState {
  AdminDown = 0,
  Down = 1,
  Init = 2,
  Up = 3,
}

/** §4.1 "Diagnostic (Diag)": why the session last left Up (or why it is going down). */
export enum BfdDiag {
  None = 0,
  ControlDetectionTimeExpired = 1,
  EchoFunctionFailed = 2,
  NeighborSignaledSessionDown = 3,
  ForwardingPlaneReset = 4,
  PathDown = 5,
  ConcatenatedPathDown = 6,
  AdministrativelyDown = 7,
  ReverseConcatenatedPathDown = 8,
}

export const STATE_NAMES: Record<BfdState, string> = {
  [BfdState.AdminDown]: 'AdminDown',
  [BfdState.Down]: 'Down',
  [BfdState.Init]: 'Init',
  [BfdState.Up]: 'Up',
};

export const DIAG_NAMES: Record<number, string> = {
  0: 'none',
  1: 'control detection time expired',
  2: 'echo function failed',
  3: 'neighbor signaled session down',
  4: 'forwarding plane reset',
  5: 'path down',
  6: 'concatenated path down',
  7: 'administratively down',
  8: 'reverse concatenated path down',
};

export interface ControlPacket {
  version: number;
  diag: number;
  state: BfdState;
  poll: boolean;
  final: boolean;
  /** C bit: forwarding independent of the control plane. */
  controlPlaneIndependent: boolean;
  /** A bit: an authentication section follows (we never send it). */
  authPresent: boolean;
  /** D bit: demand mode (we never ask for it). */
  demand: boolean;
  /** M bit: reserved for multipoint, must be zero. */
  multipoint: boolean;
  detectMult: number;
  length: number;
  myDiscriminator: number;
  yourDiscriminator: number;
  /** Microseconds, as on the wire. */
  desiredMinTxInterval: number;
  requiredMinRxInterval: number;
  requiredMinEchoRxInterval: number;
}

export type PacketFields = Pick<
  ControlPacket,
  | 'diag'
  | 'state'
  | 'poll'
  | 'final'
  | 'detectMult'
  | 'myDiscriminator'
  | 'yourDiscriminator'
  | 'desiredMinTxInterval'
  | 'requiredMinRxInterval'
>;

/** A control packet with no authentication section, C and D clear and no echo (we do not echo). */
export function encodeControl(p: PacketFields): Buffer {
  const b = Buffer.alloc(BFD_HEADER_LENGTH);
  b[0] = (BFD_VERSION << 5) | (p.diag & 0x1f);
  b[1] = ((p.state & 0x3) << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0);
  b[2] = p.detectMult;
  b[3] = BFD_HEADER_LENGTH;
  b.writeUInt32BE(p.myDiscriminator >>> 0, 4);
  b.writeUInt32BE(p.yourDiscriminator >>> 0, 8);
  b.writeUInt32BE(p.desiredMinTxInterval >>> 0, 12);
  b.writeUInt32BE(p.requiredMinRxInterval >>> 0, 16);
  b.writeUInt32BE(0, 20); // Required Min Echo RX Interval: 0 = we do not support echo (§6.8.9).
  return b;
}

export type DecodeResult = { ok: true; packet: ControlPacket } | { ok: false; reason: string };

/**
 * Decodes a datagram and applies the checks of RFC 5880 §6.8.6 that need no session: version,
 * length, detect multiplier, multipoint, My Discriminator, the Your-Discriminator-zero rule and the
 * authentication bit (we run without authentication). The session lookup comes after.
 */
export function decodeControl(buf: Buffer): DecodeResult {
  if (buf.length < BFD_HEADER_LENGTH) return { ok: false, reason: `short packet (${buf.length} bytes)` };
  const version = buf[0]! >> 5;
  if (version !== BFD_VERSION) return { ok: false, reason: `version ${version}` };
  const flags = buf[1]!;
  const packet: ControlPacket = {
    version,
    diag: buf[0]! & 0x1f,
    state: (flags >> 6) as BfdState,
    poll: (flags & 0x20) !== 0,
    final: (flags & 0x10) !== 0,
    controlPlaneIndependent: (flags & 0x08) !== 0,
    authPresent: (flags & 0x04) !== 0,
    demand: (flags & 0x02) !== 0,
    multipoint: (flags & 0x01) !== 0,
    detectMult: buf[2]!,
    length: buf[3]!,
    myDiscriminator: buf.readUInt32BE(4),
    yourDiscriminator: buf.readUInt32BE(8),
    desiredMinTxInterval: buf.readUInt32BE(12),
    requiredMinRxInterval: buf.readUInt32BE(16),
    requiredMinEchoRxInterval: buf.readUInt32BE(20),
  };
  // §6.8.6: minimum 24 without the A bit, 26 with it; never more than the datagram carries.
  const minLength = packet.authPresent ? BFD_HEADER_LENGTH + 2 : BFD_HEADER_LENGTH;
  if (packet.length < minLength) return { ok: false, reason: `length field ${packet.length} < ${minLength}` };
  if (packet.length > buf.length)
    return { ok: false, reason: `length field ${packet.length} > datagram ${buf.length}` };
  if (packet.detectMult === 0) return { ok: false, reason: 'detect multiplier 0' };
  if (packet.multipoint) return { ok: false, reason: 'multipoint bit set' };
  if (packet.myDiscriminator === 0) return { ok: false, reason: 'my discriminator 0' };
  if (packet.yourDiscriminator === 0 && packet.state !== BfdState.Down && packet.state !== BfdState.AdminDown)
    return { ok: false, reason: `your discriminator 0 in state ${STATE_NAMES[packet.state]}` };
  if (packet.authPresent) return { ok: false, reason: 'authentication present, none configured (not supported)' };
  return { ok: true, packet };
}
