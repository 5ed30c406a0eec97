// RTM_NEWLINK / RTM_DELLINK / RTM_GETLINK as bytes (struct ifinfomsg, linux/if_link.h), including a
// veth whose peer is created directly inside another namespace: IFLA_LINKINFO { IFLA_INFO_KIND
// "veth", IFLA_INFO_DATA { VETH_INFO_PEER: ifinfomsg + the peer's IFLA_* with IFLA_NET_NS_FD } }.
import { macBytes } from './ip-bytes.js';
import { attrString, forEachAttr, type NetlinkMessage } from './message-reader.js';
import type { MessageWriter } from './message-writer.js';
import {
  IFF_UP,
  IFINFOMSG_LEN,
  IFLA_ADDRESS,
  IFLA_GROUP,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
  VETH_INFO_PEER,
} from './rtnetlink.js';

/** struct ifinfomsg: family, pad, type, index, flags, change. */
function ifinfomsg(w: MessageWriter, index: number, up: boolean): void {
  w.u8(0)
    .u8(0)
    .u16(0)
    .i32(index)
    .u32(up ? IFF_UP : 0)
    .u32(up ? IFF_UP : 0);
}

export interface VethCreate {
  hostIfName: string;
  hostMac: string;
  peerName: string;
  peerMac: string;
  /** An open fd of the peer's namespace; absent: the peer stays with the host side. */
  peerNetnsFd?: number;
  mtu?: number;
}

/** Creates the pair, host side up; fails with EEXIST if the host side's name is taken. */
export function writeVethCreate(w: MessageWriter, seq: number, v: VethCreate): void {
  w.begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL, seq);
  ifinfomsg(w, 0, true);
  w.attrString(IFLA_IFNAME, v.hostIfName).attr(IFLA_ADDRESS, macBytes(v.hostMac));
  if (v.mtu) w.attrU32(IFLA_MTU, v.mtu);
  const info = w.openNest(IFLA_LINKINFO);
  w.attrString(IFLA_INFO_KIND, 'veth');
  const data = w.openNest(IFLA_INFO_DATA);
  const peer = w.openNest(VETH_INFO_PEER);
  // down: veth refuses to open a peer that is not paired yet (ENOTCONN); the container side sets it up
  ifinfomsg(w, 0, false);
  w.attrString(IFLA_IFNAME, v.peerName).attr(IFLA_ADDRESS, macBytes(v.peerMac));
  if (v.mtu) w.attrU32(IFLA_MTU, v.mtu);
  if (v.peerNetnsFd !== undefined) w.attrU32(IFLA_NET_NS_FD, v.peerNetnsFd);
  w.closeNest(peer);
  w.closeNest(data);
  w.closeNest(info);
  w.end();
}

/** Sets a link up by index. */
export function writeLinkUp(w: MessageWriter, seq: number, index: number): void {
  w.begin(RTM_NEWLINK, NLM_F_REQUEST, seq);
  ifinfomsg(w, index, true);
  w.end();
}

/** Deletes a link by name (its veth peer and its routes go with it). */
export function writeLinkDelete(w: MessageWriter, seq: number, name: string): void {
  w.begin(RTM_DELLINK, NLM_F_REQUEST, seq);
  ifinfomsg(w, 0, false);
  w.attrString(IFLA_IFNAME, name);
  w.end();
}

/** Moves a link (by name) into link group `group`; nothing else about it changes (ENODEV if absent). */
export function writeLinkSetGroup(w: MessageWriter, seq: number, name: string, group: number): void {
  w.begin(RTM_NEWLINK, NLM_F_REQUEST, seq);
  ifinfomsg(w, 0, false);
  w.attrString(IFLA_IFNAME, name).attrU32(IFLA_GROUP, group);
  w.end();
}

/**
 * Deletes every link of group `group` with one request (index 0 and IFLA_GROUP: the kernel's
 * rtnl_group_dellink), unregistered together: one RCU grace period for all of them.
 */
export function writeLinkDeleteGroup(w: MessageWriter, seq: number, group: number): void {
  w.begin(RTM_DELLINK, NLM_F_REQUEST, seq);
  ifinfomsg(w, 0, false);
  w.attrU32(IFLA_GROUP, group);
  w.end();
}

/** Asks for one link by name (ENODEV when there is none). */
export function writeLinkGet(w: MessageWriter, seq: number, name: string): void {
  w.begin(RTM_GETLINK, NLM_F_REQUEST, seq);
  ifinfomsg(w, 0, false);
  w.attrString(IFLA_IFNAME, name);
  w.end();
}

/** Asks for every link. */
export function writeLinkDump(w: MessageWriter, seq: number): void {
  w.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, seq);
  w.zeros(IFINFOMSG_LEN);
  w.end();
}

export interface LinkInfo {
  index: number;
  name: string;
  up: boolean;
  /** For a veth: the peer's index (in the peer's namespace). */
  link: number;
}

export function decodeLink(m: NetlinkMessage): LinkInfo | undefined {
  const p = m.payload;
  if (m.type !== RTM_NEWLINK || p.length < IFINFOMSG_LEN) return undefined;
  const info: LinkInfo = { index: p.readInt32LE(4), name: '', up: (p.readUInt32LE(8) & IFF_UP) !== 0, link: 0 };
  forEachAttr(p, IFINFOMSG_LEN, (type, value) => {
    if (type === IFLA_IFNAME) info.name = attrString(value);
    else if (type === IFLA_LINK) info.link = value.readInt32LE(0);
  });
  return info;
}
