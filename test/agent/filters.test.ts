import test from 'ava';
import { compilePolicy } from '../../bgp/policy/evaluate.js';
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
