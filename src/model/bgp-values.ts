// Values BGP gives a meaning to, checked the same way wherever a resource carries them: AS numbers
// and communities. A value the wire cannot carry, or one reserved for something else, is refused
// when it is written, not discovered by the agent later.
import { familyBits, parseAddress } from './cidr.js';
import type { Field } from './fields.js';

/**
 * AS_TRANS (RFC 6793 §9): the 2-octet placeholder a 4-octet speaker sends in place of a large AS.
 * As a real AS number it would be indistinguishable from "this speaker's AS does not fit".
 */
export const AS_TRANS = 23456;

export function asNumberProblem(n: number): string | undefined {
  if (n === AS_TRANS) return `${AS_TRANS} is AS_TRANS (RFC 6793), reserved: it cannot be an AS number`;
  return undefined;
}

/** A 4-octet AS number (RFC 6793), 1 to 4294967295, never AS_TRANS. */
export const asNumberField: Field = { type: 'int', min: 1, max: 4294967295, check: asNumberProblem };

const MAX16 = 0xffff;
const MAX32 = 0xffffffff;

/**
 * Why `v` is not a community, or undefined: "AS:value" is a standard community (RFC 1997), 16 bits
 * each; "AS:value1:value2" a large community (RFC 8092 §3), 32 bits each.
 */
export function communityProblem(v: string): string | undefined {
  const parts = v.split(':');
  const form = `"${v}" is not a community (AS:value or AS:value1:value2)`;
  if ((parts.length !== 2 && parts.length !== 3) || parts.some((p) => !/^\d{1,10}$/.test(p))) return form;
  const max = parts.length === 2 ? MAX16 : MAX32;
  if (parts.some((p) => Number(p) > max)) {
    return parts.length === 2
      ? `"${v}": a standard community (RFC 1997) is two 16-bit numbers, each at most ${MAX16}`
      : `"${v}": a large community (RFC 8092) is three 32-bit numbers, each at most ${MAX32}`;
  }
  return undefined;
}

/** A Linux interface name (IFNAMSIZ 16 with its NUL; no '/', no blank; not "." or ".."). */
export function interfaceNameProblem(v: string): string | undefined {
  if (v.length === 0 || v.length > 15 || /[/\s%:]/.test(v) || v === '.' || v === '..')
    return `"${v}" is not an interface name (1-15 characters, no "/", ":", "%" or blanks)`;
  return undefined;
}

/** An IPv6 link-local address (fe80::/10), which only means something together with its interface. */
export const isLinkLocal6 = (v: string): boolean => {
  const a = parseAddress(v);
  return a?.family === 'ipv6' && a.value >> 118n === 0x3fan;
};

/**
 * Why `v` cannot be a BGP neighbour's address, or undefined: the kernel refuses a TCP connection to
 * the unspecified address, to multicast (224.0.0.0/4, ff00::/8) and to the IPv4 broadcast address;
 * a link-local IPv6 address comes with its interface (`fe80::1%eth1`, RFC 4007 §11) or names no link.
 */
export function peerAddressProblem(v: string): string | undefined {
  const zone = v.indexOf('%');
  if (zone >= 0) {
    const address = v.slice(0, zone);
    if (!isLinkLocal6(address))
      return `"${v}": only an IPv6 link-local address (fe80::/10) takes an interface after "%"`;
    return interfaceNameProblem(v.slice(zone + 1));
  }
  if (isLinkLocal6(v)) return `"${v}" is link-local: name its interface too, as in "${v}%eth1"`;
  const a = parseAddress(v);
  if (!a) return `"${v}" is not an IP address`;
  const bits = BigInt(familyBits(a.family));
  const top = (n: bigint) => a.value >> (bits - n);
  if (a.value === 0n) return `"${v}" is the unspecified address, not a peer`;
  if (a.family === 'ipv4' && top(4n) === 0xen) return `"${v}" is a multicast address; a BGP peer needs a unicast one`;
  if (a.family === 'ipv6' && top(8n) === 0xffn) return `"${v}" is a multicast address; a BGP peer needs a unicast one`;
  if (a.family === 'ipv4' && a.value === 0xffffffffn)
    return `"${v}" is the broadcast address; a BGP peer needs a unicast one`;
  return undefined;
}
