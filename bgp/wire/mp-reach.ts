// MP_REACH_NLRI and MP_UNREACH_NLRI values (RFC 4760 §3-§4, RFC 8950 IPv6 next hops for IPv4 NLRI):
// the two attributes that carry prefixes, decoded for the attribute table (attributes.ts).
import { bytesToIpv4, bytesToIpv6 } from '../prefix.js';
import { AFI_IPV4, AFI_IPV6, SAFI_UNICAST } from './constants.js';
import { readNlri } from './nlri.js';
import type { Attributes, Family, WireContext } from './types.js';

/** The family of an AFI/SAFI pair this codec handles (unicast IPv4 and IPv6), else undefined. */
export const familyOf = (afi: number, safi: number): Family | undefined =>
  safi !== SAFI_UNICAST ? undefined : afi === AFI_IPV4 ? 'ipv4' : afi === AFI_IPV6 ? 'ipv6' : undefined;

/** Where an MP attribute decoder writes, and how it reports an unhandled family (RFC 7606 attribute discard). */
export interface MpTarget {
  readonly ctx: WireContext;
  readonly attrs: Attributes;
  discard(error: string): void;
}

/** RFC 4760 §3. Returns why the value is malformed, or undefined. */
export function decodeMpReach(v: Buffer, d: MpTarget): string | undefined {
  if (v.length < 5) return 'too short';
  const afi = (v[0]! << 8) | v[1]!;
  const safi = v[2]!;
  const nhLen = v[3]!;
  // RFC 4760 §3: one reserved byte follows the next hop.
  if (4 + nhLen + 1 > v.length) return 'next hop overrun';
  const family = familyOf(afi, safi);
  if (!family) {
    d.discard(`MP_REACH_NLRI for AFI ${afi} SAFI ${safi} not handled`);
    return undefined;
  }
  const nh = v.subarray(4, 4 + nhLen);
  let nextHop: string;
  let linkLocal: string | undefined;
  // RFC 7606 §7.11: a next hop length inconsistent with the AFI/SAFI → reset.
  if (family === 'ipv6') {
    if (nhLen !== 16 && nhLen !== 32) return `IPv6 next hop length ${nhLen}`;
    nextHop = bytesToIpv6(nh.subarray(0, 16));
    if (nhLen === 32) linkLocal = bytesToIpv6(nh.subarray(16, 32));
  } else if (nhLen === 4) nextHop = bytesToIpv4(nh);
  else if (nhLen === 16 || nhLen === 32) {
    // RFC 8950: IPv4 NLRI with an IPv6 next hop.
    nextHop = bytesToIpv6(nh.subarray(0, 16));
    if (nhLen === 32) linkLocal = bytesToIpv6(nh.subarray(16, 32));
  } else return `IPv4 next hop length ${nhLen}`;
  const ctx = d.ctx;
  const nlri = readNlri(v, 5 + nhLen, v.length, family, ctx.addPath?.[family], ctx.wireNlri);
  if (!nlri) return 'unparseable NLRI';
  d.attrs.mpReach = linkLocal ? { afi, safi, nextHop, linkLocal, nlri } : { afi, safi, nextHop, nlri };
  return undefined;
}

/** RFC 4760 §4. Returns why the value is malformed, or undefined. */
export function decodeMpUnreach(v: Buffer, d: MpTarget): string | undefined {
  if (v.length < 3) return 'too short';
  const afi = (v[0]! << 8) | v[1]!;
  const safi = v[2]!;
  const family = familyOf(afi, safi);
  if (!family) {
    d.discard(`MP_UNREACH_NLRI for AFI ${afi} SAFI ${safi} not handled`);
    return undefined;
  }
  const ctx = d.ctx;
  const withdrawn = readNlri(v, 3, v.length, family, ctx.addPath?.[family], ctx.wireNlri);
  if (!withdrawn) return 'unparseable NLRI';
  d.attrs.mpUnreach = { afi, safi, withdrawn };
  return undefined;
}
