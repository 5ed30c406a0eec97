// The host side of an endpoint over rtnetlink (the npm `netlink` package): the veth pair, with its
// peer created directly inside the container's namespace (IFLA_NET_NS_FD), both MACs, the host side
// up, and its /32 (/128) routes — no process spawned. The container side is configured by
// ip-dataplane.ts: a netlink socket is bound to the namespace it was opened in, and Node cannot
// enter another namespace.
import { closeSync, openSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import netlink from 'netlink';
import { addressToBytes } from './address-bytes.js';

// rtnetlink attribute numbers (linux/if_link.h, linux/veth.h)
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_NET_NS_FD = 28;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const RT_TABLE_MAIN = 254;

function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const b = Buffer.alloc(len + ((4 - (len % 4)) % 4));
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}
const cstr = (s: string) => Buffer.from(`${s}\0`);
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const mac = (text: string) => Buffer.from(text.split(':').map((x) => Number.parseInt(x, 16)));

export interface VethSpec {
  hostIfName: string;
  hostMac: string;
  peerName: string;
  peerMac: string;
  /** The container's namespace file; absent = the peer stays in our namespace. */
  netnsPath?: string;
  mtu?: number;
  /** Host routes to add on the host side (bare addresses). */
  addresses: string[];
  routeProtocol: number;
}

export class NetlinkVeth {
  private readonly rt = netlink.createRtNetlink();

  async create(spec: VethSpec): Promise<void> {
    const fd = spec.netnsPath ? openSync(spec.netnsPath, 'r') : undefined;
    try {
      const peerAttrs = [attr(IFLA_IFNAME, cstr(spec.peerName)), attr(IFLA_ADDRESS, mac(spec.peerMac))];
      if (spec.mtu) peerAttrs.push(attr(IFLA_MTU, u32(spec.mtu)));
      if (fd !== undefined) peerAttrs.push(attr(IFLA_NET_NS_FD, u32(fd)));
      const peer = Buffer.concat([Buffer.alloc(16) /* struct ifinfomsg */, ...peerAttrs]);
      const linkinfo = Buffer.concat([
        attr(IFLA_INFO_KIND, cstr('veth')),
        attr(IFLA_INFO_DATA, attr(VETH_INFO_PEER, peer)),
      ]);
      await this.rt.newLink(
        { flags: { up: true }, change: { up: true } },
        { ifname: spec.hostIfName, address: mac(spec.hostMac), ...(spec.mtu ? { mtu: spec.mtu } : {}), linkinfo },
        { flags: netlink.FlagsNew.CREATE | netlink.FlagsNew.EXCL },
      );
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    const [link] = await this.rt.getLink({}, { ifname: spec.hostIfName });
    const index = link?.data.index;
    if (!index) throw new Error(`${spec.hostIfName} vanished right after it was created`);
    await Promise.all(
      spec.addresses.map((a) =>
        this.rt.newRoute(
          {
            family: isIPv4(a) ? 2 : 10,
            dstLen: isIPv4(a) ? 32 : 128,
            table: RT_TABLE_MAIN,
            protocol: spec.routeProtocol as never,
            scope: 'LINK',
            type: 'UNICAST',
          },
          { dst: addressToBytes(a), oif: index },
          { flags: netlink.FlagsNew.CREATE | netlink.FlagsNew.REPLACE },
        ),
      ),
    );
  }

  /** Deletes the host side (the kernel removes the peer and the routes with it); false if absent. */
  async remove(hostIfName: string): Promise<boolean> {
    try {
      await this.rt.delLink({}, { ifname: hostIfName });
      return true;
    } catch (err) {
      if (/ENODEV|No such device/i.test((err as Error).message)) return false;
      throw err;
    }
  }
}
