// RTM_NEWADDR / RTM_GETADDR as bytes (struct ifaddrmsg, linux/if_addr.h), and dump entries back
// into (interface index, address) pairs.
import { addressBytes, addressText } from './ip-bytes.js';
import { forEachAttr, type NetlinkMessage } from './message-reader.js';
import type { MessageWriter } from './message-writer.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  IFA_ADDRESS,
  IFA_F_NODAD,
  IFA_LOCAL,
  IFADDRMSG_LEN,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
  RT_SCOPE_UNIVERSE,
  RTM_GETADDR,
  RTM_NEWADDR,
} from './rtnetlink.js';

/**
 * Puts `address` as a host address (/32, /128) on link `index`. IPv6 skips duplicate address
 * detection (IFA_F_NODAD): the address is ours alone and usable at once instead of after ~1 s.
 */
export function writeAddressAdd(w: MessageWriter, seq: number, index: number, address: string): void {
  const bytes = addressBytes(address);
  const v6 = bytes.length === 16;
  w.begin(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE, seq);
  w.u8(v6 ? AF_INET6 : AF_INET)
    .u8(bytes.length * 8)
    .u8(v6 ? IFA_F_NODAD : 0)
    .u8(RT_SCOPE_UNIVERSE)
    .i32(index);
  w.attr(IFA_LOCAL, bytes).attr(IFA_ADDRESS, bytes);
  w.end();
}

/** Asks for every address of every link. */
export function writeAddressDump(w: MessageWriter, seq: number): void {
  w.begin(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq);
  w.u8(AF_UNSPEC).zeros(IFADDRMSG_LEN - 1);
  w.end();
}

export function decodeAddress(m: NetlinkMessage): { index: number; address: string } | undefined {
  const p = m.payload;
  if (m.type !== RTM_NEWADDR || p.length < IFADDRMSG_LEN) return undefined;
  let local: string | undefined;
  let address: string | undefined;
  forEachAttr(p, IFADDRMSG_LEN, (type, value) => {
    if (type === IFA_LOCAL) local = addressText(value);
    else if (type === IFA_ADDRESS) address = addressText(value);
  });
  const text = local ?? address;
  return text === undefined ? undefined : { index: p.readInt32LE(4), address: text };
}
