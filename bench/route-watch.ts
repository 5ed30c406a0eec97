// Watching a lab namespace's kernel for the benchmark, from the benchmark's own process: a netlink
// socket created inside the namespace (src/dataplane/netns.ts) listens to route notifications
// (RTNLGRP_IPV4_ROUTE), so the first and the last learned route are seen when the kernel installs
// them, with no polling and no `ip` process competing for the CPU. Or (`notify: false`) by dumps
// alone, counted without decoding: the notification socket has twice aborted the bench process from
// inside the netlink addon's native callback ("Error in native callback": at 1M routes, and while
// 100k were withdrawn), cause not found; the dumps never did.
import netlink from 'netlink';
import { RTPROT_BGP } from '../src/dataplane/index.js';
import { messages } from '../src/dataplane/message-reader.js';
import { MessageWriter } from '../src/dataplane/message-writer.js';
import { NetlinkChannel } from '../src/dataplane/netlink-channel.js';
import { inNetns } from '../src/dataplane/netns.js';
import { decodeRoute, writeRouteDump } from '../src/dataplane/route-codec.js';
import { NETLINK_ROUTE, RTM_DELROUTE, RTM_NEWROUTE } from '../src/dataplane/rtnetlink.js';
import type { Netns } from '../src/lab/index.js';

/** linux/rtnetlink.h */
const RTNLGRP_IPV4_ROUTE = 7;

export class LearnedRouteWatch {
  /** When the first learned route arrived (performance.now()), 0 before. */
  first = 0;
  private readonly seen = new Set<string>();
  private overrun = false;
  private target?: { n: number; resolve: (t: number) => void };
  private socket?: InstanceType<typeof netlink.RawNetlinkSocket>;
  private channel?: NetlinkChannel;

  /**
   * `protocol`: the kernel protocol number of the routes to count (186 for ours, 12 for BIRD's);
   * `notify` false: count by dumps only.
   */
  constructor(
    private readonly ns: Netns,
    private readonly protocol = RTPROT_BGP,
    notify = true,
  ) {
    if (!notify) {
      this.overrun = true;
      return;
    }
    this.socket = inNetns(
      ns.path,
      () => new netlink.RawNetlinkSocket(NETLINK_ROUTE, { recvBufferSize: 64 << 20, sendBufferSize: 0 }),
    );
    this.socket.on('error', () => {
      // notifications were dropped (receive buffer full): the count falls back to dumps
      this.overrun = true;
    });
    this.socket.on('message', (datagram: Buffer) => {
      // This runs inside the netlink addon's native callback: anything thrown here aborts the whole
      // process ("Error in native callback"; seen once at 1M routes, cause not pinned down). A
      // datagram we cannot read is a lost notification: count by dumps from then on.
      try {
        for (const m of messages(datagram)) {
          if ((m.type !== RTM_NEWROUTE && m.type !== RTM_DELROUTE) || m.payload[5] !== this.protocol) continue;
          const r = decodeRoute(m);
          if (!r) continue;
          if (m.type === RTM_DELROUTE) {
            this.seen.delete(r.prefix);
            continue;
          }
          if (!this.first) this.first = performance.now();
          this.seen.add(r.prefix);
        }
      } catch {
        this.overrun = true;
      }
      this.check();
    });
    this.socket.addMembership(RTNLGRP_IPV4_ROUTE);
  }

  /** Resolves with the time the kernel had `n` learned routes. */
  async until(n: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    const reached = new Promise<number>((resolve) => {
      this.target = { n, resolve };
      this.check();
    });
    while (performance.now() < deadline) {
      const t = await Promise.race([reached, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
      if (t !== undefined) return t;
      if (this.overrun) {
        const t0 = performance.now();
        if ((await this.dumpCount()) >= n) return performance.now();
        // a dump of a large table is work for the kernel too: poll no more than half the time
        await new Promise((r) => setTimeout(r, performance.now() - t0));
      }
    }
    throw new Error(`only ${this.overrun ? 'some' : this.seen.size} of ${n} learned routes within ${timeoutMs} ms`);
  }

  /** Resolves with the time the kernel had at most `n` learned routes (a withdrawal). */
  async untilAtMost(n: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.overrun ? (await this.dumpCount()) <= n : this.seen.size <= n) return performance.now();
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`still ${this.overrun ? 'some' : this.seen.size} learned routes (> ${n}) after ${timeoutMs} ms`);
  }

  private check(): void {
    if (this.target && this.seen.size >= this.target.n) {
      this.target.resolve(performance.now());
      this.target = undefined;
    }
  }

  /** Whether notifications were lost, so the end time came from a dump (100 ms resolution). */
  get fellBack(): boolean {
    return this.overrun;
  }

  /** Routes of our protocol in the kernel now (both families, counted in place). */
  private async dumpCount(): Promise<number> {
    this.channel ??= NetlinkChannel.open(this.ns.path);
    let n = 0;
    for (const family of ['ipv4', 'ipv6'] as const) {
      const w = new MessageWriter(64);
      writeRouteDump(w, this.channel.nextSeq(), family);
      await this.channel.dump(w, (msg) => {
        if (msg.payload[5] === this.protocol) n++;
      });
    }
    return n;
  }

  /** From now on, count by dumps (the notification socket is closed). */
  dumpsOnly(): void {
    this.overrun = true;
    this.socket?.close();
    this.socket = undefined;
  }

  close(): void {
    this.socket?.close();
    this.channel?.close();
  }
}
