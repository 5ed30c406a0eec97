// Every invalid input gets one line that says what is wrong, exit code 1, and leaves etcd exactly as
// it was; an etcd that is away is exit code 2 within seconds.
import test from 'ava';
import { Ipam } from '../../src/ipam/index.js';
import { etcdDatastore, pool } from '../ipam/fixture.js';
import { runCli } from './run-cli.js';

const doc = (spec: string, kind = 'IPPool', name = 'x') =>
  `apiVersion: tsroute.io/v1\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${spec}\n`;

const CASES: { what: string; args: string[]; input?: string; error: RegExp }[] = [
  {
    what: 'bad CIDR',
    args: ['ippool', 'create', 'b', '--cidr', '10.0.0.300/16'],
    error: /"10\.0\.0\.300\/16" is not a CIDR/,
  },
  {
    what: 'host bits set',
    args: ['ippool', 'create', 'b', '--cidr', '10.80.1.0/16'],
    error: /has host bits set \(did you mean 10\.80\.0\.0\/16\?\)/,
  },
  {
    what: 'overlap',
    args: ['ippool', 'create', 'b', '--cidr', '10.65.128.0/17'],
    error: /^tsroute: ippool "b" overlaps ippool "a" \(10\.65\.0\.0\/16\)\n$/,
  },
  {
    what: 'blockSize out of range',
    args: ['ippool', 'create', 'b', '--cidr', '10.81.0.0/16', '--block-size', '19'],
    error: /spec\.blockSize 19 is out of range for IPv4 \(20-32\)/,
  },
  {
    what: 'IPv6 blockSize out of range',
    args: ['ippool', 'create', 'b', '--cidr', 'fd00::/48', '--block-size', '64'],
    error: /out of range for IPv6 \(116-128\)/,
  },
  {
    what: 'immutable cidr',
    args: ['ippool', 'update', 'a', '--cidr', '10.66.0.0/16'],
    error: /ippool "a": spec\.cidr cannot change once set/,
  },
  {
    what: 'immutable blockSize by apply',
    args: ['apply', '-f', '-'],
    input: doc('{cidr: 10.65.0.0/16, blockSize: 27}', 'IPPool', 'a'),
    error: /spec\.blockSize cannot change once set \(it is 26\)/,
  },
  {
    what: 'unknown field',
    args: ['apply', '-f', '-'],
    input: doc('{cidr: 10.90.0.0/16, blokSize: 26}'),
    error: /unknown field "spec\.blokSize"/,
  },
  { what: 'unknown kind', args: ['apply', '-f', '-'], input: doc('{}', 'IPPol'), error: /unknown kind "IPPol"/ },
  { what: 'pool in use', args: ['ippool', 'delete', 'a'], error: /ippool "a" has 1 address\(es\) in use; disable it/ },
  {
    what: 'second document invalid',
    args: ['apply', '-f', '-'],
    input: `${doc('{cidr: 10.91.0.0/16}', 'IPPool', 'ok')}---\n${doc('{cidr: nope}')}`,
    error: /^tsroute: stdin document 2: ippool "x": spec.cidr "nope" is not a CIDR/,
  },
  {
    what: 'a later document overlaps an existing pool',
    args: ['apply', '-f', '-'],
    input: `${doc('{cidr: 10.92.0.0/16}', 'IPPool', 'ok2')}---\n${doc('{cidr: 10.65.0.0/17}', 'IPPool', 'y')}`,
    error: /^tsroute: ippool "y" overlaps ippool "a" \(10\.65\.0\.0\/16\)\n$/,
  },
  {
    what: 'two documents overlap each other',
    args: ['apply', '-f', '-'],
    input: `${doc('{cidr: 10.93.0.0/16}', 'IPPool', 'one')}---\n${doc('{cidr: 10.93.0.0/24}', 'IPPool', 'two')}`,
    error: /^tsroute: ippool "one" overlaps ippool "two" \(10\.93\.0\.0\/24\)\n$/,
  },
  {
    what: 'unknown kind to get',
    args: ['get', 'poolz'],
    error: /^tsroute: unknown resource kind "poolz" \(known: ippools, /,
  },
  {
    what: 'delete -f of a pool in use',
    args: ['delete', '-f', '-'],
    input: doc('{cidr: 10.65.0.0/16}', 'IPPool', 'a'),
    error: /ippool "a" has 1 address\(es\) in use/,
  },
  {
    what: 'peer without AS',
    args: ['bgppeer', 'create', 'p', '--peer-ip', '10.0.0.1'],
    error: /spec\.asNumber is required with spec\.peerIP/,
  },
  {
    what: 'hold time',
    args: ['bgpconfig', 'set', '--hold-time', '2'],
    error: /holdTime must be 0 or at least 3 seconds/,
  },
  { what: 'missing pool', args: ['ippool', 'get', 'nope'], error: /^tsroute: ippool "nope" not found\n$/ },
  {
    what: 'bad output format',
    args: ['ippool', 'list', '-o', 'xml'],
    error: /--output must be table, wide, json or yaml/,
  },
  { what: 'bad YAML', args: ['apply', '-f', '-'], input: 'kind: [', error: /^tsroute: -(:\d+)?: / },
];

test('cli: each invalid input is one line, exit code 1, and changes nothing in etcd', async (t) => {
  const { etcd, ds } = await etcdDatastore(t);
  await ds.create(pool('a', '10.65.0.0/16'));
  await new Ipam(ds).autoAssign({ handle: 'h', node: 'n1', num4: 1 });
  const snapshot = async () => (await ds.kv.list('/')).map((kv) => `${kv.key}@${kv.modRevision}`).join('\n');
  const before = await snapshot();
  const results = await Promise.all(CASES.map((c) => runCli(c.args, { endpoint: etcd.endpoint, input: c.input })));
  CASES.forEach((c, i) => {
    const r = results[i]!;
    t.is(r.code, 1, `${c.what}: exit code (stderr: ${r.stderr})`);
    t.is(r.stderr.trimEnd().split('\n').length, 1, `${c.what}: one line, got ${JSON.stringify(r.stderr)}`);
    t.regex(r.stderr, c.error, c.what);
    t.notRegex(r.stderr, /\n\s+at /, `${c.what}: no stack trace`);
  });
  t.is(await snapshot(), before, 'etcd unchanged');

  const forced = await runCli(['ippool', 'delete', 'a', '--force'], { endpoint: etcd.endpoint });
  t.is(forced.code, 0, forced.stderr);
  t.regex(forced.stderr, /^warning: ippool "a": 1 address\(es\) still in use were dropped/);
  t.deepEqual(await ds.list('IPPool'), []);
  t.deepEqual(await ds.kv.list('/tsroute/v1/ipam/blocks/'), []);
});

test('cli: reaches etcd through its unix socket; an etcd that is away is exit code 2 within seconds', async (t) => {
  const { etcd } = await etcdDatastore(t);
  const viaSocket = await runCli([
    'ippool',
    'create',
    'p',
    '--cidr',
    '10.65.0.0/16',
    '--etcd-endpoints',
    etcd.socketEndpoint,
  ]);
  t.is(viaSocket.code, 0, viaSocket.stderr);
  const listed = await runCli(['ippool', 'list'], { endpoint: etcd.endpoint });
  t.regex(listed.stdout, /^p\s+10\.65\.0\.0\/16/m);

  await etcd.stop();
  const [list, apply, ipam] = await Promise.all([
    runCli(['ippool', 'list'], { endpoint: etcd.endpoint }),
    runCli(['apply', '-f', '-'], { endpoint: etcd.socketEndpoint, input: doc('{cidr: 10.99.0.0/16}') }),
    runCli(['ipam', 'show'], { endpoint: etcd.endpoint }),
  ]);
  for (const r of [list, apply, ipam]) {
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, /^tsroute: etcd is unreachable at \S+ \(.*\); check --etcd-endpoints/);
    t.is(r.stderr.trimEnd().split('\n').length, 1);
    // ~2 s unloaded (the dial timeout); 34 s was seen on a saturated machine: only a hang fails
    t.log(`answered in ${r.ms} ms`);
    t.true(r.ms < 90_000, `answered in ${r.ms} ms`);
  }
  const bad = await runCli(['ippool', 'list', '--etcd-endpoints', 'ftp://x']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /must look like http:\/\/127\.0\.0\.1:2379 or unix:\/\/\/path/);
});
