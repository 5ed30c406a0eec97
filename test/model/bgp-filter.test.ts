// BGPFilter validation: what a rule may say, and the one line a person reads when it is wrong.
import test from 'ava';
import { API_VERSION, parseResource, ValidationError } from '../../src/model/index.js';

const problem = (rule: Record<string, unknown>, list = 'importV4') => {
  try {
    parseResource({ apiVersion: API_VERSION, kind: 'BGPFilter', metadata: { name: 'f' }, spec: { [list]: [rule] } });
    return undefined;
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return err.message;
  }
};

test('a rule with every condition and operation is accepted', (t) => {
  t.is(
    problem({
      cidr: '10.0.0.0/8',
      matchOperator: 'In',
      prefixLength: { min: 16, max: 24 },
      source: 'RemotePeers',
      communities: { values: ['65000:1', '65000:1:2'] },
      asPath: { contains: 65001, originAS: 65002 },
      operations: [
        { addCommunity: { value: '65000:9' } },
        { prependASPath: { prefix: [65000, 65000] } },
        { setPriority: { value: 200 } },
      ],
      action: 'Accept',
    }),
    undefined,
  );
});

test('interface is refused with the reason and what to use instead', (t) => {
  t.is(
    problem({ interface: 'tsr*', action: 'Reject' }, 'exportV4'),
    'bgpfilter "f": spec.exportV4[0].interface: matching by interface is not supported: tsroute announces its ' +
      'blocks and borrowed addresses itself, not from kernel routes; match them with cidr/matchOperator or ' +
      'source: RemotePeers instead',
  );
});

test('wrong values say which field and why', (t) => {
  const cases: [Record<string, unknown>, RegExp, string?][] = [
    [
      { prefixLength: { min: 33 }, action: 'Accept' },
      /importV4\[0\]\.prefixLength\.min 33 is longer than an IPv4 prefix/,
    ],
    [
      { prefixLength: { max: 129 }, action: 'Accept' },
      /prefixLength\.max 129 is longer than an IPv6 prefix/,
      'importV6',
    ],
    [{ prefixLength: { min: 24, max: 16 }, action: 'Accept' }, /prefixLength\.min 24 is above max 16/],
    [{ communities: { values: ['65536:1'] }, action: 'Reject' }, /"65536:1" is not a community/],
    [{ communities: { values: ['1:4294967296:1'] }, action: 'Reject' }, /"1:4294967296:1" is not a community/],
    [{ communities: { values: [] }, action: 'Reject' }, /communities\.values is empty/],
    [{ asPath: {}, action: 'Reject' }, /asPath needs contains or originAS/],
    [{ asPath: { originAS: 23456 }, action: 'Reject' }, /23456 is AS_TRANS/],
    [{ asPath: { contains: 0 }, action: 'Reject' }, /asPath\.contains must be at least 1/],
    [
      { operations: [{}], action: 'Accept' },
      /operations\[0\] must name exactly one of addCommunity, prependASPath, setPriority \(got 0\)/,
    ],
    [
      { operations: [{ addCommunity: { value: '1:1' }, setPriority: { value: 1 } }], action: 'Accept' },
      /operations\[0\] must name exactly one .* \(got 2\)/,
    ],
    [{ operations: [{ addCommunity: { value: 'x' } }], action: 'Accept' }, /"x" is not a community/],
    [{ operations: [{ prependASPath: { prefix: [] } }], action: 'Accept' }, /prependASPath\.prefix is empty/],
    [{ operations: [{ prependASPath: { prefix: ['65000'] } }], action: 'Accept' }, /must be a list of whole numbers/],
    [{ operations: [{ prependASPath: { prefix: new Array(17).fill(65000) } }], action: 'Accept' }, /at most 16/],
    [{ operations: [{ setPriority: { value: -1 } }], action: 'Accept' }, /setPriority\.value must be at least 0/],
    [
      { operations: [{ setPriority: { value: 1 } }], action: 'Reject' },
      /operations on a Reject rule would never be seen/,
    ],
    [{ source: 'Local', action: 'Reject' }, /source must be one of RemotePeers/],
  ];
  for (const [rule, want, list] of cases) t.regex(problem(rule, list) ?? 'accepted', want, JSON.stringify(rule));
});
