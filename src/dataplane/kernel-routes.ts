// Reading the kernel: the main table's routes of the protocols asked for (both families, one dump
// each over netlink), and link names for showing them.

import type { Family } from '../model/index.js';
import { decodeLink, writeLinkDump } from './link-codec.js';
import { MessageWriter } from './message-writer.js';
import type { NetlinkChannel } from './netlink-channel.js';
import { decodeRoute, routeProtocol, writeRouteDump } from './route-codec.js';
import type { KernelRoute } from './types.js';

/** A dump the kernel flagged as interrupted by a change is read again, this many times at most. */
export const DUMP_ATTEMPTS = 3;

/**
 * Calls `fn` with each route of one family in the main table whose protocol is in `protocols`
 * (one dump). Resolves with whether the kernel flagged the dump as interrupted by a change: then
 * what `fn` saw may be incomplete, and the caller reads again.
 */
export async function dumpRoutes(
  channel: NetlinkChannel,
  family: Family,
  protocols: ReadonlySet<number>,
  fn: (route: KernelRoute) => void,
): Promise<{ interrupted: boolean }> {
  const w = new MessageWriter(64);
  writeRouteDump(w, channel.nextSeq(), family);
  return channel.dump(w, (msg) => {
    // most of a large table is filtered on one byte, before any attribute is decoded
    if (!protocols.has(routeProtocol(msg))) return;
    const r = decodeRoute(msg);
    if (r) fn(r);
  });
}

/**
 * Like dumpRoutes, but `fn` gets each message of one of `protocols` as its payload range in the
 * received datagram (valid only during the call): a full table is read without an object per route.
 */
export function dumpRawRoutes(
  channel: NetlinkChannel,
  family: Family,
  protocols: ReadonlySet<number>,
  fn: (buf: Buffer, start: number, end: number) => void,
): Promise<{ interrupted: boolean }> {
  const w = new MessageWriter(64);
  writeRouteDump(w, channel.nextSeq(), family);
  return channel.dumpRaw(w, (buf, start, end) => {
    if (end - start > 5 && protocols.has(buf[start + 5]!)) fn(buf, start, end);
  });
}

/** Routes in the main table whose protocol is in `protocols`. */
export async function readRoutes(channel: NetlinkChannel, protocols: ReadonlySet<number>): Promise<KernelRoute[]> {
  let out: KernelRoute[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    for (let attempt = 1; ; attempt++) {
      const rows: KernelRoute[] = [];
      const { interrupted } = await dumpRoutes(channel, family, protocols, (r) => rows.push(r));
      if (!interrupted || attempt === DUMP_ATTEMPTS) {
        out = out.concat(rows);
        break;
      }
    }
  }
  return out;
}

/** Interface index → name. */
export async function linkNames(channel: NetlinkChannel): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  const w = new MessageWriter(64);
  writeLinkDump(w, channel.nextSeq());
  await channel.dump(w, (msg) => {
    const link = decodeLink(msg);
    if (link) names.set(link.index, link.name);
  });
  return names;
}
