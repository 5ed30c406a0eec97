// Import/export policy: matches on prefix ranges, communities, AS path and peer type; actions change
// attributes; the first verdict ends the walk.
import test from 'ava';
import { compilePolicy } from '../../../bgp/policy/evaluate.js';
import { AS_SEQUENCE, type PathAttributes, parseCommunity } from '../../../bgp/rib/attributes.js';

const base: PathAttributes = { origin: 0, asPath: [{ type: AS_SEQUENCE, asns: [65001, 65002] }], nextHop: '10.0.0.1' };
const ctx = (prefix: string) => ({
  prefix,
  peerType: 'ebgp' as const,
  rrClient: false,
  localAs: 65000,
  selfAddress: '10.0.0.9',
});

test('prefix range with ge/le rejects only the lengths inside the range', (t) => {
  const p = compilePolicy({
    rules: [{ match: { prefixes: [{ prefix: '10.0.0.0/8', ge: 24, le: 28 }] }, action: 'reject' }],
  });
  t.false(p.run(base, ctx('10.1.2.0/24')).accept);
  t.false(p.run(base, ctx('10.1.2.16/28')).accept);
  t.true(p.run(base, ctx('10.1.0.0/16')).accept);
  t.true(p.run(base, ctx('10.1.2.0/29')).accept);
  t.true(p.run(base, ctx('11.1.2.0/24')).accept);
  t.true(p.prefixDependent);
});

test('a bare prefix is an exact match; IPv6 works the same way', (t) => {
  const p = compilePolicy({ rules: [{ match: { prefixes: ['fd00:1::/48'] }, action: 'reject' }] });
  t.false(p.run(base, ctx('fd00:1::/48')).accept);
  t.true(p.run(base, ctx('fd00:1:2::/64')).accept);
});

test('add and remove communities, set MED, LOCAL_PREF and prepend, then accept', (t) => {
  const p = compilePolicy({
    rules: [
      { set: { addCommunities: ['65000:1'], removeCommunities: ['65001:7'] } },
      {
        match: { communities: ['65000:1'] },
        set: { med: 5, localPref: 300, prepend: { count: 2 }, nextHop: 'self' },
        action: 'accept',
      },
    ],
  });
  const r = p.run({ ...base, communities: [parseCommunity('65001:7')] }, ctx('10.0.0.0/24'));
  if (!r.accept) return t.fail();
  t.deepEqual(r.attrs.communities, [parseCommunity('65000:1')]);
  t.is(r.attrs.med, 5);
  t.is(r.attrs.localPref, 300);
  t.deepEqual(r.attrs.asPath[0]!.asns, [65000, 65000, 65001, 65002]);
  t.is(r.attrs.nextHop, '10.0.0.9');
});

test('AS path and peer type matches; default reject', (t) => {
  const p = compilePolicy({
    default: 'reject',
    rules: [{ match: { asPath: { origin: 65002, neighbor: 65001 }, peerType: 'ebgp' }, action: 'accept' }],
  });
  t.true(p.run(base, ctx('10.0.0.0/24')).accept);
  t.false(p.run(base, { ...ctx('10.0.0.0/24'), peerType: 'ibgp' }).accept);
  t.false(p.run({ ...base, asPath: [{ type: AS_SEQUENCE, asns: [65003] }] }, ctx('10.0.0.0/24')).accept);
  const re = compilePolicy({ rules: [{ match: { asPath: { regex: '^65001 ' } }, action: 'reject' }] });
  t.false(re.run(base, ctx('10.0.0.0/24')).accept);
});

test('large communities and prefix length matches', (t) => {
  const p = compilePolicy({
    rules: [
      { match: { largeCommunities: ['65000:1:1'] }, action: 'reject' },
      { match: { prefixLength: { min: 25 } }, action: 'reject' },
    ],
  });
  t.false(p.run({ ...base, largeCommunities: ['65000:1:1'] }, ctx('10.0.0.0/24')).accept);
  t.false(p.run(base, ctx('10.0.0.0/30')).accept);
  t.true(p.run(base, ctx('10.0.0.0/24')).accept);
});
