// Next-hop sets as small numbers: a table of a million learned routes has only a handful of
// distinct sets of gateways, so each route keeps a 32-bit id and the set's text and netlink bytes
// exist once. Id 0 means "no route". Ids nobody uses any more are given back by `sweep`.
import { canonicalAddress, type Gateway, gatewayOf } from './ip-bytes.js';
import { MessageWriter } from './message-writer.js';
import { nextHopAttributes } from './route-codec.js';

/** The one text of a set: the gateways sorted and joined by ',' (order does not matter to the kernel). */
export function nextHopsText(nextHops: readonly string[]): string {
  if (nextHops.length === 1) {
    const h = nextHops[0]!;
    return h.includes(':') ? canonicalAddress(h) : h;
  }
  const hops = nextHops.some((h) => h.includes(':')) ? nextHops.map(canonicalAddress) : [...nextHops];
  return hops.sort().join(',');
}

export class NextHopSets {
  private readonly ids = new Map<string, number>();
  /** id → text ('' for a free id). Index 0 is unused. */
  private texts: string[] = [''];
  private gateways: (Gateway[] | undefined)[] = [undefined];
  /** Per id, the encoded next-hop attributes for an IPv4 and an IPv6 destination. */
  private encoded: ([Buffer | undefined, Buffer | undefined] | undefined)[] = [undefined];
  private readonly writer = new MessageWriter(256);
  private free: number[] = [];
  /** Ids in use after the last sweep (a sweep is due when far more exist). */
  private swept = 0;

  /** The id of the set with this text (see `nextHopsText`), made if new. */
  intern(text: string): number {
    let id = this.ids.get(text);
    if (id !== undefined) return id;
    id = this.free.pop() ?? this.texts.length;
    this.texts[id] = text;
    this.gateways[id] = undefined;
    this.encoded[id] = undefined;
    this.ids.set(text, id);
    return id;
  }

  text(id: number): string {
    return this.texts[id]!;
  }

  /** The set's gateways as netlink bytes; throws when a member is not an address. */
  gatewaysOf(id: number): Gateway[] {
    let g = this.gateways[id];
    if (!g) {
      g = this.texts[id]!.split(',').map(gatewayOf);
      this.gateways[id] = g;
    }
    return g;
  }

  /** The set's route attributes (RTA_OIF, RTA_GATEWAY/RTA_VIA/RTA_MULTIPATH) for a destination of `family`. */
  attributesOf(id: number, family: 0 | 1): Buffer {
    let both = this.encoded[id];
    if (!both) {
      both = [undefined, undefined];
      this.encoded[id] = both;
    }
    let bytes = both[family];
    if (!bytes) {
      bytes = nextHopAttributes(this.writer, family === 0 ? 'ipv4' : 'ipv6', this.gatewaysOf(id));
      both[family] = bytes;
    }
    return bytes;
  }

  get size(): number {
    return this.ids.size;
  }

  /** Whether enough ids may have fallen out of use for a sweep to be worth its walk. */
  get sweepDue(): boolean {
    return this.ids.size > 2 * this.swept + 64;
  }

  /** Frees every id for which `used` is not 1. */
  sweep(used: Uint8Array): void {
    for (let id = 1; id < this.texts.length; id++) {
      if (used[id] === 1 || this.texts[id] === '') continue;
      this.ids.delete(this.texts[id]!);
      this.texts[id] = '';
      this.gateways[id] = undefined;
      this.encoded[id] = undefined;
      this.free.push(id);
    }
    this.swept = this.ids.size;
  }

  /** One past the largest id handed out (for sizing `sweep`'s array). */
  get limit(): number {
    return this.texts.length;
  }
}
