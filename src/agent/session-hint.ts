// Why a session is not up, in words a network engineer can act on: the speaker's last error plus
// what the peer's settings make likely. TCP-MD5 and GTSM failures are silent on the wire (the
// kernel drops the segments), so "no answer" with one of them configured points at it.
import type { PeerOptions, PeerStatus } from '../../bgp/index.js';

export function sessionHint(s: PeerStatus, o: PeerOptions): string | undefined {
  if (s.state === 'Established' || !s.lastError) return undefined;
  const e = s.lastError;
  const hints: string[] = [];
  const silent = /no answer|ETIMEDOUT/.test(e);
  const unreachable = /EHOSTUNREACH|ENETUNREACH/.test(e);
  // The peer's own connection got through but then nothing more came: our packets die on the way
  // (TTL too small) or the kernel drops the peer's (GTSM floor). Either our hold timer expires, or
  // the peer's does first and its NOTIFICATION 4/0 (RFC 4271 §6.5) is the last thing we hear.
  const stalled = /hold timer expired|NOTIFICATION 4\/0/.test(e);
  if (silent) {
    if (o.password !== undefined)
      hints.push('TCP-MD5 is configured: check the password on both sides (a wrong key is dropped without a reply)');
    else hints.push('if the peer requires TCP-MD5, set spec.password');
  }
  if ((silent || stalled) && o.ttlSecurity !== undefined)
    hints.push(
      `GTSM (ttlSecurity ${o.ttlSecurity}): the peer must be at most ${o.ttlSecurity} hop(s) away and send TTL 255`,
    );
  if (
    (silent || unreachable || stalled) &&
    s.type === 'ebgp' &&
    o.ttlSecurity === undefined &&
    o.multihop === undefined
  )
    hints.push('eBGP sends TTL 1: set spec.ebgpMultihop if the peer is not directly connected');
  if (unreachable) hints.push('no route to the peer');
  if (/ECONNREFUSED/.test(e)) hints.push("nothing listens on the peer's BGP port");
  if (/EADDRNOTAVAIL/.test(e))
    hints.push(`source address ${o.localAddress ?? ''} is not on this host: check spec.sourceAddress`);
  return hints.length ? `${e}; ${hints.join('; ')}` : undefined;
}
