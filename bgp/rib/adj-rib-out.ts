// What one peer has been told, and what it is still to be told, as BIRD keeps it: one bit per prefix
// for "sent", one for "queued", and a queue of the queued prefixes in order. What a queued prefix
// becomes is decided when it is sent, from the best path at that moment — so a burst of changes to
// one prefix becomes one UPDATE, and a slow peer costs a few bits per prefix, not a copy of the table.
// The attributes sent are the export of the current best path (route-engine.ts computes them), which
// is also how the Adj-RIB-Out view is shown.
import { Bitset } from './bitset.js';
import type { LocRib } from './loc-rib.js';
import type { FamilyIndex } from './prefix-key.js';
import { SlotQueue } from './slot-queue.js';

export class AdjRibOut {
  private readonly sent: readonly [Bitset, Bitset] = [new Bitset(), new Bitset()];
  private readonly queued: readonly [Bitset, Bitset] = [new Bitset(), new Bitset()];
  readonly queues: readonly [SlotQueue, SlotQueue] = [new SlotQueue(), new SlotQueue()];
  /** Prefixes the peer holds from us. */
  size = 0;

  constructor(private readonly rib: LocRib) {}

  get pendingCount(): number {
    return this.queues[0].length + this.queues[1].length;
  }

  /** Queues `slot` to be (re)considered for this peer; once per slot until it is taken. */
  queue(family: FamilyIndex, slot: number): void {
    const queued = this.queued[family];
    if (queued.has(slot)) return;
    queued.add(slot);
    // The slot must not be reused for another prefix while this peer may still have to withdraw it.
    if (!this.sent[family].has(slot)) this.rib.hold(family, slot);
    this.queues[family].push(slot);
  }

  /** Takes the oldest queued slot (call only while the family's queue is not empty). */
  take(family: FamilyIndex): number {
    const slot = this.queues[family].shift();
    this.queued[family].delete(slot);
    return slot;
  }

  /** A taken slot was announced. */
  announced(family: FamilyIndex, slot: number): void {
    const sent = this.sent[family];
    if (sent.has(slot)) return;
    sent.add(slot);
    this.size++;
  }

  /**
   * A taken slot has nothing to announce: returns true when the peer holds it and a withdrawal must
   * go out (do it before the slot can be reused: call `release` after encoding).
   */
  withdrawn(family: FamilyIndex, slot: number): boolean {
    const sent = this.sent[family];
    if (!sent.has(slot)) {
      this.rib.unhold(family, slot);
      return false;
    }
    sent.delete(slot);
    this.size--;
    return true;
  }

  /** After a withdrawal is encoded: the peer no longer holds the slot. */
  release(family: FamilyIndex, slot: number): void {
    this.rib.unhold(family, slot);
  }

  /** Every slot the peer holds, per family (for the view and a full re-send). */
  forEachSent(family: FamilyIndex, fn: (slot: number) => void): void {
    this.sent[family].forEach(fn);
  }

  /** Forgets everything (the session went down: the peer forgot it too), giving every slot back. */
  clear(): void {
    for (const family of [0, 1] as const) {
      const queued = this.queued[family];
      const sent = this.sent[family];
      queued.forEach((slot) => {
        if (!sent.has(slot)) this.rib.unhold(family, slot);
      });
      sent.forEach((slot) => {
        this.rib.unhold(family, slot);
      });
      queued.clear();
      sent.clear();
      this.queues[family].clear();
    }
    this.size = 0;
  }
}
