// The RIB's prefix table (open addressing, backward-shift deletion) against a Map, under random
// inserts, lookups and removals in both families — with the table growing and shrinking through it.
import test from 'ava';
import { keyText, newScratch, parseKey } from '../../../bgp/rib/prefix-key.js';
import { PrefixTable } from '../../../bgp/rib/prefix-table.js';

/** A seeded LCG; its high bits pick (the low bits of an LCG repeat quickly). */
function lcg(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

for (const family of [0, 1] as const)
  test(`${family === 0 ? 'IPv4' : 'IPv6'}: slots stay put, lookups agree with a Map, removal leaves no holes`, (t) => {
    const table = new PrefixTable(family);
    const ref = new Map<string, number>();
    const k = newScratch();
    const rnd = lcg(7 + family);
    for (let i = 0; i < 200_000; i++) {
      // A dense space (many repeats) and host bits set on purpose: parsing must clear them.
      const text =
        family === 0
          ? `${rnd(16)}.${rnd(64)}.${rnd(256)}.${rnd(256)}/${18 + rnd(7)}`
          : `fd00:${rnd(256).toString(16)}:${rnd(4096).toString(16)}::${rnd(16)}/${40 + rnd(9)}`;
      t.true(parseKey(text, k), text);
      const canon = keyText(k);
      if (rnd(4) === 0) {
        const slot = table.find(k);
        t.is(slot >= 0, ref.has(canon), `find ${canon}`);
        if (slot >= 0) {
          table.remove(slot);
          ref.delete(canon);
        }
      } else {
        const slot = table.findOrAdd(k);
        const before = ref.get(canon);
        if (before !== undefined) t.is(slot, before, `slot of ${canon} moved`);
        ref.set(canon, slot);
      }
    }
    t.is(table.size, ref.size);
    for (const [text, slot] of ref) {
      parseKey(text, k);
      if (table.find(k) !== slot || table.text(slot) !== text) t.fail(`${text} lost`);
    }
    t.true(ref.size > 1000, `only ${ref.size} prefixes: the test did not exercise growth`);
  });

test('prefix text: canonical forms, host bits cleared, bad input refused', (t) => {
  const k = newScratch();
  const canon = (s: string) => (parseKey(s, k) ? keyText(k) : undefined);
  t.is(canon('10.1.2.3/24'), '10.1.2.0/24');
  t.is(canon('0.0.0.0/0'), '0.0.0.0/0');
  t.is(canon('255.255.255.255/32'), '255.255.255.255/32');
  t.is(canon('FD00:0:0::1/64'), 'fd00::/64');
  t.is(canon('::/0'), '::/0');
  for (const bad of ['10.1.2/24', '10.1.2.3', '10.1.2.300/24', '10.1.2.3/33', 'fd00::/129', 'x/8', '1.2.3.4/'])
    t.is(canon(bad), undefined, bad);
});
