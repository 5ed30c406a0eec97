// TCP sockets with the options Node cannot set, for BGP session security (addon in
// native/tcp-socket.c): a TCP-MD5 key (RFC 2385), the TTL / hop limit we send, and the lowest one
// we accept (RFC 5082 GTSM). A connecting socket is made here, unconnected, so its options are in
// place before the SYN; Node then connects it (net.Socket({ fd })).
import { isIPv6 } from 'node:net';
import { nativeAddon } from './native-addon.js';

interface TcpSocketAddon {
  socket(family: 4 | 6): number;
  close(fd: number): void;
  setMd5(fd: number, address: string, key: Buffer | null): void;
  setHops(fd: number, address: string, ttl: number, minTtl: number): void;
  getHops(fd: number, address: string): [number, number];
}

/** What one socket carries (the same shape as the speaker's SessionSocketOptions). */
export interface TcpSocketOptions {
  md5Password?: string;
  ttl?: number;
  minTtl?: number;
}

const load = nativeAddon<TcpSocketAddon>('tcp-socket');

/** Loads the addon now, so a missing build is a start-up error rather than a failing session. */
export function prepareTcpSockets(): void {
  load();
}

/**
 * The address without a link-local peer's interface ("fe80::1%eth1" → "fe80::1"): the addon reads it
 * for the socket family (and a TCP-MD5 key's address), the interface comes with the connect.
 */
const bare = (peer: string) => peer.replace(/%.*$/, '');

function setHops(a: TcpSocketAddon, fd: number, peer: string, o: TcpSocketOptions): void {
  if (o.ttl !== undefined || o.minTtl !== undefined) a.setHops(fd, bare(peer), o.ttl ?? -1, o.minTtl ?? 0);
}

/** A new unconnected TCP socket toward `peer` carrying `options`: its file descriptor. */
export function openTcpSocket(peer: string, options: TcpSocketOptions): number {
  const a = load();
  const fd = a.socket(isIPv6(peer) ? 6 : 4);
  try {
    if (options.md5Password !== undefined) a.setMd5(fd, bare(peer), Buffer.from(options.md5Password, 'utf8'));
    setHops(a, fd, peer, options);
    return fd;
  } catch (err) {
    a.close(fd);
    throw err;
  }
}

/** Sets (or with undefined removes) `peer`'s TCP-MD5 key on a listening socket. */
export function setListenerMd5(fd: number, peer: string, password: string | undefined): void {
  load().setMd5(fd, bare(peer), password === undefined ? null : Buffer.from(password, 'utf8'));
}

/** TTL and minimum TTL on a socket accepted from `peer`. */
export function setAcceptedOptions(fd: number, peer: string, options: TcpSocketOptions): void {
  setHops(load(), fd, peer, options);
}

/** [TTL, minimum TTL] of a socket toward `peer`, as the kernel holds them. */
export function socketHops(fd: number, peer: string): [number, number] {
  return load().getHops(fd, bare(peer));
}
