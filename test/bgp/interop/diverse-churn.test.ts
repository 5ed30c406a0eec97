// Waves of announcements, withdrawals and attribute changes on an attribute-diverse table (groups of
// four prefixes sharing a set of real-looking attributes: AS paths of 2–8 ASNs, communities, MEDs,
// large communities; src/lab/attr-table.ts), checked at a real BIRD after every wave: it holds
// exactly our table, every attribute included. And the other way: BIRD's churn leaves our Loc-RIB
// exactly BIRD's table.
import test from 'ava';
import { type AttrSet, attrSetOf } from '../../../src/lab/attr-table.js';
import { type Bird, type Origination, type RibRoute, waitFor } from '../../../src/lab/index.js';
import { tsrouteAndRouter } from './pair.js';

const SPACE = 3000;
const WAVES = 5;
const prefixOf = (i: number) => `10.${100 + (i >> 8)}.${i & 255}.0/24`;

/** A new attribute set every four prefixes, and a different one in every wave. */
const attrsFor = (i: number, wave: number): AttrSet => attrSetOf(11, (i >> 2) + wave * 1000);

function lcg(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

/** One line per route with every attribute the receiver keeps, sorted: two tables compare as text. */
function render(
  routes: { prefix: string; asPath: number[]; communities: string[]; largeCommunities: string[]; med?: number }[],
) {
  return routes
    .map(
      (r) =>
        `${r.prefix} path ${r.asPath.join(' ')} comm ${[...r.communities].sort().join(',')} large ${[
          ...r.largeCommunities,
        ]
          .sort()
          .join(',')} med ${r.med ?? '-'}`,
    )
    .sort();
}

/** The first lines where two renderings differ, for a failure message a person can read. */
function diff(got: string[], want: string[]): string {
  const g = new Set(got);
  const w = new Set(want);
  const missing = want.filter((x) => !g.has(x)).slice(0, 5);
  const extra = got.filter((x) => !w.has(x)).slice(0, 5);
  return `missing ${missing.length ? missing.join('; ') : '-'} | unexpected ${extra.length ? extra.join('; ') : '-'}`;
}

test('tsroute → BIRD: after each wave on an attribute-diverse table BIRD holds exactly our routes, attributes included', async (t) => {
  t.timeout(240_000);
  const { ts, router } = await tsrouteAndRouter(t, 'bird', { families: ['ipv4'] });
  const rnd = lcg(7);
  const mine = new Map<string, AttrSet>();
  for (let wave = 0; wave < WAVES; wave++) {
    const calls: Promise<unknown>[] = [];
    for (let k = 0; k < 2000; k++) {
      const i = rnd(SPACE);
      const p = prefixOf(i);
      if (mine.has(p) && rnd(3) === 0) {
        calls.push(ts.withdraw(p));
        mine.delete(p);
      } else {
        const set = attrsFor(i, wave);
        calls.push(
          ts.announce(p, {
            asPath: set.asPath,
            communities: set.communities,
            largeCommunities: set.largeCommunities,
            ...(set.med === undefined ? {} : { med: set.med }),
          }),
        );
        mine.set(p, set);
      }
    }
    await Promise.all(calls);
    // eBGP: we put our AS first; communities, large communities and the MED arrive as we sent them.
    const want = render([...mine].map(([prefix, s]) => ({ ...s, prefix, asPath: [65001, ...s.asPath] })));
    let got: string[] = [];
    await waitFor(
      `wave ${wave}: BIRD holds exactly our ${mine.size} routes`,
      async () => {
        // BIRD's own table has its connected network besides what we sent
        got = render((await router.routes('ipv4')).filter((r) => /^10\.1\d\d\./.test(r.prefix)));
        return got.join('\n') === want.join('\n');
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    ).catch(() => undefined);
    t.true(
      got.join('\n') === want.join('\n'),
      `wave ${wave}: ${got.length} routes, want ${want.length}: ${diff(got, want)}`,
    );
  }
});

test('BIRD → tsroute: BIRD reconfigured wave after wave on an attribute-diverse table; our Loc-RIB holds exactly its routes', async (t) => {
  t.timeout(240_000);
  const { ts, router } = await tsrouteAndRouter(t, 'bird', { families: ['ipv4'] });
  const bird = router as Bird;
  const rnd = lcg(13);
  const theirs = new Map<string, AttrSet>();
  for (let wave = 0; wave < WAVES; wave++) {
    for (let k = 0; k < 2000; k++) {
      const i = rnd(SPACE);
      const p = prefixOf(i);
      if (theirs.has(p) && rnd(3) === 0) theirs.delete(p);
      else theirs.set(p, attrsFor(i, wave));
    }
    const routes: Origination[] = [...theirs].map(([prefix, s]) => ({
      prefix,
      asPathPrepend: s.asPath,
      communities: s.communities,
      largeCommunities: s.largeCommunities,
      ...(s.med === undefined ? {} : { med: s.med }),
    }));
    await bird.originate(routes);
    // BIRD prepends its own AS (65002) when it sends to us, and sends a MED to an eBGP peer only when
    // its export filter set it (a MED on a static route stays home).
    const want = render(
      [...theirs].map(([prefix, s]) => ({ ...s, prefix, asPath: [65002, ...s.asPath], med: undefined })),
    );
    let got: string[] = [];
    await waitFor(
      `wave ${wave}: our Loc-RIB holds exactly BIRD's ${theirs.size} routes`,
      async () => {
        got = render((await ts.locRib()) as RibRoute[]);
        return got.join('\n') === want.join('\n');
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    ).catch(() => undefined);
    t.true(
      got.join('\n') === want.join('\n'),
      `wave ${wave}: ${got.length} routes, want ${want.length}: ${diff(got, want)}`,
    );
  }
});
