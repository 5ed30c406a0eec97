// LearnedRoutes through its ports: a stand-in Loc-RIB (BestPaths) and a stand-in route programmer
// that records what the kernel side is told; batches run by hand, time is a variable. Fast: no
// namespaces, no speaker.
import test from 'ava';
import { type BestPaths, LearnedRoutes } from '../../src/agent/learned-routes.js';

class FakeRib implements BestPaths {
  readonly best = new Map<string, string[]>();
  reads = 0;
  forwardingNextHops(prefix: string): readonly string[] | undefined {
    this.reads++;
    return this.best.get(prefix);
  }
  forEachForwarding(fn: (prefix: string, nextHops: readonly string[]) => void): void {
    for (const [p, h] of this.best) fn(p, h);
  }
}

function harness() {
  const calls: (
    | { full: { prefix: string; nextHops: string[] }[]; authoritative: boolean }
    | { update: [string, readonly string[] | undefined][] }
  )[] = [];
  let now = 1_000_000;
  let pending: { due: number; fn: () => void }[] = [];
  const learned = new LearnedRoutes({
    routes: {
      setLearned: (routes, authoritative) =>
        calls.push({
          full: routes.map((r) => ({ ...r })).sort((a, b) => a.prefix.localeCompare(b.prefix)),
          authoritative,
        }),
      updateLearned: (changes) => calls.push({ update: [...changes] }),
    },
    selfAddresses: ['10.0.0.1'],
    now: () => now,
    schedule: (fn, ms) => pending.push({ due: now + ms, fn }),
  });
  /** Runs every timer due by now (a batch's few milliseconds count as due). */
  const run = () => {
    for (;;) {
      const due = pending.filter((p) => p.due <= now + 100);
      if (!due.length) return;
      pending = pending.filter((p) => !due.includes(p));
      for (const p of due) p.fn();
    }
  };
  return { learned, calls, run, advance: (ms: number) => (now += ms) };
}

test('a burst of best-path changes becomes one kernel update naming only those prefixes', (t) => {
  const { learned, calls, run } = harness();
  const rib = new FakeRib();
  rib.best.set('10.65.1.0/26', ['10.0.0.2']);
  learned.attach(rib);
  run();
  t.deepEqual(calls.splice(0), [{ full: [{ prefix: '10.65.1.0/26', nextHops: ['10.0.0.2'] }], authoritative: true }]);
  learned.bestPathChanged('10.65.2.0/26', ['10.0.0.3']);
  learned.bestPathChanged('10.65.3.0/26', ['10.0.0.1']); // our own next hop: not installed
  learned.bestPathChanged('10.65.2.0/26', ['10.0.0.4']); // the later change wins
  learned.bestPathChanged('10.65.1.0/26', undefined);
  run();
  t.deepEqual(calls, [
    {
      update: [
        ['10.65.2.0/26', ['10.0.0.4']],
        ['10.65.3.0/26', undefined],
        ['10.65.1.0/26', undefined],
      ],
    },
  ]);
  t.is(rib.reads, 0, 'event next hops are used as they are: no Loc-RIB read');
});

test('one borrowed /32 announced or withdrawn re-checks that prefix alone, reading it from the Loc-RIB', (t) => {
  const { learned, calls, run } = harness();
  const rib = new FakeRib();
  for (let i = 0; i < 1000; i++) rib.best.set(`10.65.${i >> 2}.${(i & 3) * 64}/26`, ['10.0.0.2']);
  rib.best.set('10.66.0.9/32', ['10.0.0.3']);
  learned.setAnnounced(new Set(['10.64.0.0/26']));
  learned.attach(rib);
  run();
  t.is(calls.splice(0).length, 1, 'one full pass for the new speaker');
  learned.setAnnounced(new Set(['10.64.0.0/26', '10.66.0.9/32']));
  run();
  t.deepEqual(calls.splice(0), [{ update: [['10.66.0.9/32', undefined]] }], 'hidden by our own /32');
  t.is(rib.reads, 1);
  learned.setAnnounced(new Set(['10.64.0.0/26']));
  run();
  t.deepEqual(calls.splice(0), [{ update: [['10.66.0.9/32', ['10.0.0.3']]] }], 'back from the Loc-RIB');
  t.is(rib.reads, 2, 'not one read per learned route');
  learned.setAnnounced(new Set(['10.64.0.0/26']));
  run();
  t.deepEqual(calls, [], 'the same announcements again: nothing to do');
});

test('a peer changed during the graceful-restart grace: its routes pass at once, the grace end makes the kernel exactly the Loc-RIB', (t) => {
  const { learned, calls, run, advance } = harness();
  const rib = new FakeRib();
  learned.startGrace(10_000);
  rib.best.set('10.65.1.0/26', ['10.0.0.2']);
  learned.attach(rib);
  run();
  t.deepEqual(
    calls.splice(0),
    [{ full: [{ prefix: '10.65.1.0/26', nextHops: ['10.0.0.2'] }], authoritative: false }],
    'during the grace routes missing from BGP are kept (not authoritative)',
  );
  // the peer's session is re-planned (a new next hop) while the grace runs
  advance(3_000);
  rib.best.set('10.65.1.0/26', ['10.0.0.5']);
  learned.bestPathChanged('10.65.1.0/26', ['10.0.0.5']);
  rib.best.set('10.65.2.0/26', ['10.0.0.5']);
  learned.bestPathChanged('10.65.2.0/26', ['10.0.0.5']);
  learned.poke(); // the periodic resync during the grace does not end it early
  run();
  t.deepEqual(calls.splice(0), [
    {
      update: [
        ['10.65.1.0/26', ['10.0.0.5']],
        ['10.65.2.0/26', ['10.0.0.5']],
      ],
    },
  ]);
  advance(7_100);
  run();
  t.deepEqual(calls, [
    {
      full: [
        { prefix: '10.65.1.0/26', nextHops: ['10.0.0.5'] },
        { prefix: '10.65.2.0/26', nextHops: ['10.0.0.5'] },
      ],
      authoritative: true,
    },
  ]);
});

test('no speaker (Static routing): nothing reaches the kernel; a speaker attached again is a full pass', (t) => {
  const { learned, calls, run } = harness();
  const rib = new FakeRib();
  rib.best.set('10.65.1.0/26', ['10.0.0.2']);
  learned.attach(rib);
  run();
  calls.splice(0);
  learned.attach(undefined);
  learned.bestPathChanged('10.65.1.0/26', undefined);
  run();
  t.deepEqual(calls, [], 'the static reconciler owns the learned routes now');
  learned.attach(rib);
  run();
  t.deepEqual(calls, [{ full: [{ prefix: '10.65.1.0/26', nextHops: ['10.0.0.2'] }], authoritative: true }]);
});
