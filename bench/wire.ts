// BGP wire codec throughput: UPDATEs carrying 1,000,000 IPv4 prefixes (a /16–/32 mix shaped like a
// full table, 1,000 attribute sets, packed into 4096-byte UPDATEs as a router packs them) and
// 200,000 IPv6 prefixes, decoded and encoded by bgp/wire: encoding from prefix text (the codec's
// own API) and from the RIB's numeric prefixes (what the speaker sends from). Best of 3 runs each.
import type { PathAttributes } from '../bgp/rib/attributes.js';
import { newScratch, parseKey } from '../bgp/rib/prefix-key.js';
import { PrefixTable } from '../bgp/rib/prefix-table.js';
import { SlotPrefixes } from '../bgp/rib/slot-prefixes.js';
import { decodeMessage } from '../bgp/wire/decode.js';
import type { Attributes, UpdateMessage } from '../bgp/wire/types.js';
import { packPrefixes, packUpdates } from '../bgp/wire/update-encode.js';

const ctx = { fourOctetAs: true, ebgp: true };

/** Deterministic LCG so every run measures the same table. */
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

/** Prefix lengths roughly as in the public IPv4 table: /24 dominant, then /22–/23, /16–/21, longer. */
function v4Length(x: number): number {
  const p = x % 1000;
  if (p < 580) return 24;
  if (p < 700) return 23;
  if (p < 790) return 22;
  if (p < 900) return 16 + (p % 6);
  return 25 + (p % 8);
}

function ipv4Table(n: number): string[] {
  const next = lcg(1);
  const seen = new Set<string>();
  while (seen.size < n) {
    const len = v4Length(next());
    const addr = (next() & (len === 32 ? 0xffffffff : ~((1 << (32 - len)) - 1))) >>> 0;
    seen.add(`${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/${len}`);
  }
  return [...seen];
}

function ipv6Table(n: number): string[] {
  const next = lcg(2);
  const seen = new Set<string>();
  while (seen.size < n) {
    const len = [32, 36, 40, 44, 48, 48, 48, 56, 64][next() % 9]!;
    const words = [0x2000 | (next() & 0x0fff), next() & 0xffff, next() & 0xffff, next() & 0xffff];
    let bits = len;
    const parts = words.map((w) => {
      const keep = Math.max(0, Math.min(16, bits));
      bits -= 16;
      return (w & ((0xffff << (16 - keep)) & 0xffff)).toString(16);
    });
    seen.add(`${parts.join(':')}::/${len}`);
  }
  return [...seen];
}

function attributeSets(n: number, v6: boolean): PathAttributes[] {
  return Array.from({ length: n }, (_, i) => ({
    origin: 0,
    asPath: [{ type: 2, asns: [65001, 3356, 1000 + (i % 500), 64512 + i] }],
    nextHop: v6 ? 'fd00::1' : '10.0.0.1',
    med: i % 3 === 0 ? i : undefined,
    communities: i % 2 ? [(65001 << 16) | i, (3356 << 16) | 100] : undefined,
    largeCommunities: i % 5 === 0 ? [`65001:${i}:1`] : undefined,
  }));
}

const toWire = (a: PathAttributes): Attributes => ({
  origin: a.origin,
  asPath: a.asPath.map((s) => ({ type: s.type, asns: [...s.asns] })),
  ...(a.med !== undefined ? { med: a.med } : {}),
  ...(a.communities ? { communities: [...a.communities] } : {}),
  ...(a.largeCommunities ? { largeCommunities: [...a.largeCommunities] } : {}),
});

function best(runs: number, fn: () => number): { ms: number; count: number } {
  let ms = Number.POSITIVE_INFINITY;
  let count = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    count = fn();
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, count };
}

function line(label: string, r: { ms: number; count: number }): string {
  const perS = r.count / (r.ms / 1000);
  return `  ${label.padEnd(38)} ${(perS / 1e6).toFixed(2).padStart(6)} M prefixes/s  ${((r.ms * 1e6) / r.count).toFixed(0).padStart(5)} ns/prefix  (${r.count.toLocaleString('en')} in ${r.ms.toFixed(0)} ms)`;
}

export async function runWireBench(): Promise<void> {
  for (const [family, n] of [
    ['ipv4', 1_000_000],
    ['ipv6', 200_000],
  ] as const) {
    const prefixes = family === 'ipv4' ? ipv4Table(n) : ipv6Table(n);
    const sets = attributeSets(1000, family === 'ipv6');
    const per = Math.ceil(n / sets.length);
    const groups = sets.map((a, i) => ({ a, prefixes: prefixes.slice(i * per, (i + 1) * per) }));
    const wireGroups = groups.map((g) => ({
      attributes: toWire(g.a),
      nextHop: g.a.nextHop,
      nlri: { prefixes: g.prefixes },
    }));
    // The same prefixes as slots of a RIB prefix table.
    const k = newScratch();
    const table = new PrefixTable(family === 'ipv4' ? 0 : 1);
    const slotGroups = groups.map((g) => ({
      attributes: toWire(g.a),
      nextHop: g.a.nextHop,
      prefixes: new SlotPrefixes(
        table,
        g.prefixes.map((p) => {
          parseKey(p, k);
          return table.findOrAdd(k);
        }),
      ),
    }));
    const none = new SlotPrefixes(table, []);
    let messages: Buffer[] = [];
    const encWire = best(3, () => {
      messages = packUpdates(family, { prefixes: [] }, wireGroups, ctx);
      return n;
    });
    const encSlots = best(3, () => {
      const sent = packPrefixes(family, none, slotGroups, ctx);
      if (sent.length !== messages.length)
        throw new Error(`${sent.length} UPDATEs from slots, ${messages.length} from text`);
      return n;
    });
    const bytes = messages.reduce((s, m) => s + m.length, 0);
    const decWire = best(3, () => {
      let c = 0;
      for (const m of messages) {
        const u = decodeMessage(m, ctx).message as UpdateMessage;
        c += u.nlri.prefixes.length + (u.attributes.mpReach?.nlri.prefixes.length ?? 0);
      }
      return c;
    });
    if (decWire.count !== n) throw new Error(`decoded ${decWire.count} of ${n}`);
    console.log(
      `${family}: ${n.toLocaleString('en')} prefixes, ${sets.length} attribute sets, ${messages.length.toLocaleString('en')} UPDATEs, ${(bytes / 2 ** 20).toFixed(1)} MiB`,
    );
    console.log(line('decode  bgp/wire', decWire));
    console.log(line('encode  from text (packUpdates)', encWire));
    console.log(line('encode  from RIB slots (packPrefixes)', encSlots));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runWireBench();
