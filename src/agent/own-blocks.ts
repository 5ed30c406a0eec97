// The blocks this host owns, as the agent knows them: kept from what each IPAM call reports
// (claimed, released) and, as a safety net, from a periodic re-read of the confirmed affinities in
// etcd (a block given back by the leak check or the CLI). A re-read that began before a local claim
// must not undo it, and an older read must not overwrite a newer one: the changes made while a read
// was in flight are replayed on its result, and a read older than the last one applied is dropped.
import type { Cidr } from '../model/index.js';
import type { IpamChange } from './endpoints.js';
import { cidrContains, cidrOf, hostPrefix } from './prefixes.js';

export class OwnBlocks {
  private blocks: string[] = [];
  /** `blocks` parsed, made when first needed after a change. */
  private parsed?: Cidr[];
  /** IPAM changes made while at least one read was in flight, in order. */
  private journal: IpamChange[] = [];
  /** Journal offset where each in-flight read began. */
  private readonly readsInFlight = new Set<{ from: number; seq: number }>();
  private readSeq = 0;
  private lastAppliedRead = 0;

  get list(): readonly string[] {
    return this.blocks;
  }

  /** Applies one IPAM call's outcome; returns whether the set of blocks changed. */
  apply(change: IpamChange): boolean {
    if (this.readsInFlight.size) this.journal.push(change);
    return this.replace(replay(this.blocks, [change]));
  }

  /**
   * Reads the blocks from etcd through `read` and takes the result, with the changes made meanwhile
   * replayed on it. Returns whether the set changed; a failed read changes nothing and rethrows.
   */
  async refresh(read: () => Promise<string[]>): Promise<boolean> {
    const mark = { from: this.journal.length, seq: ++this.readSeq };
    this.readsInFlight.add(mark);
    try {
      const fresh = await read();
      if (mark.seq < this.lastAppliedRead) return false; // a newer read has already been applied
      this.lastAppliedRead = mark.seq;
      return this.replace(replay(fresh, this.journal.slice(mark.from)));
    } finally {
      this.readsInFlight.delete(mark);
      if (!this.readsInFlight.size) this.journal = [];
    }
  }

  /**
   * Whether every one of `addresses` (bare, or with /32 or /128) lies in one of the blocks: then the
   * blocks' announcement and blackhole already cover it, and the address plan does not change.
   */
  covers(addresses: readonly string[]): boolean {
    if (!addresses.length) return true;
    this.parsed ??= this.blocks.map(cidrOf).filter((c): c is Cidr => c !== undefined);
    const blocks = this.parsed;
    return addresses.every((a) => {
      const c = cidrOf(a.includes('/') ? a : hostPrefix(a));
      return c !== undefined && blocks.some((b) => cidrContains(b, c));
    });
  }

  private replace(next: string[]): boolean {
    const same = next.length === this.blocks.length && next.every((b) => this.blocks.includes(b));
    this.blocks = next;
    if (!same) this.parsed = undefined;
    return !same;
  }
}

/** `blocks` with the changes applied in order; the order of the blocks is kept (new ones last). */
function replay(blocks: readonly string[], changes: readonly IpamChange[]): string[] {
  const out = new Set(blocks);
  for (const c of changes) {
    for (const b of c.claimedBlocks) out.add(b);
    for (const b of c.releasedBlocks) out.delete(b);
  }
  return [...out];
}
