// `bgppeer update` changes only the fields given; `bgpfilter update -f` replaces existing filters, all
// or none; `node delete` is refused while the node holds IPAM state, and with --release-ipam gives it
// back first.
import test from 'ava';
import { Ipam } from '../../src/ipam/index.js';
import { API_VERSION } from '../../src/model/index.js';
import { endpoint, etcdDatastore, node, pool } from '../ipam/fixture.js';
import { runCli } from './run-cli.js';

const filterDoc = (name: string, cidr: string) =>
  `apiVersion: ${API_VERSION}\nkind: BGPFilter\nmetadata: {name: ${name}}\nspec:\n  exportV4: [{cidr: ${cidr}, matchOperator: In, action: Accept}]\n`;

test('bgppeer update and bgpfilter update change what they name and keep the rest', async (t) => {
  t.timeout(300_000);
  const { etcd, ds } = await etcdDatastore(t);
  const endpoint = etcd.endpoint;
  const created = await runCli(
    ['bgppeer', 'create', 'tor', '--peer-ip', '10.0.0.1', '--as-number', '65001', '--max-prefix', '100'],
    { endpoint },
  );
  t.is(created.code, 0, created.stderr);
  const updated = await runCli(['bgppeer', 'update', 'tor', '--as-number', '65002', '--hold-time', '30'], { endpoint });
  t.is(updated.code, 0, updated.stderr);
  t.is(updated.stdout, 'bgppeer "tor" updated\n');
  t.like((await ds.mustGet('BGPPeer', 'tor')).spec, {
    peerIP: '10.0.0.1',
    asNumber: 65002,
    holdTime: 30,
    maxPrefix: 100,
  });
  const [missing, nothing, invalid] = await Promise.all([
    runCli(['bgppeer', 'update', 'nope', '--as-number', '1'], { endpoint }),
    runCli(['bgppeer', 'update', 'tor'], { endpoint }),
    runCli(['bgppeer', 'update', 'tor', '--hold-time', '2'], { endpoint }),
  ]);
  t.is(missing.code, 1);
  t.is(missing.stderr, 'tsroute: bgppeer "nope" not found\n');
  t.is(nothing.code, 1);
  t.regex(nothing.stderr, /nothing to change/);
  t.is(invalid.code, 1);
  t.regex(invalid.stderr, /holdTime must be 0 or at least 3/);
  t.is((await ds.mustGet('BGPPeer', 'tor')).spec.holdTime, 30, 'a refused update changes nothing');

  t.is(
    (await runCli(['bgpfilter', 'create', '-f', '-'], { endpoint, input: filterDoc('f1', '10.65.0.0/16') })).code,
    0,
  );
  const both = `${filterDoc('f1', '10.66.0.0/16')}---\n${filterDoc('f2', '10.67.0.0/16')}`;
  const partly = await runCli(['bgpfilter', 'update', '-f', '-'], { endpoint, input: both });
  t.is(partly.code, 1);
  t.is(partly.stderr, 'tsroute: bgpfilter "f2" not found; nothing updated (create it first)\n');
  t.is((await ds.mustGet('BGPFilter', 'f1')).spec.exportV4?.[0]?.cidr, '10.65.0.0/16');
  const ok = await runCli(['bgpfilter', 'update', '-f', '-'], { endpoint, input: filterDoc('f1', '10.66.0.0/16') });
  t.is(ok.code, 0, ok.stderr);
  t.is((await ds.mustGet('BGPFilter', 'f1')).spec.exportV4?.[0]?.cidr, '10.66.0.0/16');
});

test('node delete is refused while the node holds blocks; --release-ipam releases them, then deletes it', async (t) => {
  t.timeout(300_000);
  const { etcd, ds } = await etcdDatastore(t);
  const endpointUrl = etcd.endpoint;
  await ds.create(pool('p', '10.65.0.0/24', { blockSize: 28 }));
  await ds.create(node('gone'));
  await ds.create(node('stays'));
  const ipam = new Ipam(ds);
  const a = await ipam.autoAssign({ handle: 'h-a', node: 'gone', num4: 2 });
  await ds.create(endpoint('gone-c1', 'gone', 'h-a', a.ipv4));
  const kept = await ipam.autoAssign({ handle: 'h-b', node: 'stays', num4: 1 });

  const refused = await runCli(['node', 'delete', 'gone'], { endpoint: endpointUrl });
  t.is(refused.code, 1);
  t.regex(refused.stderr, /^tsroute: node "gone" still holds 1 block\(s\), 1 endpoint\(s\) .*--release-ipam/);
  t.truthy(await ds.get('Node', 'gone'));

  const released = await runCli(['node', 'delete', 'gone', '--release-ipam'], { endpoint: endpointUrl });
  t.is(released.code, 0, released.stderr);
  t.regex(released.stdout, /^released block 10\.65\.0\.\d+\/28\nnode "gone" deleted\n$/);
  t.falsy(await ds.get('Node', 'gone'));
  t.deepEqual(await ds.list('WorkloadEndpoint'), []);
  t.deepEqual(await ipam.blocksOf('gone'), []);
  t.is((await ipam.lookup(a.ipv4[0]!))?.handle, undefined, 'its addresses are free');
  t.is((await ipam.lookup(kept.ipv4[0]!))?.handle, 'h-b', "another node's address is untouched");
  const unknown = await runCli(['node', 'delete', 'gone'], { endpoint: endpointUrl });
  t.is(unknown.code, 1);
  t.is(unknown.stderr, 'tsroute: node "gone" not found\n');
});
