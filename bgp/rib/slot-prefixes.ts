// A batch of the RIB's prefixes (slots of one family's PrefixTable) as the codec reads them: their
// NLRI bytes are written straight from the key arrays, with no text made on the way out.
import type { PrefixSet } from '../session/codec.js';
import type { PrefixTable } from './prefix-table.js';

export class SlotPrefixes implements PrefixSet {
  constructor(
    private readonly table: PrefixTable,
    readonly slots: number[],
  ) {}

  get count(): number {
    return this.slots.length;
  }

  text(i: number): string {
    return this.table.text(this.slots[i]!);
  }

  /** RFC 4271 §4.3: a length byte, then the significant bytes (all 4 or 16 are written; see PrefixSet). */
  write(i: number, out: Uint8Array, off: number): number {
    const slot = this.slots[i]!;
    const t = this.table;
    const len = t.lens[slot]!;
    out[off] = len;
    if (t.nWords === 1) {
      const a = t.keys[slot]!;
      out[off + 1] = a >>> 24;
      out[off + 2] = (a >>> 16) & 255;
      out[off + 3] = (a >>> 8) & 255;
      out[off + 4] = a & 255;
    } else {
      for (let w = 0; w < 4; w++) {
        const a = t.keys[slot * 4 + w]!;
        const o = off + 1 + w * 4;
        out[o] = a >>> 24;
        out[o + 1] = (a >>> 16) & 255;
        out[o + 2] = (a >>> 8) & 255;
        out[o + 3] = a & 255;
      }
    }
    return off + 1 + ((len + 7) >> 3);
  }
}

/**
 * The same with an RFC 7911 path identifier (4 bytes, §3) in front of each prefix: what an ADD-PATH
 * peer is sent. A class of its own so the packer's call stays monomorphic for everyone else.
 */
export class PathIdSlotPrefixes extends SlotPrefixes {
  constructor(
    table: PrefixTable,
    slots: number[],
    readonly ids: number[],
  ) {
    super(table, slots);
  }

  override write(i: number, out: Uint8Array, off: number): number {
    const id = this.ids[i]!;
    out[off] = id >>> 24;
    out[off + 1] = (id >>> 16) & 255;
    out[off + 2] = (id >>> 8) & 255;
    out[off + 3] = id & 255;
    return super.write(i, out, off + 4);
  }
}
