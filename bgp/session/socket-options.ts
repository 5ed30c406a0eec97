// What a session's TCP socket must carry, from the peer's options: its TCP-MD5 key (RFC 2385), the
// TTL of our packets (eBGP multihop) and the GTSM floor (RFC 5082). The speaker computes it here and
// hands it to the socket-options hook; bgp/ itself never touches a socket option.
import { isIP, isIPv4, type Server, type Socket } from 'node:net';
import type { Logger, PeerOptions, SessionSocketOptions, SocketOptionsHook } from '../config.js';

/** RFC 5082 §3: GTSM packets are sent with the maximum TTL. */
export const GTSM_TTL = 255;
/** RFC 2385 keys as Linux takes them (TCP_MD5SIG_MAXKEYLEN). */
export const MD5_MAX_KEY_BYTES = 80;
/** An eBGP peer is directly connected unless told otherwise (the routers' default, RFC 4271 §5.1.3's "one hop"). */
export const EBGP_DEFAULT_TTL = 1;

/** The socket options for a session; `ebgp` says whether the peer is in another AS. */
export function sessionSocketOptions(options: PeerOptions, ebgp: boolean): SessionSocketOptions {
  const out: SessionSocketOptions = {};
  if (options.password !== undefined) out.md5Password = options.password;
  if (options.ttlSecurity !== undefined) {
    // §3: the peer sends 255, every router on the way takes one off: N hops arrive with ≥ 256 − N.
    out.ttl = GTSM_TTL;
    out.minTtl = GTSM_TTL + 1 - options.ttlSecurity;
  } else if (options.multihop !== undefined) out.ttl = options.multihop;
  else if (ebgp) out.ttl = EBGP_DEFAULT_TTL;
  return out;
}

/** Why these session options cannot be used (undefined when they can); `hook` = a socket-options hook exists. */
export function sessionOptionsProblem(options: PeerOptions, hook: boolean): string | undefined {
  const peer = `peer ${options.address}`;
  if (options.localAddress !== undefined && !isIP(options.localAddress))
    return `${peer}: localAddress "${options.localAddress}" is not an IP address`;
  if (options.localAddress !== undefined && isIP(options.localAddress) !== isIP(options.address))
    return `${peer}: localAddress ${options.localAddress} is not of the peer's address family`;
  if (options.password !== undefined) {
    const bytes = Buffer.byteLength(options.password, 'utf8');
    if (bytes < 1 || bytes > MD5_MAX_KEY_BYTES)
      return `${peer}: a TCP-MD5 password has 1 to ${MD5_MAX_KEY_BYTES} bytes (this one has ${bytes})`;
  }
  if (
    options.multihop !== undefined &&
    !(Number.isInteger(options.multihop) && options.multihop >= 1 && options.multihop <= 255)
  )
    return `${peer}: multihop must be 1..255, got ${options.multihop}`;
  if (
    options.ttlSecurity !== undefined &&
    !(Number.isInteger(options.ttlSecurity) && options.ttlSecurity >= 1 && options.ttlSecurity <= 254)
  )
    return `${peer}: ttlSecurity must be 1..254 hops, got ${options.ttlSecurity}`;
  if (options.multihop !== undefined && options.ttlSecurity !== undefined)
    return `${peer}: multihop and ttlSecurity exclude each other (GTSM always sends TTL 255)`;
  if (!hook && (options.password !== undefined || options.multihop !== undefined || options.ttlSecurity !== undefined))
    return `${peer}: password, multihop and ttlSecurity need the speaker's socketOptions hook`;
  return undefined;
}

/** The kernel descriptor under a Node socket or server (Linux; undefined where Node has none). */
function socketFd(s: Socket | Server): number | undefined {
  const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * Sets or removes (`password` undefined) the peer's TCP-MD5 key on one listener: a connection from
 * the peer is accepted only when signed with it, and the accepted socket inherits the key.
 */
export function listenerKey(
  server: Server,
  hook: SocketOptionsHook,
  peer: string,
  password: string | undefined,
  log: Logger,
): void {
  const fd = socketFd(server);
  const addr = server.address();
  // An IPv4-only listener never sees an IPv6 peer (a dual-stack one sees both).
  if (fd === undefined || (typeof addr === 'object' && addr?.family === 'IPv4' && !isIPv4(peer))) return;
  try {
    hook.listening(fd, peer, password);
  } catch (err) {
    log.error({ peer, err: (err as Error).message }, 'cannot set the TCP-MD5 key on the listener');
  }
}

/** TTL and GTSM floor on a connection accepted from the peer; false (socket closed) when refused. */
export function acceptedOptions(
  socket: Socket,
  hook: SocketOptionsHook,
  peer: string,
  options: SessionSocketOptions,
  log: Logger,
): boolean {
  const fd = socketFd(socket);
  if (fd === undefined) return true;
  try {
    hook.accepted(fd, peer, options);
    return true;
  } catch (err) {
    log.warn({ peer, err: (err as Error).message }, 'connection refused: cannot set its socket options');
    socket.destroy();
    return false;
  }
}
