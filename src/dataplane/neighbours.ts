// The IPv6 link-local neighbours the kernel knows on one interface (RTM_GETNEIGH dump, struct ndmsg
// in linux/neighbour.h): how an unnumbered BGP peer is found. A router's advertisement (RFC 4861 §6.3.4)
// or any packet it sent us (its neighbour solicitation for our address) leaves its link-local
// address here, with the router flag when it came from an RA.

import { addressText, isLinkLocalBytes } from './ip-bytes.js';
import { linkNames } from './kernel-routes.js';
import { forEachAttr } from './message-reader.js';
import { MessageWriter } from './message-writer.js';
import type { NetlinkChannel } from './netlink-channel.js';
import { AF_INET6, NDA_DST, NLM_F_DUMP, NLM_F_REQUEST, RTM_GETNEIGH, RTM_NEWNEIGH } from './rtnetlink.js';

/** linux/neighbour.h. */
const NDMSG_LEN = 12;
const NUD_INCOMPLETE = 0x01;
const NUD_FAILED = 0x20;
const NTF_ROUTER = 0x80;

export interface LinkNeighbour {
  /** The neighbour's link-local address, without the interface. */
  address: string;
  /** It said it is a router (its RA, or NA with the R flag). */
  router: boolean;
}

/** The interface's index and its usable link-local neighbours, or undefined when there is no such interface. */
export async function linkLocalNeighbours(
  channel: NetlinkChannel,
  ifname: string,
): Promise<{ ifindex: number; neighbours: LinkNeighbour[] } | undefined> {
  let ifindex = 0;
  for (const [index, name] of await linkNames(channel)) if (name === ifname) ifindex = index;
  if (!ifindex) return undefined;
  const neighbours: LinkNeighbour[] = [];
  const w = new MessageWriter(64);
  w.begin(RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, channel.nextSeq());
  w.u8(AF_INET6).u8(0).u16(0).i32(0).u16(0).u8(0).u8(0);
  w.end();
  await channel.dump(w, (m) => {
    const p = m.payload;
    if (m.type !== RTM_NEWNEIGH || p.length < NDMSG_LEN || p[0] !== AF_INET6) return;
    if (p.readInt32LE(4) !== ifindex) return;
    const state = p.readUInt16LE(8);
    // an entry still resolving, or one that failed to, is no neighbour we could talk to
    if (state & (NUD_INCOMPLETE | NUD_FAILED)) return;
    forEachAttr(p, NDMSG_LEN, (type, value) => {
      if (type === NDA_DST && isLinkLocalBytes(value))
        neighbours.push({ address: addressText(value), router: (p[10]! & NTF_ROUTER) !== 0 });
    });
  });
  return { ifindex, neighbours };
}
