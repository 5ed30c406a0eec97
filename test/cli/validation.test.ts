// Values BGP cannot carry or reserves, duplicate peers and bad label keys are refused when written:
// one line, exit code 1, etcd unchanged. And `bgpconfig get --node` shows the AS that node runs with.
import test from 'ava';
import { parse } from 'yaml';
import { tsroute } from '../../src/lab/agent.js';
import { type AnyResource, API_VERSION } from '../../src/model/index.js';
import { etcdDatastore } from '../ipam/fixture.js';

const doc = (kind: string, name: string, spec: string, labels = '') =>
  `apiVersion: tsroute.io/v1\nkind: ${kind}\nmetadata: {name: ${name}${labels ? `, labels: ${labels}` : ''}}\nspec: ${spec}\n`;

const CASES: { what: string; args: string[]; input?: string; error: RegExp }[] = [
  {
    what: 'standard community above 16 bits',
    args: ['bgpconfig', 'set', '--community', 'pods=65536:1'],
    error: /"65536:1": a standard community \(RFC 1997\) is two 16-bit numbers, each at most 65535/,
  },
  {
    what: 'standard community value above 16 bits',
    args: ['apply', '-f', '-'],
    input: doc('BGPConfiguration', 'default', '{communities: [{name: c, value: "1:4294967296"}]}'),
    error: /"1:4294967296": a standard community \(RFC 1997\) is two 16-bit numbers/,
  },
  {
    what: 'large community above 32 bits',
    args: ['apply', '-f', '-'],
    input: doc('BGPConfiguration', 'default', '{communities: [{name: c, value: "1:2:4294967296"}]}'),
    error: /a large community \(RFC 8092\) is three 32-bit numbers, each at most 4294967295/,
  },
  {
    what: 'literal community in a prefix advertisement',
    args: ['bgpconfig', 'set', '--advertise', '10.65.0.0/16=65536:1'],
    error: /prefixAdvertisements\[0\]: "65536:1": a standard community/,
  },
  {
    what: 'AS_TRANS as the cluster AS',
    args: ['bgpconfig', 'set', '--as-number', '23456'],
    // refused as the flag is parsed, with the BGPConfiguration schema's words (cli/schema-flags.ts)
    error: /--as-number: 23456 is AS_TRANS \(RFC 6793\), reserved/,
  },
  {
    what: 'AS_TRANS as a peer AS',
    args: ['bgppeer', 'create', 'p', '--peer-ip', '10.0.0.7', '--as-number', '23456'],
    // refused as the flag is parsed, with the BGPPeer schema's words (cli/schema-flags.ts)
    error: /--as-number: 23456 is AS_TRANS \(RFC 6793\)/,
  },
  {
    what: 'AS_TRANS as a node AS',
    args: ['apply', '-f', '-'],
    input: doc('Node', 'n2', '{bgp: {asNumber: 23456}}'),
    error: /node "n2": spec\.bgp\.asNumber: 23456 is AS_TRANS/,
  },
  {
    what: 'a second global peer for the same address',
    args: ['bgppeer', 'create', 'tor-again', '--peer-ip', '10.0.0.1', '--as-number', '65000'],
    error:
      /^tsroute: bgppeer "tor-again": bgppeer "tor" already peers with 10\.0\.0\.1 for every node \(this one: every node\); /,
  },
  {
    what: 'a node-scoped peer for an address every node already peers with',
    args: ['apply', '-f', '-'],
    input: doc('BGPPeer', 'tor-h1', '{peerIP: 10.0.0.1, asNumber: 65000, node: h1}'),
    error: /bgppeer "tor-h1": bgppeer "tor" already peers with 10\.0\.0\.1 for every node \(this one: node "h1"\)/,
  },
  {
    what: 'a selector that picks a node which already has the session',
    args: [
      'bgppeer',
      'create',
      'rack',
      '--peer-ip',
      '10.0.9.1',
      '--as-number',
      '65009',
      '--node-selector',
      "rack == 'r1'",
    ],
    error:
      /bgppeer "rack": bgppeer "on-h1" already peers with 10\.0\.9\.1 for node "h1" \(this one: nodes matching "rack == 'r1'"\)/,
  },
  {
    what: 'two documents of one apply duplicate each other',
    args: ['apply', '-f', '-'],
    input: `${doc('BGPPeer', 'd1', '{peerIP: 10.0.5.1, asNumber: 65005}')}---\n${doc('BGPPeer', 'd2', '{peerIP: 10.0.5.1, asNumber: 65005, node: h1}')}`,
    error: /bgppeer "d1": bgppeer "d2" already peers with 10\.0\.5\.1 for node "h1"/,
  },
  {
    what: 'a label key with a space',
    args: ['apply', '-f', '-'],
    input: doc('Node', 'n3', '{}', '{"rack one": a}'),
    error: /node "n3": metadata\.labels: label key "rack one" must be at most 63 letters/,
  },
  {
    what: 'a label key with a bad prefix',
    args: ['apply', '-f', '-'],
    input: doc('IPPool', 'p3', '{cidr: 10.99.0.0/16}', '{"Example.com/x": a}'),
    error: /label key "Example\.com\/x": the prefix before "\/" must be a DNS subdomain/,
  },
  {
    what: 'a label value with a quote',
    args: ['apply', '-f', '-'],
    input: doc('Node', 'n4', '{}', `{rack: "r'1"}`),
    error: /label "rack" value "r'1" must be empty or/,
  },
];

test.serial(
  'cli: out-of-range communities, AS_TRANS, duplicate peers and bad label keys are refused in one line',
  async (t) => {
    const { etcd, ds } = await etcdDatastore(t);
    const node = (name: string, labels: Record<string, string>) =>
      ({ apiVersion: API_VERSION, kind: 'Node', metadata: { name, labels }, spec: {} }) as AnyResource;
    await ds.create(node('h1', { rack: 'r1' }));
    await ds.create(node('h2', { rack: 'r2' }));
    const peer = (name: string, spec: Record<string, unknown>) =>
      ({ apiVersion: API_VERSION, kind: 'BGPPeer', metadata: { name }, spec }) as AnyResource;
    await ds.create(peer('tor', { peerIP: '10.0.0.1', asNumber: 65000 }));
    await ds.create(peer('on-h1', { peerIP: '10.0.9.1', asNumber: 65009, node: 'h1' }));

    const snapshot = async () => (await ds.kv.list('/')).map((kv) => `${kv.key}@${kv.modRevision}`).join('\n');
    const before = await snapshot();
    // two at a time: each is a Node process, and the machine may be busy with other work
    const results: Awaited<ReturnType<typeof tsroute>>[] = [];
    for (let i = 0; i < CASES.length; i += 2)
      results.push(
        ...(await Promise.all(
          CASES.slice(i, i + 2).map((c) => tsroute([...c.args, '--etcd-endpoints', etcd.endpoint], { input: c.input })),
        )),
      );
    CASES.forEach((c, i) => {
      const r = results[i]!;
      t.is(r.code, 1, `${c.what}: exit code (stderr: ${r.stderr})`);
      t.is(r.stderr.trimEnd().split('\n').length, 1, `${c.what}: one line, got ${JSON.stringify(r.stderr)}`);
      t.regex(r.stderr, c.error, c.what);
    });
    t.is(await snapshot(), before, 'etcd unchanged');

    // What stays allowed: the largest values, 4-octet AS numbers, the same address for other nodes.
    const ok = async (args: string[], input?: string) => {
      const r = await tsroute([...args, '--etcd-endpoints', etcd.endpoint], { input });
      t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await ok(['bgpconfig', 'set', '--community', 'a=65535:65535', '--community', 'b=4294967295:0:4294967295']);
    await ok(['bgppeer', 'create', 'big-as', '--peer-ip', '10.0.0.8', '--as-number', '4200000000']);
    await ok(['bgppeer', 'create', 'on-h2', '--peer-ip', '10.0.9.1', '--as-number', '65009', '--node', 'h2']);
    await ok([
      'bgppeer',
      'create',
      'rack2',
      '--peer-ip',
      '10.0.9.1',
      '--as-number',
      '65009',
      '--node-selector',
      "rack == 'r3'",
    ]);
    // changing a peer is not a duplicate of itself
    await ok(['apply', '-f', '-'], doc('BGPPeer', 'tor', '{peerIP: 10.0.0.1, asNumber: 65001}'));
    await ok(['apply', '-f', '-'], doc('Node', 'h3', '{}', '{example.com/rack: r-3, zone: ""}'));
  },
);

test.serial('cli: bgpconfig get --node shows the AS that node runs with', async (t) => {
  const { etcd, ds } = await etcdDatastore(t);
  const ok = async (args: string[], input?: string) => {
    const r = await tsroute([...args, '--etcd-endpoints', etcd.endpoint], { input });
    t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await ok(['bgpconfig', 'set', '--as-number', '65100']);
  await ok(['apply', '-f', '-'], doc('Node', 'h1', '{bgp: {ipv4Address: 10.0.0.1, asNumber: 65011}}'));
  await ok(['bgpconfig', 'set', '--node', 'h2', '--as-number', '65012']);
  const asOf = async (node?: string) =>
    (
      parse(await ok(['bgpconfig', 'get', ...(node ? ['--node', node] : []), '-o', 'yaml'])) as {
        spec: { asNumber: number };
      }
    ).spec.asNumber;
  t.is(await asOf(), 65100, 'the cluster AS');
  t.is(await asOf('h1'), 65011, "the Node's own AS");
  t.is(await asOf('h2'), 65012, 'the node.h2 override');
  t.is(await asOf('h3'), 65100, 'a node with neither runs with the cluster AS');
  t.is((await ds.mustGet('BGPConfiguration', 'default')).spec.asNumber, 65100);
});
