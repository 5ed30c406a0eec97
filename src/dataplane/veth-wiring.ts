// One endpoint's veth pair, entirely over netlink, no process:
//   host side (our socket): the pair, with its peer created directly in the container's namespace
//     (IFLA_NET_NS_FD), both MACs, host side up — and in the same datagram a GETLINK that returns
//     both indexes; then the /32 (/128) routes, proto 80, permanent neighbour entries for the
//     container's addresses, and the host side's sysctls;
//   container side (a socket created inside its namespace, see netns.ts): addresses, link up, a
//     link-scope route to 169.254.1.1, a permanent neighbour entry for it at the host side's MAC,
//     the default route through it; the same for IPv6 through fe80::ecee:eeff:feee:eeee.
// The two sides are written at the same time, each as one datagram.
import { closeSync, openSync } from 'node:fs';
import { familyOfPrefix, hostPrefix } from '../model/index.js';
import { decodeAddress, writeAddressAdd, writeAddressDump } from './address-codec.js';
import { addressBytes, canonicalAddress, parsePrefix } from './ip-bytes.js';
import {
  decodeLink,
  type LinkInfo,
  writeLinkDelete,
  writeLinkDeleteGroup,
  writeLinkGet,
  writeLinkSetGroup,
  writeLinkUp,
  writeVethCreate,
} from './link-codec.js';
import type { NetlinkMessage } from './message-reader.js';
import { MessageWriter } from './message-writer.js';
import { writePermanentNeighbour } from './neighbour-codec.js';
import { NetlinkChannel, NetlinkError } from './netlink-channel.js';
import { decodeRoute, writeNewRoute, writeRouteLookup } from './route-codec.js';
import { RTPROT_BOOT } from './rtnetlink.js';
import { configureHostSide } from './sysctl.js';
import { GATEWAY_IPV4, GATEWAY_IPV6, HOST_MAC, LINK_PREFIX, RTPROT_TSROUTE_LOCAL, type VethSpec } from './types.js';

const ENODEV = 19;

/**
 * The link group host sides are moved into just before a batch of them is deleted ("tsr" and 1).
 * Deleting a veth makes the kernel wait for an RCU grace period, inside our sendmsg on the agent's
 * one thread — milliseconds each, so 200 deletes one by one took seconds and held the event loop.
 * Moved into one group and deleted by group in the same datagram, a batch is unregistered together
 * and waits once. Only links this code just moved are ever in the group.
 */
const DELETE_GROUP = 0x74737201;

export interface VethWiringOptions {
  /** The namespace the host sides live in; default: our own. */
  hostNetnsPath?: string;
}

function assertOwned(hostIfName: string): void {
  if (!hostIfName.startsWith(LINK_PREFIX) || hostIfName.length > 15)
    throw new Error(`host interface "${hostIfName}" must start with "${LINK_PREFIX}" (≤ 15 characters)`);
}

/** A batch of messages, each with a description for the error that names it. */
class Batch {
  readonly writer = new MessageWriter(1024);
  private readonly what = new Map<number, string>();
  constructor(private readonly channel: NetlinkChannel) {
    channel.reserve(64);
  }

  add(what: string, write: (w: MessageWriter, seq: number) => void): number {
    const seq = this.channel.nextSeq();
    write(this.writer, seq);
    this.what.set(seq, what);
    return seq;
  }

  /** Sends the batch; throws naming the first message that failed. */
  async run(): Promise<Map<number, NetlinkMessage[]>> {
    const { errors, replies } = await this.channel.transact(this.writer);
    for (const [seq, errno] of errors) throw new NetlinkError(errno, this.what.get(seq) ?? 'netlink request');
    return replies;
  }
}

export class VethWiring {
  private readonly host: NetlinkChannel;

  constructor(private readonly opts: VethWiringOptions = {}) {
    this.host = NetlinkChannel.open(opts.hostNetnsPath);
  }

  /** Creates and configures both sides; the host side's name must be free. */
  async add(spec: VethSpec): Promise<{ hostIfindex: number; containerIfindex: number }> {
    assertOwned(spec.hostIfName);
    const link = await this.createPair(spec);
    await Promise.all([this.configureHost(spec, link.index), this.configureContainer(spec, link.link)]);
    return { hostIfindex: link.index, containerIfindex: link.link };
  }

  /**
   * Deletes the host side (the kernel removes the peer and the routes with it); false if absent.
   * Removals asked for in the same turn of the event loop are deleted together (DELETE_GROUP).
   */
  async remove(hostIfName: string): Promise<boolean> {
    assertOwned(hostIfName);
    return await new Promise<boolean>((resolve, reject) => {
      this.removals.push({ name: hostIfName, resolve, reject });
      if (this.removals.length === 1) setImmediate(() => void this.flushRemovals());
    });
  }

  private removals: { name: string; resolve: (existed: boolean) => void; reject: (err: Error) => void }[] = [];

  private async flushRemovals(): Promise<void> {
    const batch = this.removals.splice(0);
    try {
      if (batch.length === 1) {
        const one = new Batch(this.host);
        one.add(`deleting ${batch[0]!.name}`, (w, seq) => writeLinkDelete(w, seq, batch[0]!.name));
        try {
          await one.run();
          batch[0]!.resolve(true);
        } catch (err) {
          if (err instanceof NetlinkError && err.errno === ENODEV) batch[0]!.resolve(false);
          else throw err;
        }
        return;
      }
      const w = new MessageWriter(96 * (batch.length + 1));
      this.host.reserve(batch.length + 1);
      const moves = batch.map((r) => {
        const seq = this.host.nextSeq();
        writeLinkSetGroup(w, seq, r.name, DELETE_GROUP);
        return seq;
      });
      const del = this.host.nextSeq();
      writeLinkDeleteGroup(w, del, DELETE_GROUP);
      const { errors } = await this.host.transact(w);
      const moved = moves.filter((seq) => !errors.has(seq)).length;
      const delErr = errors.get(del);
      if (delErr !== undefined && !(delErr === ENODEV && moved === 0))
        throw new NetlinkError(delErr, `deleting ${moved} host interfaces`);
      batch.forEach((r, i) => {
        const errno = errors.get(moves[i]!);
        if (errno === undefined) r.resolve(true);
        else if (errno === ENODEV) r.resolve(false);
        else r.reject(new NetlinkError(errno, `deleting ${r.name}`));
      });
    } catch (err) {
      for (const r of batch) r.reject(err as Error);
    }
  }

  /** What is wrong with the endpoint in the kernel; empty when nothing is. */
  async check(spec: VethSpec): Promise<string[]> {
    const problems: string[] = [];
    const hostLink = await getLink(this.host, spec.hostIfName);
    if (!hostLink) return [`host interface ${spec.hostIfName} is missing`];
    // one FIB lookup per address; an error (no route at all) is an answer here, not a failure
    const lookups = new MessageWriter(256);
    this.host.reserve(spec.addresses.length);
    const seqs = spec.addresses.map((a) => {
      const seq = this.host.nextSeq();
      writeRouteLookup(lookups, seq, a);
      return seq;
    });
    const answers = await this.host.transact(lookups);
    spec.addresses.forEach((a, i) => {
      const [msg] = answers.replies.get(seqs[i]!) ?? [];
      const r = msg && decodeRoute(msg);
      const want = hostPrefix(canonicalAddress(a));
      if (!r || r.prefix !== want || r.oif !== hostLink.index)
        problems.push(`route ${want} dev ${spec.hostIfName} is missing`);
    });
    if (!spec.netnsPath) return problems;
    let channel: NetlinkChannel;
    try {
      channel = NetlinkChannel.open(spec.netnsPath);
    } catch (err) {
      return [...problems, `netns ${spec.netnsPath} cannot be entered: ${(err as Error).message}`];
    }
    try {
      const link = await getLink(channel, spec.ifName);
      if (!link) return [...problems, `interface ${spec.ifName} is missing in ${spec.netnsPath}`];
      const have = new Set<string>();
      const w = new MessageWriter(64);
      writeAddressDump(w, channel.nextSeq());
      await channel.dump(w, (msg) => {
        const a = decodeAddress(msg);
        if (a && a.index === link.index) have.add(a.address);
      });
      for (const a of spec.addresses)
        if (!have.has(canonicalAddress(a))) problems.push(`${a} is missing on ${spec.ifName} in ${spec.netnsPath}`);
      return problems;
    } finally {
      channel.close();
    }
  }

  close(): void {
    this.host.close();
  }

  /** The pair and, answered in the same datagram, the host side's index and its peer's. */
  private async createPair(spec: VethSpec): Promise<LinkInfo> {
    // The fd must stay open until the kernel has read the message: closed after the answer.
    const netnsFd = spec.netnsPath ? openSync(spec.netnsPath, 'r') : undefined;
    try {
      const batch = new Batch(this.host);
      batch.add(`creating veth ${spec.hostIfName} (peer ${spec.ifName})`, (w, seq) =>
        writeVethCreate(w, seq, {
          hostIfName: spec.hostIfName,
          hostMac: HOST_MAC,
          peerName: spec.ifName,
          peerMac: spec.mac,
          peerNetnsFd: netnsFd,
          mtu: spec.mtu,
        }),
      );
      const get = batch.add(`reading ${spec.hostIfName}`, (w, seq) => writeLinkGet(w, seq, spec.hostIfName));
      const replies = await batch.run();
      const link = replies
        .get(get)
        ?.map(decodeLink)
        .find((l) => l !== undefined);
      if (!link) throw new Error(`${spec.hostIfName} vanished right after it was created`);
      return link;
    } finally {
      if (netnsFd !== undefined) closeSync(netnsFd);
    }
  }

  private async configureHost(spec: VethSpec, index: number): Promise<void> {
    const batch = new Batch(this.host);
    for (const a of spec.addresses) {
      // A permanent entry for the container's address (Felix does the same): the first packet to a
      // new container needs no ARP/ND round trip, and IPv6 works before the host side's link-local
      // address has finished duplicate detection (until then the kernel sends no solicitation).
      // Only when we configure the container: a runtime that moves the peer may give it another MAC.
      if (spec.netnsPath)
        batch.add(`neighbour ${a} dev ${spec.hostIfName}`, (w, seq) =>
          writePermanentNeighbour(w, seq, index, a, spec.mac),
        );
      batch.add(`route ${a} dev ${spec.hostIfName}`, (w, seq) =>
        writeNewRoute(w, seq, 'replace', {
          dst: parsePrefix(a),
          protocol: RTPROT_TSROUTE_LOCAL,
          type: 'unicast',
          oif: index,
        }),
      );
    }
    configureHostSide(
      { ifName: spec.hostIfName, ipv6: spec.addresses.some((a) => familyOfPrefix(a) === 'ipv6') },
      this.opts.hostNetnsPath,
    );
    await batch.run();
  }

  private async configureContainer(spec: VethSpec, index: number): Promise<void> {
    if (!spec.netnsPath) return; // the runtime moves and configures the peer itself (Docker)
    const channel = NetlinkChannel.open(spec.netnsPath);
    try {
      const ifindex = index || (await getLink(channel, spec.ifName))?.index;
      if (!ifindex) throw new Error(`interface ${spec.ifName} is missing in ${spec.netnsPath}`);
      const dev = `dev ${spec.ifName} in ${spec.netnsPath}`;
      const batch = new Batch(channel);
      for (const a of spec.addresses) batch.add(`address ${a} ${dev}`, (w, seq) => writeAddressAdd(w, seq, ifindex, a));
      batch.add(`link up ${dev}`, (w, seq) => writeLinkUp(w, seq, ifindex));
      const route = (dst: string, gateway?: string) =>
        batch.add(`route ${dst}${gateway ? ` via ${gateway}` : ''} ${dev}`, (w, seq) =>
          writeNewRoute(w, seq, 'replace', {
            dst: parsePrefix(dst),
            protocol: RTPROT_BOOT, // what `ip route add` writes: the container's routes are the container's
            type: 'unicast',
            oif: ifindex,
            gateways: gateway ? [addressBytes(gateway)] : undefined,
          }),
        );
      const neighbour = (gateway: string) =>
        batch.add(`neighbour ${gateway} ${dev}`, (w, seq) =>
          writePermanentNeighbour(w, seq, ifindex, gateway, HOST_MAC),
        );
      // The permanent entry: the container never needs an ARP answer for its gateway (proxy ARP
      // answers only when the host itself has a route to the address asked for).
      if (spec.addresses.some((a) => familyOfPrefix(a) === 'ipv4')) {
        route(`${GATEWAY_IPV4}/32`);
        neighbour(GATEWAY_IPV4);
        route('0.0.0.0/0', GATEWAY_IPV4);
      }
      if (spec.addresses.some((a) => familyOfPrefix(a) === 'ipv6')) {
        neighbour(GATEWAY_IPV6);
        route('::/0', GATEWAY_IPV6);
      }
      await batch.run();
    } finally {
      channel.close();
    }
  }
}

/** A link by name, or undefined when there is none. */
async function getLink(channel: NetlinkChannel, name: string): Promise<LinkInfo | undefined> {
  const batch = new Batch(channel);
  const seq = batch.add(`reading ${name}`, (w, s) => writeLinkGet(w, s, name));
  try {
    const replies = await batch.run();
    return replies
      .get(seq)
      ?.map(decodeLink)
      .find((l) => l !== undefined);
  } catch (err) {
    if (err instanceof NetlinkError && err.errno === ENODEV) return undefined;
    throw err;
  }
}
