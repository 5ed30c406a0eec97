import test from 'ava';
import { compilePolicy } from '../../bgp/policy/evaluate.js';
import { AS_SEQUENCE, type PathAttributes, parseCommunity } from '../../bgp/rib/attributes.js';
import { filterPolicies } from '../../src/agent/filters.js';
import type { BGPFilter } from '../../src/model/index.js';

const filter = (spec: BGPFilter['spec']): BGPFilter => ({
  apiVersion: 'tsroute.io/v1',
  kind: 'BGPFilter',
  metadata: { name: 'f' },
  spec,
});

function verdicts(f: BGPFilter, direction: 'import' | 'export', prefixes: string[]): Record<string, boolean> {
  const policy = compilePolicy(filterPolicies(f)[direction]);
  const out: Record<string, boolean> = {};
  for (const prefix of prefixes)
    out[prefix] = policy.run(
      { origin: 0, asPath: [] },
      { prefix, peerType: 'ebgp', rrClient: false, localAs: 64512 },
    ).accept;
  return out;
}

const probes = [
  '10.0.0.0/8',
  '10.65.0.0/16',
  '10.65.3.0/26',
  '10.65.3.7/32',
  '10.66.0.0/16',
  '192.168.0.0/24',
  '0.0.0.0/0',
];

test('In and Equal match ranges and exact prefixes, first rule wins', (t) => {
  const f = filter({
    importV4: [
      { cidr: '10.65.3.0/26', matchOperator: 'Equal', action: 'Reject' },
      { cidr: '10.65.0.0/16', matchOperator: 'In', action: 'Accept' },
      { action: 'Reject' },
    ],
  });
  t.deepEqual(verdicts(f, 'import', probes), {
    '10.0.0.0/8': false,
    '10.65.0.0/16': true,
    '10.65.3.0/26': false,
    '10.65.3.7/32': true,
    '10.66.0.0/16': false,
    '192.168.0.0/24': false,
    '0.0.0.0/0': false,
  });
});

test('NotIn and NotEqual are exact complements', (t) => {
  const notIn = filter({ exportV4: [{ cidr: '10.65.0.0/16', matchOperator: 'NotIn', action: 'Reject' }] });
  t.deepEqual(verdicts(notIn, 'export', probes), {
    '10.0.0.0/8': false,
    '10.65.0.0/16': true,
    '10.65.3.0/26': true,
    '10.65.3.7/32': true,
    '10.66.0.0/16': false,
    '192.168.0.0/24': false,
    '0.0.0.0/0': false,
  });
  const notEqual = filter({ exportV4: [{ cidr: '10.65.0.0/16', matchOperator: 'NotEqual', action: 'Reject' }] });
  t.deepEqual(
    Object.entries(verdicts(notEqual, 'export', probes))
      .filter(([, v]) => v)
      .map(([k]) => k),
    ['10.65.0.0/16'],
  );
});

test('IPv4 rules leave IPv6 routes alone', (t) => {
  const f = filter({ importV4: [{ action: 'Reject' }] });
  t.deepEqual(verdicts(f, 'import', ['10.1.0.0/16', 'fd00::/64']), { '10.1.0.0/16': false, 'fd00::/64': true });
});

test('conditions of one rule all have to hold; operations ride on the accepting rule', (t) => {
  const f = filter({
    exportV4: [
      { source: 'RemotePeers', action: 'Reject' },
      {
        cidr: '10.65.0.0/16',
        matchOperator: 'In',
        prefixLength: { max: 26 },
        operations: [
          { addCommunity: { value: '64512:1' } },
          { prependASPath: { prefix: [64999] } },
          { setPriority: { value: 50 } },
        ],
        action: 'Accept',
      },
      { communities: { values: ['64512:7', '64512:7:7'] }, action: 'Reject' },
      { asPath: { originAS: 65300 }, action: 'Reject' },
    ],
  });
  const policy = compilePolicy(filterPolicies(f).export);
  const ctx = (prefix: string, sourceKind: 'local' | 'ebgp') => ({
    prefix,
    peerType: 'ebgp' as const,
    sourceKind,
    direction: 'export' as const,
    rrClient: false,
    localAs: 64512,
  });
  const own: PathAttributes = { origin: 0, asPath: [{ type: AS_SEQUENCE, asns: [64512] }] };
  t.false(policy.run(own, ctx('10.65.1.0/26', 'ebgp')).accept, 'learned: RemotePeers');
  const ok = policy.run(own, ctx('10.65.1.0/26', 'local'));
  if (!ok.accept) return t.fail();
  t.deepEqual(ok.attrs.asPath[0]?.asns, [64512, 64999], 'our own AS stays first');
  t.is(ok.attrs.localPref, 50);
  t.is(ok.attrs.communities?.length, 1);
  t.true(policy.run(own, ctx('10.65.1.7/32', 'local')).accept, 'too long for rule 2, no other rule');
  t.false(
    policy.run({ ...own, largeCommunities: ['64512:7:7'] }, ctx('10.66.0.0/24', 'local')).accept,
    'large community',
  );
  t.false(policy.run({ ...own, communities: [parseCommunity('64512:7')] }, ctx('10.66.0.0/24', 'local')).accept);
  t.false(
    policy.run({ origin: 0, asPath: [{ type: AS_SEQUENCE, asns: [64512, 65300] }] }, ctx('10.66.0.0/24', 'local'))
      .accept,
  );
  t.true(policy.run(own, ctx('10.66.0.0/24', 'local')).accept);
});
