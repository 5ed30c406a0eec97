// When a lab namespace's kernel route to one prefix changed, and to what: a netlink socket inside the
// namespace (src/dataplane/netns.ts) subscribed to IPv4 route notifications, read by the benchmark's
// own process, so the moment the agent reprograms the route is seen without polling.
import netlink from 'netlink';
import { messages } from '../src/dataplane/message-reader.js';
import { inNetns } from '../src/dataplane/netns.js';
import { decodeRoute } from '../src/dataplane/route-codec.js';
import { NETLINK_ROUTE, RTM_DELROUTE, RTM_NEWROUTE } from '../src/dataplane/rtnetlink.js';
import type { Netns } from '../src/lab/index.js';

/** linux/rtnetlink.h */
const RTNLGRP_IPV4_ROUTE = 7;

export interface RouteEvent {
  /** performance.now() when the notification was read. */
  at: number;
  /** Sorted next hops; empty for a deletion. */
  nextHops: string[];
}

export class NextHopWatch {
  readonly events: RouteEvent[] = [];
  private readonly socket;
  private waiter?: { from: number; want: (hops: string[]) => boolean; resolve: (e: RouteEvent) => void };

  constructor(
    ns: Netns,
    private readonly prefix: string,
  ) {
    this.socket = inNetns(
      ns.path,
      () => new netlink.RawNetlinkSocket(NETLINK_ROUTE, { recvBufferSize: 4 << 20, sendBufferSize: 0 }),
    );
    this.socket.on('message', (datagram: Buffer) => {
      const at = performance.now();
      for (const m of messages(datagram)) {
        if (m.type !== RTM_NEWROUTE && m.type !== RTM_DELROUTE) continue;
        const r = decodeRoute(m);
        if (r?.prefix !== this.prefix) continue;
        this.record({ at, nextHops: m.type === RTM_DELROUTE ? [] : [...r.nextHops].sort() });
      }
    });
    this.socket.addMembership(RTNLGRP_IPV4_ROUTE);
  }

  private record(e: RouteEvent): void {
    this.events.push(e);
    if (this.waiter && e.at >= this.waiter.from && this.waiter.want(e.nextHops)) {
      this.waiter.resolve(e);
      this.waiter = undefined;
    }
  }

  /** The first change at or after `from` whose next hops satisfy `want` (already seen or still to come). */
  until(from: number, want: (hops: string[]) => boolean, timeoutMs: number): Promise<RouteEvent> {
    const seen = this.events.find((e) => e.at >= from && want(e.nextHops));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no route change for ${this.prefix} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        from,
        want,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
    });
  }

  close(): void {
    this.socket.close();
  }
}
