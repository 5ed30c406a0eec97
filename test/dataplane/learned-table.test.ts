// The learned routes' compact table: its diff against what the kernel has, rows given back after
// a withdrawal, and a model check over random waves of changes (as a Map would do it).
import test from 'ava';
import fc from 'fast-check';
import {
  LearnedOps,
  LearnedTable,
  newPrefixKey,
  OP_ADD,
  OP_DELETE,
  OP_REPLACE,
  parseKey,
} from '../../src/dataplane/learned-table.js';
import { nextHopsText } from '../../src/dataplane/next-hop-sets.js';

const key = newPrefixKey();

function want(table: LearnedTable, prefix: string, hops: string[] | undefined): void {
  if (!parseKey(prefix, key)) throw new Error(prefix);
  table.want(key.family, key.words, key.len, hops?.length ? table.sets.intern(nextHopsText(hops)) : 0);
}

/** One pass: the ops as text; every op succeeds; rows nobody wants go. */
function pass(table: LearnedTable, all = false, keepMissing = false): string[] {
  const ops = new LearnedOps();
  table.diff(ops, all, keepMissing);
  const out: string[] = [];
  const names = { [OP_ADD]: 'add', [OP_REPLACE]: 'replace', [OP_DELETE]: 'delete' } as Record<number, string>;
  for (let i = 0; i < ops.length; i++) {
    out.push(
      `${names[ops.action[i]!]} ${table.text(ops.family[i] as 0 | 1, ops.row[i]!)} ${table.sets.text(ops.value[i]!)}`,
    );
    table.applied(ops, i);
  }
  table.prune();
  return out.sort();
}

test('prefixes parse into words without host-route or family mistakes', (t) => {
  t.true(parseKey('10.1.2.0/24', key));
  t.deepEqual([key.family, key.len, key.words[0]! >>> 0], [0, 24, 0x0a010200]);
  t.true(parseKey('10.1.2.3', key));
  t.is(key.len, 32);
  t.true(parseKey('fd00:1::/64', key));
  t.deepEqual([key.family, key.len, key.words[0]! >>> 0, key.words[1]], [1, 64, 0xfd000001, 0]);
  for (const bad of ['10.1.2/24', '10.1.2.0/33', '10.1.2.0/', '1000.1.2.0/8', 'x/8', 'fd00::/129'])
    t.false(parseKey(bad, key), bad);
});

test('adds, replaces and deletes follow the wanted sets; next-hop order does not matter', (t) => {
  const table = new LearnedTable();
  want(table, '10.70.0.0/24', ['10.0.0.1']);
  want(table, '10.71.0.0/24', ['10.0.0.3', '10.0.0.1']);
  want(table, 'fd00:70::/48', ['fd00:99:0::1']);
  t.deepEqual(pass(table), [
    'add 10.70.0.0/24 10.0.0.1',
    'add 10.71.0.0/24 10.0.0.1,10.0.0.3',
    'add fd00:70::/48 fd00:99::1',
  ]);
  t.is(table.installed, 3);
  want(table, '10.71.0.0/24', ['10.0.0.1', '10.0.0.3']);
  want(table, '10.70.0.0/24', ['10.0.0.2']);
  want(table, 'fd00:70::/48', undefined);
  want(table, '10.99.0.0/24', undefined); // never there: nothing to do
  t.deepEqual(pass(table), ['delete fd00:70::/48 fd00:99::1', 'replace 10.70.0.0/24 10.0.0.2']);
  t.is(table.installed, 2);
  t.is(table.size, 2);
  t.deepEqual(pass(table, true), []);
});

test('after a restart, routes the kernel has but nobody wants are kept until told otherwise', (t) => {
  const table = new LearnedTable();
  parseKey('10.72.0.0/24', key);
  table.setHave(0, key.words, key.len, table.sets.intern('10.0.0.1'));
  t.deepEqual(pass(table, true, true), []);
  t.is(table.installed, 1);
  t.deepEqual(pass(table, true, false), ['delete 10.72.0.0/24 10.0.0.1']);
  t.is(table.size, 0);
});

test('a withdrawn table gives its rows back, and the table fills again', (t) => {
  const table = new LearnedTable();
  const prefixes = Array.from({ length: 20_000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
  for (let round = 0; round < 3; round++) {
    for (const p of prefixes) want(table, p, ['10.0.0.1']);
    t.is(pass(table).length, prefixes.length);
    t.is(table.installed, prefixes.length);
    const grown = table.rows[0].index.capacity;
    for (const p of prefixes) want(table, p, undefined);
    t.is(pass(table).length, prefixes.length);
    t.is(table.size, 0);
    t.true(table.rows[0].index.capacity < grown / 4, `capacity ${table.rows[0].index.capacity} after ${grown}`);
  }
  t.is(table.sets.size, 1);
});

const prefix = fc
  .integer({ min: 0, max: 300 })
  .map((i) => (i % 7 === 0 ? `fd00:${i + 1}::/48` : `10.${i & 255}.${i >> 8}.0/24`));
const hops = fc.option(
  fc.uniqueArray(fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'), { minLength: 1, maxLength: 3 }),
  {
    nil: undefined,
  },
);
const wave = fc.array(fc.tuple(prefix, hops), { maxLength: 120 });

test('property: after every wave the kernel holds exactly what is wanted, and rows stay dense', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(wave, fc.boolean()), { maxLength: 8 }), (waves) => {
      const table = new LearnedTable();
      const model = new Map<string, string>();
      const kernel = new Map<string, string>();
      for (const [changes, full] of waves) {
        for (const [p, h] of changes) {
          want(table, p, h);
          if (h) model.set(p, nextHopsText(h));
          else model.delete(p);
        }
        for (const op of pass(table, full)) {
          const [action, p, value] = op.split(' ') as [string, string, string];
          if (action === 'delete') kernel.delete(p);
          else kernel.set(p, value);
        }
        t.deepEqual([...kernel].sort(), [...model].sort());
        t.is(table.size, model.size);
        t.is(table.installed, model.size);
        t.deepEqual(pass(table, true), []);
      }
    }),
    { numRuns: 200 },
  );
});
