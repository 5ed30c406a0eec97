// A first-in first-out queue of slot numbers in one growable Int32Array: the RIB's dirty prefixes
// and each peer's prefixes still to send. Callers keep a flag per slot so a slot is queued once.
import { grown } from './prefix-table.js';

export class SlotQueue {
  private items = new Int32Array(1024);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  push(slot: number): void {
    if (this.end === this.items.length) {
      if (this.start > this.items.length / 2) {
        this.items.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      } else this.items = grown(this.items, this.items.length * 2);
    }
    this.items[this.end++] = slot;
  }

  /** The oldest slot (call only when length > 0). */
  shift(): number {
    const slot = this.items[this.start++]!;
    if (this.start === this.end) this.start = this.end = 0;
    return slot;
  }

  clear(): void {
    this.start = this.end = 0;
    if (this.items.length > 1024) this.items = new Int32Array(1024);
  }
}
