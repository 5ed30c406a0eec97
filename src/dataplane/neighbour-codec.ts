// RTM_NEWNEIGH as bytes (struct ndmsg, linux/neighbour.h): the container's permanent entry for its
// gateway, so it never has to ARP (or solicit) for 169.254.1.1 / fe80::ecee:eeff:feee:eeee.
import { addressBytes, macBytes } from './ip-bytes.js';
import type { MessageWriter } from './message-writer.js';
import {
  AF_INET,
  AF_INET6,
  NDA_DST,
  NDA_LLADDR,
  NLM_F_CREATE,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
  NUD_PERMANENT,
  RTM_NEWNEIGH,
} from './rtnetlink.js';

/** `neigh replace ADDRESS lladdr MAC dev INDEX nud permanent`. */
export function writePermanentNeighbour(w: MessageWriter, seq: number, index: number, address: string, mac: string) {
  const bytes = addressBytes(address);
  w.begin(RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE, seq);
  w.u8(bytes.length === 4 ? AF_INET : AF_INET6)
    .u8(0)
    .u16(0)
    .i32(index)
    .u16(NUD_PERMANENT)
    .u8(0)
    .u8(0);
  w.attr(NDA_DST, bytes).attr(NDA_LLADDR, macBytes(mac));
  w.end();
}
