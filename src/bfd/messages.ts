// The messages between BfdService (main thread) and its worker thread (worker.ts). Plain data only:
// they cross postMessage.

/** Per-session timing the user sets, in milliseconds (MetalLB BFDProfile names). */
export interface BfdTiming {
  transmitInterval: number;
  receiveInterval: number;
  detectMultiplier: number;
}

export interface BfdPeer {
  /** The neighbour's address (single hop: directly connected, RFC 5881). */
  peer: string;
  /** Our address on that link; when unset the kernel picks the source address. */
  local?: string;
  /** The neighbour's BFD port; 3784 unless two of our own services test each other on one host. */
  port?: number;
  timing: BfdTiming;
}

export interface BfdSessionStatus {
  peer: string;
  local?: string;
  state: string;
  remoteState: string;
  /** Our diagnostic: why the session last went down ("none" if it never did). */
  diag: string;
  localDiscriminator: number;
  remoteDiscriminator: number;
  /** Negotiated values in ms: our actual transmit interval (before jitter) and detection time. */
  txIntervalMs: number;
  detectTimeMs: number;
  /** Our source port (RFC 5881 §4: 49152–65535). */
  sourcePort: number;
  /** Packets received and dropped by the checks of RFC 5880 §6.8.6 / RFC 5881 §5 (TTL). */
  received: number;
  dropped: number;
  lastDropReason?: string;
  /** ms since epoch of the last state change. */
  since: number;
}

export interface BfdStateChange {
  peer: string;
  state: string;
  previous: string;
  diag: string;
  at: number;
}

export type ToWorker =
  | { type: 'add'; session: BfdPeer }
  | { type: 'update'; peer: string; timing: BfdTiming }
  | { type: 'remove'; peer: string }
  | { type: 'status'; id: number }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; ports: number[] }
  | { type: 'state'; change: BfdStateChange }
  | { type: 'status'; id: number; sessions: BfdSessionStatus[] }
  | { type: 'error'; message: string }
  | { type: 'closed' };
