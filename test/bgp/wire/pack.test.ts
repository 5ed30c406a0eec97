// The UPDATE packer (RFC 4271 §4.3, RFC 7606 §5.1): as many prefixes per message as fit in 4096 bytes,
// MP_REACH/MP_UNREACH first, one NLRI carrier per UPDATE, and nothing lost or duplicated.
import test from 'ava';
import { ATTR } from '../../../bgp/wire/constants.js';
import { decodeMessage } from '../../../bgp/wire/decode.js';
import type { UpdateMessage } from '../../../bgp/wire/types.js';
import { packUpdates } from '../../../bgp/wire/update-encode.js';

const ctx = { fourOctetAs: true, ebgp: true };
const v4 = Array.from({ length: 5000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
const v6 = Array.from({ length: 3000 }, (_, i) => `fd00:${(i + 1).toString(16)}::/48`);
const attributes = { origin: 0, asPath: [{ type: 2, asns: [65001] }], communities: [0xfde90064] };

/** First attribute type code in the attribute section of an UPDATE. */
function firstAttr(m: Buffer): number | undefined {
  const wlen = m.readUInt16BE(19);
  const alen = m.readUInt16BE(21 + wlen);
  return alen ? m[23 + wlen + 1] : undefined;
}

for (const [family, prefixes, nextHop] of [
  ['ipv4', v4, '10.0.0.1'],
  ['ipv6', v6, 'fd00::1'],
] as const) {
  test(`${family}: ${prefixes.length} announced + withdrawn prefixes packed full, nothing lost`, (t) => {
    const msgs = packUpdates(
      family,
      { prefixes: prefixes.slice(0, 1000) },
      [{ attributes, nextHop, nlri: { prefixes } }],
      ctx,
    );
    const announced: string[] = [];
    const withdrawn: string[] = [];
    for (const m of msgs) {
      t.true(m.length <= 4096);
      const d = decodeMessage(m, ctx);
      t.is(d.action, 'none', d.errors.join('; '));
      const u = d.message as UpdateMessage;
      const a = u.attributes;
      // One NLRI carrier per UPDATE.
      const carriers = [
        u.nlri.prefixes.length,
        u.withdrawn.prefixes.length,
        a.mpReach?.nlri.prefixes.length ?? 0,
        a.mpUnreach?.withdrawn.prefixes.length ?? 0,
      ];
      t.is(carriers.filter((n) => n > 0).length, 1);
      if (a.mpReach || a.mpUnreach)
        t.true([ATTR.MP_REACH, ATTR.MP_UNREACH].includes(firstAttr(m) as 14 | 15), 'MP attribute first');
      if (a.mpReach) t.is(a.mpReach.nextHop, nextHop);
      else if (u.nlri.prefixes.length) t.is(a.nextHop, nextHop);
      announced.push(...u.nlri.prefixes, ...(a.mpReach?.nlri.prefixes ?? []));
      withdrawn.push(...u.withdrawn.prefixes, ...(a.mpUnreach?.withdrawn.prefixes ?? []));
    }
    t.deepEqual(announced, prefixes);
    t.deepEqual(withdrawn, prefixes.slice(0, 1000));
    // Packed full: all but the last message of each run within one prefix of the limit.
    const full = msgs.filter((m) => m.length > 4096 - (family === 'ipv4' ? 5 : 8));
    const bytes = prefixes.length * (family === 'ipv4' ? 4 : 7) + 1000 * (family === 'ipv4' ? 4 : 7);
    t.true(msgs.length <= Math.ceil(bytes / 3900) + 2, `${msgs.length} messages`);
    t.true(full.length >= msgs.length - 2, `${full.length} of ${msgs.length} full`);
  });
}

test('an IPv4 route with an IPv6 next hop (RFC 8950) travels in MP_REACH_NLRI', (t) => {
  const [m] = packUpdates(
    'ipv4',
    { prefixes: [] },
    [{ attributes, nextHop: 'fd00::1', nlri: { prefixes: ['10.1.0.0/24'] } }],
    ctx,
  );
  const u = decodeMessage(m!, ctx).message as UpdateMessage;
  t.like(u.attributes.mpReach, { afi: 1, nextHop: 'fd00::1', nlri: { prefixes: ['10.1.0.0/24'] } });
  t.deepEqual(u.nlri.prefixes, []);
});

test('attributes too big for the message limit: the prefixes go out as withdrawals, never as an oversized UPDATE', (t) => {
  const many = { ...attributes, communities: Array.from({ length: 1500 }, (_, i) => 0xfde90000 + i) };
  for (const [family, nextHop, prefixes] of [
    ['ipv4', '10.0.0.1', ['10.1.0.0/24', '10.2.0.0/24']],
    ['ipv6', 'fd00::1', ['fd00:1::/48']],
  ] as const) {
    const msgs = packUpdates(
      family,
      { prefixes: [] },
      [{ attributes: many, nextHop, nlri: { prefixes: [...prefixes] } }],
      ctx,
    );
    t.true(
      msgs.every((m) => m.length <= 4096),
      `${family}: nothing above 4096 bytes`,
    );
    const withdrawn = msgs.flatMap((m) => {
      const u = decodeMessage(m, ctx).message as UpdateMessage;
      t.falsy(u.attributes.communities, 'no announcement');
      return [...u.withdrawn.prefixes, ...(u.attributes.mpUnreach?.withdrawn.prefixes ?? [])];
    });
    t.deepEqual(withdrawn, [...prefixes], `${family}: withdrawn instead`);
    // With RFC 8654's limit the same group is one announcement.
    const big = packUpdates(
      family,
      { prefixes: [] },
      [{ attributes: many, nextHop, nlri: { prefixes: [...prefixes] } }],
      {
        ...ctx,
        maxMessage: 65535,
      },
    );
    t.is(big.length, 1);
    t.true(big[0]!.length > 4096);
  }
});
