// What a Peer is told (its settings, ours) and tells back when its session ends, and the small
// address and RFC 8203 helpers both sides of it use.
import type { AddPathMode, AddressFamily, SessionSocketOptions, SocketOptionsHook } from '../config.js';
import type { DownReason } from './down-reason.js';
import type { FsmConfig } from './fsm.js';

export interface PeerSettings {
  address: string;
  port: number;
  asn: number;
  localAddress?: string;
  families: AddressFamily[];
  fsm: FsmConfig;
  /** Our graceful-restart capability for this peer, if any. */
  gracefulRestart?: { restartTime: number; restarting: boolean };
  /** RFC 8654 / RFC 7911 capabilities to offer (see PeerOptions). */
  extendedMessages?: boolean;
  /** RFC 8950: offer IPv4 routes with IPv6 next hops. */
  extendedNextHop?: boolean;
  addPaths?: AddPathMode;
  /** Present when the embedding program supplied a socket-options hook: what our sockets carry. */
  sockets?: { hook: SocketOptionsHook; options: SessionSocketOptions };
}

export interface LocalSettings {
  asn: number;
  routerId: string;
}

export interface PeerDown {
  reason: DownReason;
  wasEstablished: boolean;
  /** RFC 4724 §4.2: keep the peer's routes as stale (it has GR and the session ended without a NOTIFICATION). */
  keepStale: boolean;
}

/** An IPv4 address as text, also when the socket reports it IPv4-mapped. */
export const normalizeAddress = (a: string | undefined): string => (a ?? '').replace(/^::ffff:(?=\d+\.)/, '');

/** RFC 8203: the shutdown communication is a length byte and up to 255 bytes of UTF-8. */
export function shutdownData(message: string): Uint8Array {
  const text = Buffer.from(message, 'utf8').subarray(0, 255);
  return Buffer.concat([Buffer.from([text.length]), text]);
}
