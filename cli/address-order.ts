// Addresses and prefixes in numeric order (10.0.0.9 before 10.0.0.10, IPv4 before IPv6, a shorter
// prefix before the longer ones it contains), as people read them; text order puts .10 before .9.
import { familyBits, parseAddress } from '../src/model/cidr.js';

/** A sort key: family (by its width: IPv4 first), then address value, then prefix length; text that is no address sorts last. */
function key(text: string): [number, bigint, number] {
  const [addr = '', len] = text.trim().split('/');
  const a = parseAddress(addr);
  if (!a) return [9, 0n, 0];
  return [familyBits(a.family), a.value, len === undefined ? familyBits(a.family) : Number(len)];
}

export function compareAddresses(x: string, y: string): number {
  const [fx, vx, lx] = key(x);
  const [fy, vy, ly] = key(y);
  if (fx !== fy) return fx - fy;
  if (vx !== vy) return vx < vy ? -1 : 1;
  if (lx !== ly) return lx - ly;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A sorted copy of `items`, by the address or prefix `of` picks. */
export function byAddress<T>(items: readonly T[], of: (item: T) => string): T[] {
  return [...items].sort((a, b) => compareAddresses(of(a), of(b)));
}
