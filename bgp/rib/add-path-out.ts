// What an ADD-PATH peer (RFC 7911, send negotiated) holds from us: for each prefix, every path that
// passes export, each under its own path identifier — like BIRD's `add paths tx`, not only the best.
// The identifier is the path's row in the PathPool: unique among a prefix's paths and stable for as
// long as the path is unchanged (a new path from the same source is a new row: the peer is sent the
// new identifier and told to withdraw the old one).
//
// This costs a small record per prefix per ADD-PATH peer (the AdjRibOut bits keep their meaning: the
// slot is "sent" while the peer holds any path of it). Peers without ADD-PATH never come here.
import type { UpdateBatch } from '../session/codec.js';
import type { AdjRibOut } from './adj-rib-out.js';
import type { AttrSet } from './attributes.js';
import type { LocRib } from './loc-rib.js';
import type { FamilyIndex } from './prefix-key.js';
import { PathIdSlotPrefixes } from './slot-prefixes.js';

/** Paths of one prefix as sent: identifiers and the attributes each went with. */
interface Sent {
  ids: number[];
  sets: AttrSet[];
  /** Send every path again even if unchanged (a ROUTE-REFRESH or an export-policy re-send). */
  resend: boolean;
}

/** One UPDATE batch's worth of identified prefixes: parallel slot and identifier lists. */
export interface IdentifiedSlots {
  slots: number[];
  ids: number[];
}

/** What one chunk of a peer's queue became: the batch to send (if any), slots to release after it. */
export interface PathsChunk {
  batch?: UpdateBatch;
  /** Withdrawn slots: give them back (`AdjRibOut.release`) once the batch is encoded. */
  gone: number[];
  /** Budget left. */
  budget: number;
}

export class AddPathOut {
  private readonly sent = new Map<number, Sent>();

  /** Takes up to `budget` slots off the peer's queue and makes them one batch (see `take`). */
  takeChunk(
    rib: LocRib,
    family: FamilyIndex,
    out: AdjRibOut,
    budget: number,
    exportPath: (slot: number, row: number) => AttrSet | null,
  ): PathsChunk {
    const queue = out.queues[family];
    const announce = new Map<AttrSet, IdentifiedSlots>();
    const withdraw: IdentifiedSlots = { slots: [], ids: [] };
    const gone: number[] = [];
    for (; budget > 0 && queue.length > 0; budget--) {
      const slot = out.take(family);
      if (this.take(rib, family, slot, (row) => exportPath(slot, row), announce, withdraw)) out.announced(family, slot);
      else if (out.withdrawn(family, slot)) gone.push(slot);
    }
    if (!announce.size && !withdraw.slots.length) return { gone, budget };
    const table = rib.families[family].table;
    const batch: UpdateBatch = {
      family: family === 0 ? 'ipv4' : 'ipv6',
      withdraw: new PathIdSlotPrefixes(table, withdraw.slots, withdraw.ids),
      announce: [...announce].map(([attrs, g]) => ({ attrs, prefixes: new PathIdSlotPrefixes(table, g.slots, g.ids) })),
    };
    return { batch, gone, budget };
  }

  /**
   * Works out what the taken slot becomes for the peer: its exported paths not yet sent (or sent
   * with other attributes) go into `announce` by attribute set, identifiers it held and no longer
   * should into `withdraw`. Returns true when the peer is left holding some path of the prefix.
   */
  take(
    rib: LocRib,
    family: FamilyIndex,
    slot: number,
    exportPath: (row: number) => AttrSet | null,
    announce: Map<AttrSet, IdentifiedSlots>,
    withdraw: IdentifiedSlots,
  ): boolean {
    const key = slot * 2 + family;
    const before = this.sent.get(key);
    const now: Sent = { ids: [], sets: [], resend: false };
    const next = rib.pool.next;
    for (let row = rib.families[family].head[slot]!; row !== 0; row = next[row]!) {
      const set = exportPath(row);
      if (!set) continue;
      now.ids.push(row);
      now.sets.push(set);
      const i = before ? before.ids.indexOf(row) : -1;
      if (i >= 0 && !before!.resend && before!.sets[i] === set) continue;
      let group = announce.get(set);
      if (!group) {
        group = { slots: [], ids: [] };
        announce.set(set, group);
      }
      group.slots.push(slot);
      group.ids.push(row);
    }
    if (before)
      for (const id of before.ids)
        if (!now.ids.includes(id)) {
          withdraw.slots.push(slot);
          withdraw.ids.push(id);
        }
    if (now.ids.length === 0) {
      this.sent.delete(key);
      return false;
    }
    this.sent.set(key, now);
    return true;
  }

  /** Everything is to be sent again when next taken (ROUTE-REFRESH, export policy change). */
  resendAll(): void {
    for (const s of this.sent.values()) s.resend = true;
  }

  /** What the peer holds for `family`: slot, identifier and attributes of each path. */
  *entries(family: FamilyIndex): IterableIterator<[number, number, AttrSet]> {
    for (const [key, s] of this.sent) {
      if ((key & 1) !== family) continue;
      for (let i = 0; i < s.ids.length; i++) yield [key >>> 1, s.ids[i]!, s.sets[i]!];
    }
  }
}
