// Watching a lab namespace's kernel for the benchmark, from the benchmark's own process: a netlink
// socket created inside the namespace (src/dataplane/netns.ts) listens to route notifications
// (RTNLGRP_IPV4_ROUTE), so the first and the last learned route are seen when the kernel installs
// them, with no polling and no `ip` process competing for the CPU.
import netlink from 'netlink';
import { RTPROT_BGP, readRoutes } from '../src/dataplane/index.js';
import { messages } from '../src/dataplane/message-reader.js';
import { NetlinkChannel } from '../src/dataplane/netlink-channel.js';
import { inNetns } from '../src/dataplane/netns.js';
import { decodeRoute } from '../src/dataplane/route-codec.js';
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
  private readonly socket;

  /** `protocol`: the kernel protocol number of the routes to count (186 for ours, 12 for BIRD's). */
  constructor(
    private readonly ns: Netns,
    private readonly protocol = RTPROT_BGP,
  ) {
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
      if (this.overrun && (await this.dumpCount()) >= n) return performance.now();
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

  private async dumpCount(): Promise<number> {
    const channel = NetlinkChannel.open(this.ns.path);
    try {
      return (await readRoutes(channel, new Set([this.protocol]))).length;
    } finally {
      channel.close();
    }
  }

  close(): void {
    this.socket.close();
  }
}
