// The typed-array Loc-RIB against a plain model: random upserts and removals from a few peers over a
// small prefix space (so slots are freed and reused all the time), settled at random points. After
// each settle every prefix's best path is the one the decision process picks from the model's paths,
// gone prefixes are gone, and no attribute set outlives its last path. Run twice: on three hand-made
// attribute sets, and on an attribute-diverse table (many sets of real-looking AS paths of 2–8 ASNs,
// communities, MEDs, large communities) over more prefixes.
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { AS_SEQUENCE, AttrStore, type PathAttributes } from '../../../bgp/rib/attributes.js';
import { selectBest } from '../../../bgp/rib/decision.js';
import { LocRib } from '../../../bgp/rib/loc-rib.js';
import type { PathSource } from '../../../bgp/rib/path.js';
import { attrSetOf } from '../../../src/lab/attr-table.js';

const SOURCES: PathSource[] = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address, i) => ({
  id: i + 1,
  kind: 'ebgp',
  address,
  routerId: address,
  asn: 65001 + i,
  rrClient: false,
}));
const ATTRS: PathAttributes[] = [
  { origin: 0, asPath: [{ type: AS_SEQUENCE, asns: [65001] }], nextHop: '10.0.0.1' },
  { origin: 0, asPath: [{ type: AS_SEQUENCE, asns: [65002, 65009] }], nextHop: '10.0.0.2' },
  { origin: 1, asPath: [{ type: AS_SEQUENCE, asns: [65003] }], nextHop: '10.0.0.3', med: 5 },
];
const PREFIXES = ['10.1.0.0/24', '10.1.1.0/24', '10.1.2.0/24', '10.2.0.0/16', 'fd00:1::/48', 'fd00:2::/48'];

/** 400 attribute sets as a real table has them; the source's next hop varies with the set. */
const DIVERSE: PathAttributes[] = Array.from({ length: 400 }, (_, g) => {
  const set = attrSetOf(7, g);
  const communities = set.communities.map((c) => {
    const [hi, lo] = c.split(':').map(Number) as [number, number];
    return ((hi << 16) | lo) >>> 0;
  });
  return {
    origin: g % 7 === 0 ? 2 : 0,
    asPath: [{ type: AS_SEQUENCE, asns: set.asPath }],
    nextHop: `10.0.0.${(g % 3) + 1}`,
    ...(set.med === undefined ? {} : { med: set.med }),
    ...(communities.length ? { communities: [...new Set(communities)].sort((a, b) => a - b) } : {}),
    ...(set.largeCommunities.length ? { largeCommunities: [...set.largeCommunities].sort() } : {}),
  };
});
const MANY_PREFIXES = Array.from({ length: 48 }, (_, i) =>
  i % 6 === 5 ? `fd00:${i}::/48` : `10.${i >> 3}.${i & 7}.0/24`,
);

type Op = { kind: 'up'; p: number; s: number; a: number } | { kind: 'down'; p: number; s: number } | { kind: 'settle' };

const opsOver = (prefixes: number, attrs: number): fc.Arbitrary<Op> =>
  fc.oneof(
    fc.record({
      kind: fc.constant('up' as const),
      p: fc.nat(prefixes - 1),
      s: fc.nat(SOURCES.length - 1),
      a: fc.nat(attrs - 1),
    }),
    fc.record({ kind: fc.constant('down' as const), p: fc.nat(prefixes - 1), s: fc.nat(SOURCES.length - 1) }),
    fc.constant({ kind: 'settle' as const }),
  );

test('best paths, prefixes and attribute sets agree with a model through random churn', (t) => {
  agreesWithModel(t, ATTRS, PREFIXES, 200, 300);
});

test('the same on an attribute-diverse table: 400 real-looking attribute sets over 48 prefixes', (t) => {
  agreesWithModel(t, DIVERSE, MANY_PREFIXES, 600, 150);
});

function agreesWithModel(
  t: ExecutionContext,
  ATTRS: PathAttributes[],
  PREFIXES: string[],
  maxLength: number,
  numRuns: number,
): void {
  fc.assert(
    fc.property(
      fc.array(opsOver(PREFIXES.length, ATTRS.length), { maxLength }),
      fc.integer({ min: 1, max: 3 }),
      (ops, maxPaths) => {
        const store = new AttrStore();
        const rib = new LocRib(store, maxPaths);
        const model = new Map<string, Map<number, number>>();
        const check = () => {
          rib.settle(Number.POSITIVE_INFINITY, () => {});
          for (const prefix of PREFIXES) {
            const paths = model.get(prefix);
            const dest = rib.get(prefix);
            if (!paths?.size) {
              if (dest) return `${prefix} should be gone`;
              continue;
            }
            const want = selectBest(
              [...paths].map(([s, a]) => ({ source: SOURCES[s]!, attrs: store.intern(ATTRS[a]!) })),
              maxPaths,
            );
            if (!dest?.best) return `${prefix} has no best path`;
            if (dest.best.source.address !== want.best!.source.address || dest.best.attrs !== want.best!.attrs)
              return `${prefix}: best from ${dest.best.source.address}, the decision says ${want.best!.source.address}`;
            if (dest.paths.length !== paths.size) return `${prefix}: ${dest.paths.length} paths, model ${paths.size}`;
          }
          const live = new Set([...model.values()].flatMap((m) => [...m.values()]));
          if (rib.prefixCount !== [...model.values()].filter((m) => m.size).length) return 'prefix count';
          if (store.size !== live.size) return `${store.size} attribute sets alive, ${live.size} in use`;
          return undefined;
        };
        for (const o of ops) {
          if (o.kind === 'settle') {
            const problem = check();
            if (problem) return t.fail(problem);
            continue;
          }
          const prefix = PREFIXES[o.p]!;
          if (o.kind === 'up') {
            rib.upsert(prefix, SOURCES[o.s]!, store.intern(ATTRS[o.a]!));
            if (!model.has(prefix)) model.set(prefix, new Map());
            model.get(prefix)!.set(o.s, o.a);
          } else {
            rib.remove(prefix, SOURCES[o.s]!.address);
            model.get(prefix)?.delete(o.s);
          }
        }
        const problem = check();
        if (problem) t.fail(problem);
        return true;
      },
    ),
    { numRuns },
  );
  t.pass();
}
