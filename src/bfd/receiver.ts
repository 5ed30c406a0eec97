// The listening side of BFD: one UDP socket per listen address on port 3784 (RFC 5881 §4) that hands
// each datagram, with its source and (when the kernel tells us) its received TTL, to the worker.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';

export interface Receiver {
  readonly port: number;
  close(): void;
}

export type PacketHandler = (buf: Buffer, from: string, ttl: number | undefined) => void;

export function openReceiver(address: string, port: number, _ttl: number, onPacket: PacketHandler): Promise<Receiver> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({
      type: isIPv6(address) ? 'udp6' : 'udp4',
      reuseAddr: true,
      ipv6Only: isIPv6(address),
    });
    socket.once('error', reject);
    socket.on('message', (buf, rinfo) => onPacket(buf, rinfo.address, undefined));
    socket.bind({ port, address }, () => {
      socket.removeListener('error', reject);
      socket.on('error', () => {});
      resolve({ port: socket.address().port, close: () => socket.close() });
    });
  });
}
