// The CLI against a real etcd: every resource kind round-trips through YAML and JSON; the create /
// set commands build what a manifest would.
import test from 'ava';
import { parse, parseAllDocuments } from 'yaml';
import type { Kind } from '../../src/model/index.js';
import { etcdDatastore } from '../ipam/fixture.js';
import { runCli } from './run-cli.js';

const MANIFESTS = `apiVersion: tsroute.io/v1
kind: IPPool
metadata: {name: pods-v4}
spec: {cidr: 10.65.0.0/16, natOutgoing: true, nodeSelector: "zone == 'a'"}
---
apiVersion: tsroute.io/v1
kind: IPPool
metadata: {name: pods-v6}
spec: {cidr: "fd00:65::/48"}
---
apiVersion: tsroute.io/v1
kind: BGPConfiguration
metadata: {name: default}
spec:
  asNumber: 65010
  nodeToNodeMeshEnabled: false
  communities: [{name: pods, value: "65010:100"}]
  prefixAdvertisements: [{cidr: 10.65.0.0/16, communities: [pods, "65010:200"]}]
---
apiVersion: tsroute.io/v1
kind: BGPFilter
metadata: {name: only-pods}
spec:
  exportV4: [{cidr: 10.65.0.0/16, matchOperator: In, action: Accept}, {action: Reject}]
---
apiVersion: tsroute.io/v1
kind: BGPPeer
metadata: {name: tor-1}
spec: {peerIP: 10.0.0.1, asNumber: 65001, nodeSelector: "rack == 'r1'", filters: [only-pods], maxPrefix: 1000, password: {fromFile: /etc/tsroute/tor-1.pw}}
---
apiVersion: tsroute.io/v1
kind: Node
metadata: {name: host-a, labels: {zone: a, rack: r1}}
spec: {bgp: {ipv4Address: 10.0.1.2/24, asNumber: 65011, routeReflectorClusterId: 1.1.1.1}}
---
apiVersion: tsroute.io/v1
kind: WorkloadEndpoint
metadata: {name: host-a-c1-eth0}
spec: {node: host-a, containerId: c1, addresses: [10.65.0.5], ipamHandle: c1-eth0, hostInterface: tsr0123456789a}
---
apiVersion: tsroute.io/v1
kind: IPAMConfiguration
metadata: {name: default}
spec: {strictAffinity: true, maxBlocksPerHost: 4}
---
apiVersion: tsroute.io/v1
kind: IPReservation
metadata: {name: gateways}
spec: {reservedCIDRs: [10.65.0.1, "10.65.255.0/24"]}
`;

const KINDS = [
  'ippools',
  'bgpconfigurations',
  'bgpfilters',
  'bgppeers',
  'nodes',
  'workloadendpoints',
  'ipamconfigurations',
  'ipreservations',
];

test('cli: every kind round-trips through YAML and JSON with apply -f and get -o', async (t) => {
  const { etcd, ds } = await etcdDatastore(t);
  const endpoint = etcd.endpoint;
  const applied = await runCli(['apply', '-f', '-'], { endpoint, input: MANIFESTS });
  t.is(applied.code, 0, applied.stderr);
  t.is(applied.stdout.trim().split('\n').length, 9);
  t.regex(applied.stdout, /ippool "pods-v4" created/);

  const pool = await ds.mustGet('IPPool', 'pods-v4');
  t.is(pool.spec.blockSize, 26, 'defaults filled in');
  t.is((await ds.mustGet('IPPool', 'pods-v6')).spec.blockSize, 122);
  t.is((await ds.mustGet('BGPPeer', 'tor-1')).spec.nextHopMode, 'auto');

  // Kinds are independent: check them side by side to keep the test short.
  await Promise.all(
    KINDS.map(async (kind) => {
      const [asYaml, asJson] = await Promise.all([
        runCli(['get', kind, '-o', 'yaml'], { endpoint }),
        runCli(['get', kind, '-o', 'json'], { endpoint }),
      ]);
      t.is(asYaml.code, 0, asYaml.stderr);
      const docs = parseAllDocuments(asYaml.stdout).map((d) => d.toJS());
      t.true(docs.length >= 1, kind);
      const list = JSON.parse(asJson.stdout) as { kind: string; items: { spec: unknown }[] };
      t.is(list.kind, 'List');
      t.deepEqual(list.items, docs, `${kind}: YAML and JSON say the same`);
      // Feeding the output back is accepted ("configured") and changes no spec.
      const again = await runCli(['apply', '-f', '-'], {
        endpoint,
        input: kind.startsWith('ip') ? asYaml.stdout : asJson.stdout,
      });
      t.is(again.code, 0, again.stderr);
      t.regex(again.stdout, /configured/);
      const reread = await ds.list(list.items[0] ? (list.items[0] as unknown as { kind: Kind }).kind : 'IPPool');
      t.deepEqual(
        reread.map((i) => i.spec),
        list.items.map((i) => i.spec),
        `${kind}: spec unchanged after the round trip`,
      );
    }),
  );
  const one = await runCli(['get', 'bgppeer', 'tor-1', '-o', 'yaml'], { endpoint });
  t.like(parse(one.stdout), {
    kind: 'BGPPeer',
    metadata: { name: 'tor-1' },
    spec: { peerIP: '10.0.0.1', asNumber: 65001, filters: ['only-pods'] },
  });
  const table = await runCli(['get', 'ippools'], { endpoint });
  t.regex(table.stdout, /^NAME\s+CIDR\s+BLOCK/m);
  t.regex(table.stdout, /pods-v4\s+10\.65\.0\.0\/16\s+\/26\s+true/);

  const deleted = await runCli(['delete', '-f', '-'], { endpoint, input: MANIFESTS });
  t.is(deleted.code, 0, deleted.stderr);
  t.deepEqual(await ds.list('IPPool'), []);
  t.deepEqual(await ds.list('BGPPeer'), []);
});

test('cli: ippool, bgppeer and bgpconfig commands build, list, change and delete resources', async (t) => {
  const { etcd, ds } = await etcdDatastore(t);
  const endpoint = etcd.endpoint;
  const ok = async (args: string[]) => {
    const r = await runCli(args, { endpoint });
    t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  // Pools, peers and the configuration are independent: their command sequences run side by side.
  const pools = async () => {
    await ok(['ippool', 'create', 'p1', '--cidr', '10.70.0.0/16', '--block-size', '28', '--nat-outgoing']);
    await ok(['ippool', 'disable', 'p1']);
    t.true((await ds.mustGet('IPPool', 'p1')).spec.disabled);
    await ok(['ippool', 'enable', 'p1']);
    await ok(['ippool', 'update', 'p1', '--nat-outgoing', 'false', '--node-selector', "zone == 'b'"]);
    t.like((await ds.mustGet('IPPool', 'p1')).spec, {
      natOutgoing: false,
      disabled: false,
      blockSize: 28,
      nodeSelector: "zone == 'b'",
    });
    t.regex(
      await ok(['ippool', 'list', '-o', 'wide']),
      /p1\s+10\.70\.0\.0\/16\s+\/28\s+false\s+false\s+true\s+zone == 'b'/,
    );
    t.like(JSON.parse(await ok(['ippool', 'get', 'p1', '-o', 'json'])), {
      kind: 'IPPool',
      spec: { cidr: '10.70.0.0/16' },
    });
  };
  const peers = async () => {
    await ok([
      'bgppeer',
      'create',
      'rr',
      '--peer-ip',
      '10.0.0.9',
      '--as-number',
      '64512',
      '--node',
      'host-a',
      '--max-prefix',
      '500',
    ]);
    await ok(['bgppeer', 'create', 'racks', '--peer-selector', "role == 'rr'"]);
    t.regex(await ok(['bgppeer', 'list']), /rr\s+10\.0\.0\.9\s+64512\s+node host-a/);
    await ok(['bgppeer', 'delete', 'racks']);
    t.is((await ds.list('BGPPeer')).length, 1);
    t.regex(await ok(['bgp', 'peer', 'list']), /^rr\s+10\.0\.0\.9/m);
  };
  const config = async () => {
    t.like(parse(await ok(['bgpconfig', 'get', '-o', 'yaml'])), {
      spec: { asNumber: 64512, nodeToNodeMeshEnabled: true },
    });
    await ok([
      'bgpconfig',
      'set',
      '--as-number',
      '65100',
      '--mesh',
      'off',
      '--community',
      'pods=65100:1',
      '--advertise',
      '10.70.0.0/16=pods',
    ]);
    await ok(['bgpconfig', 'set', '--node', 'host-a', '--listen-port', '1179']);
    t.like((await ds.mustGet('BGPConfiguration', 'default')).spec, {
      asNumber: 65100,
      nodeToNodeMeshEnabled: false,
      holdTime: 90,
    });
    t.like(parse(await ok(['bgpconfig', 'get', '--node', 'host-a', '-o', 'yaml'])), {
      spec: { asNumber: 65100, listenPort: 1179, nodeToNodeMeshEnabled: false },
    });
    t.regex(await ok(['bgpconfig', 'get']), /default\s+65100\s+off\s+179/);
    // The grouped spelling reaches the same commands.
    await ok(['bgp', 'config', 'set', '--listen-port', '180']);
    t.is((await ds.mustGet('BGPConfiguration', 'default')).spec.listenPort, 180);
  };
  const help = async () => {
    t.regex(await ok(['ippool', 'create', '--help']), /Example:\n\s+tsroute ippool create/);
  };
  await Promise.all([pools(), peers(), config(), help()]);
});

test('cli: bgppeer create --ttl-security / --ebgp-multihop store the fields; both at once is refused', async (t) => {
  const { etcd, ds } = await etcdDatastore(t);
  const run = (args: string[]) => runCli(args, { endpoint: etcd.endpoint });
  const base = ['bgppeer', 'create'];
  const [gtsm, hop, both] = await Promise.all([
    run([...base, 'tor', '--peer-ip', '10.0.0.1', '--as-number', '65000', '--ttl-security', '1']),
    run([...base, 'far', '--peer-ip', '10.0.9.1', '--as-number', '65000', '--ebgp-multihop', '3']),
    run([
      ...base,
      'bad',
      '--peer-ip',
      '10.0.9.2',
      '--as-number',
      '65000',
      '--ebgp-multihop',
      '3',
      '--ttl-security',
      '1',
    ]),
  ]);
  t.is(gtsm.code, 0, gtsm.stderr);
  t.is(hop.code, 0, hop.stderr);
  t.like((await ds.mustGet('BGPPeer', 'tor')).spec, { ttlSecurity: 1 });
  t.like((await ds.mustGet('BGPPeer', 'far')).spec, { ebgpMultihop: 3 });
  t.not(both.code, 0);
  t.regex(both.stderr, /spec.ttlSecurity and spec.ebgpMultihop exclude each other/);
  t.is(await ds.get('BGPPeer', 'bad'), undefined);
});

test('cli: bgppeer create --add-paths / --extended-messages store the fields; a bad mode is refused', async (t) => {
  const { etcd, ds } = await etcdDatastore(t);
  const run = (args: string[]) => runCli(args, { endpoint: etcd.endpoint });
  const base = ['bgppeer', 'create'];
  const [good, bad] = await Promise.all([
    run([...base, 'rr', '--peer-ip', '10.0.0.1', '--as-number', '65000', '--add-paths', 'both', '--extended-messages']),
    run([...base, 'bad', '--peer-ip', '10.0.0.2', '--as-number', '65000', '--add-paths', 'sometimes']),
  ]);
  t.is(good.code, 0, good.stderr);
  t.like((await ds.mustGet('BGPPeer', 'rr')).spec, { addPaths: 'both', extendedMessages: true });
  t.not(bad.code, 0);
  t.regex(bad.stderr, /must be one of receive, send, both/);
  t.is(await ds.get('BGPPeer', 'bad'), undefined);
});

test('cli: bgppeer create --interface stores an unnumbered peer (list shows its interface); with --peer-ip too it is refused', async (t) => {
  const { etcd, ds } = await etcdDatastore(t);
  const run = (args: string[]) => runCli(args, { endpoint: etcd.endpoint });
  const good = await run(['bgppeer', 'create', 'up', '--interface', 'eth1', '--as-number', '65000', '--node', 'h1']);
  t.is(good.code, 0, good.stderr);
  t.like((await ds.mustGet('BGPPeer', 'up')).spec, { interface: 'eth1', asNumber: 65000, node: 'h1' });
  const list = await run(['bgppeer', 'list']);
  t.regex(list.stdout, /up\s+interface eth1\s+65000\s+node h1/);
  const both = await run([
    'bgppeer',
    'create',
    'b',
    '--interface',
    'eth1',
    '--peer-ip',
    '10.0.0.1',
    '--as-number',
    '1',
  ]);
  t.not(both.code, 0);
  t.regex(both.stderr, /spec.peerIP and spec.interface exclude each other/);
  t.is(await ds.get('BGPPeer', 'b'), undefined);
});
