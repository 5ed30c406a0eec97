// The listening side of BFD: one UDP socket per listen address on port 3784 (RFC 5881 §4) that hands
// each datagram, with its source and its received TTL / hop limit, to the worker. Node's dgram cannot
// report the TTL and Linux's IP_MINTTL does not filter UDP (docs/bfd.md), so the socket belongs to a
// small addon (src/bfd/native/udp-ttl.c) that reads it with IP_RECVTTL / IPV6_RECVHOPLIMIT.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface Receiver {
  readonly port: number;
  close(): void;
}

/** `ttl` is -1 when the kernel did not report it (the worker then drops the packet). */
export type PacketHandler = (buf: Buffer, from: string, ttl: number) => void;

interface UdpTtlAddon {
  listen(
    address: string,
    port: number,
    onPacket: (buf: Buffer, address: string, port: number, ttl: number) => void,
  ): Receiver;
}

// From src/bfd/ (tsx) or dist/src/bfd/ (compiled); scripts/build-native.sh builds it.
const ADDON_CANDIDATES = ['./native/build/udp-ttl.node', '../../../src/bfd/native/build/udp-ttl.node'];

function load(): UdpTtlAddon {
  const require = createRequire(import.meta.url);
  for (const rel of ADDON_CANDIDATES) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return require(path) as UdpTtlAddon;
  }
  throw new Error(
    'the udp-ttl addon (src/bfd/native/build/udp-ttl.node) is not built: run `bash scripts/build-native.sh` (or scripts/setup.sh)',
  );
}

export function openReceiver(address: string, port: number, onPacket: PacketHandler): Receiver {
  const listener = load().listen(address, port, (buf, from, _port, ttl) => onPacket(buf, from, ttl));
  return listener;
}
