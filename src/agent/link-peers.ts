// Unnumbered BGP peering: the sessions of BGPPeers with `interface: eth1` run between the IPv6
// link-local addresses of that link. This part finds the peer's address (the kernel's neighbour table
// for the interface: the peer's router advertisements, or the neighbour solicitation its connection
// attempt sent, put it there), sends our own router advertisements (a router that peers by interface,
// FRR's `neighbor eth1 interface`, learns our address from them), and gives link-local next hops
// their interface index, which the kernel needs to route through them (`via inet6 fe80::1 dev eth1`).
import { advertiseRouter, type LinkNeighbour, linkLocalNeighbours, NetlinkChannel } from '../dataplane/index.js';
import type { Logger } from './logger.js';

/** RFC 4291 §2.5.6: fe80::/10 as text (canonical, lower case). */
const LINK_LOCAL = /^fe[89ab]/;

/** How often the neighbour table is read (a new peer is found within this). */
const POLL_MS = 1000;
/** Polls without a router on a link before that is logged (once) as a warning. */
const QUIET_WARN_POLLS = 15;
/** RAs: one on every poll until the peer is found, then every this many polls (FRR sends them every 10 s). */
const ADVERTISE_EVERY = 10;

export interface LinkPeersIo {
  neighbours(ifname: string): Promise<{ ifindex: number; neighbours: LinkNeighbour[] } | undefined>;
  advertise(ifname: string): void;
}

/** The real kernel: a netlink socket per poll (a few links and neighbours, once a second). */
const kernelIo: LinkPeersIo = {
  async neighbours(ifname) {
    const channel = NetlinkChannel.open();
    try {
      return await linkLocalNeighbours(channel, ifname);
    } finally {
      channel.close();
    }
  },
  advertise: advertiseRouter,
};

interface LinkState {
  /** Find the peer here (an `interface` peer), or only learn the index (a `peerIP: fe80::1%eth1` peer). */
  discover: boolean;
  ifindex: number;
  peer?: string;
  polls: number;
  /** The last problem logged, so a lasting one is logged once. */
  problem?: string;
}

/**
 * The peer to use among the link's neighbours: the current one while it is still there (no flap),
 * else one that said it is a router, else the lowest address (deterministic).
 */
export function choosePeer(neighbours: readonly LinkNeighbour[], current: string | undefined): string | undefined {
  if (current && neighbours.some((n) => n.address === current)) return current;
  const sorted = [...neighbours].sort(
    (a, b) => Number(b.router) - Number(a.router) || a.address.localeCompare(b.address),
  );
  return sorted[0]?.address;
}

export class LinkPeers {
  private readonly links = new Map<string, LinkState>();
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly log: Logger,
    /** Called when a link's peer appears, changes or goes: the sessions are planned again. */
    private readonly changed: () => void,
    private readonly io: LinkPeersIo = kernelIo,
  ) {}

  /** The interfaces to look after: `discover` those of `interface` peers, `known` those of scoped peerIPs. */
  watch(discover: Iterable<string>, known: Iterable<string>): void {
    const wanted = new Map<string, boolean>();
    for (const name of known) wanted.set(name, false);
    for (const name of discover) wanted.set(name, true);
    for (const name of this.links.keys()) if (!wanted.has(name)) this.links.delete(name);
    for (const [name, discover] of wanted) {
      const link = this.links.get(name);
      if (link) link.discover = discover;
      else this.links.set(name, { discover, ifindex: 0, polls: 0 });
    }
    if (this.links.size && !this.timer) {
      this.timer = setInterval(() => void this.poll(), POLL_MS);
      this.timer.unref();
      void this.poll();
    } else if (!this.links.size) this.close();
  }

  /** Counts changes of what was found: plans made from an older count are stale. */
  version = 0;

  /** Whether any link is watched (else next hops need no look at all). */
  get active(): boolean {
    return this.links.size > 0;
  }

  /** The link-local address of the router on `ifname`, once found. */
  peerOn(ifname: string): string | undefined {
    return this.links.get(ifname)?.peer;
  }

  /**
   * Next hops as the kernel needs them: a link-local one gets the index of the link it is on
   * ("fe80::1%3"), known from the session it came over. Others (and unknown link-local ones) as given.
   */
  scope(nextHops: string[]): string[] {
    if (!this.links.size || !nextHops.some((h) => LINK_LOCAL.test(h))) return nextHops;
    return nextHops.map((h) => {
      for (const [name, link] of this.links)
        if (link.ifindex && (link.peer === h || this.scopedPeers.get(name)?.has(h))) return `${h}%${link.ifindex}`;
      return h;
    });
  }

  /** Link-local peers named by address (`peerIP: fe80::1%eth1`), by interface. */
  private readonly scopedPeers = new Map<string, Set<string>>();

  /** Tells which link-local addresses were given explicitly on which interfaces. */
  setScopedPeers(peers: Iterable<{ address: string; ifname: string }>): void {
    this.scopedPeers.clear();
    for (const p of peers) {
      const set = this.scopedPeers.get(p.ifname) ?? new Set<string>();
      this.scopedPeers.set(p.ifname, set);
      set.add(p.address);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    let changed = false;
    try {
      for (const [name, link] of [...this.links]) {
        const found = await this.io.neighbours(name).catch((err: Error) => {
          this.note(name, link, `reading neighbours failed: ${err.message}`);
          return undefined;
        });
        if (this.links.get(name) !== link) continue; // unwatched meanwhile
        if (!found) {
          this.note(name, link, 'no such interface');
          if (link.peer || link.ifindex) changed = true;
          link.peer = undefined;
          link.ifindex = 0;
          continue;
        }
        if (link.ifindex !== found.ifindex) changed = true;
        link.ifindex = found.ifindex;
        if (link.discover && (!link.peer || link.polls % ADVERTISE_EVERY === 0)) {
          try {
            this.io.advertise(name);
          } catch (err) {
            this.note(name, link, (err as Error).message);
          }
        }
        link.polls++;
        const peer = link.discover ? choosePeer(found.neighbours, link.peer) : undefined;
        if (link.discover && !peer && link.polls === QUIET_WARN_POLLS)
          this.note(
            name,
            link,
            `no router seen on the link after ${QUIET_WARN_POLLS} s: it must send router advertisements or connect to our link-local address (FRR: neighbor ${name} interface …; BIRD: neighbor <our fe80::…> % '<its interface>')`,
          );
        if (peer !== link.peer) {
          this.log.info({ interface: name, peer: peer ?? null, was: link.peer ?? null }, 'unnumbered peer on link');
          link.peer = peer;
          changed = true;
        }
      }
    } finally {
      this.polling = false;
    }
    if (changed) {
      this.version++;
      this.changed();
    }
  }

  private note(name: string, link: LinkState, problem: string): void {
    if (link.problem === problem) return;
    link.problem = problem;
    this.log.warn({ interface: name, problem }, 'unnumbered peering: link problem');
  }
}

/** What LinkPeers watches for this node's BGPPeers (already scoped to it). */
export function linksOf(peers: readonly { interface?: string; peerIP?: string }[]): {
  discover: string[];
  known: string[];
  scoped: { address: string; ifname: string }[];
} {
  const scoped = peers.flatMap((p) => {
    const zone = p.peerIP?.indexOf('%') ?? -1;
    return zone < 0 ? [] : [{ address: p.peerIP!.slice(0, zone), ifname: p.peerIP!.slice(zone + 1) }];
  });
  return {
    discover: peers.flatMap((p) => (p.interface ? [p.interface] : [])),
    known: scoped.map((s) => s.ifname),
    scoped,
  };
}
