// An IP address as the bytes the kernel wants (network order), for netlink attributes.
import { isIPv4 } from 'node:net';
import { parseAddress } from '../model/index.js';

export function addressToBytes(addr: string): Buffer {
  const parsed = parseAddress(addr);
  if (!parsed) throw new Error(`"${addr}" is not an IP address`);
  const len = isIPv4(addr) ? 4 : 16;
  const b = Buffer.alloc(len);
  let v = parsed.value;
  for (let i = len - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}
