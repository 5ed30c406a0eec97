// A resource the agent cannot apply affects only itself. Etcd can hold what validation refuses today
// (written by an older version, or straight into etcd); before, one bad community in the
// BGPConfiguration failed the whole apply on every resync, so no peer ever came up.
import test from 'ava';
import { Datastore } from '../../src/datastore/index.js';
import { resourceKey } from '../../src/datastore/keys.js';
import { startAgent } from '../../src/lab/agent.js';
import { allEstablished, Bird, startEtcd, waitFor } from '../../src/lab/index.js';
import { API_VERSION, type Kind } from '../../src/model/index.js';
import { apply, peerYaml, poolYaml } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('a bad community stored in etcd does not stop a new BGPPeer from coming up at BIRD; node status names each bad resource', async (t) => {
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  const ds = new Datastore({ endpoints: [etcd.endpoint] });
  t.teardown(() => ds.close());
  // Straight into etcd, past validation, as an older tsroute or etcdctl could have written them.
  const raw = (kind: Kind, name: string, spec: unknown) =>
    ds.kv.txn(
      [],
      [{ put: resourceKey(kind, name), value: { apiVersion: API_VERSION, kind, metadata: { name }, spec } }],
    );
  await apply(lab, etcd, poolYaml('pool4', '10.65.0.0/16', 26));
  await raw('BGPConfiguration', 'default', {
    asNumber: 64512,
    nodeToNodeMeshEnabled: false,
    // 65536 does not fit the 16 bits of a standard community (RFC 1997)
    prefixAdvertisements: [{ cidr: '10.65.0.0/16', communities: ['65536:1'] }],
  });
  // the agent's own Node, with a label key no selector could name (accepted by older versions)
  await ds.kv.txn(
    [],
    [
      {
        put: resourceKey('Node', 'h1'),
        value: {
          apiVersion: API_VERSION,
          kind: 'Node',
          metadata: { name: 'h1', labels: { 'rack one': 'r1' } },
          spec: {},
        },
      },
    ],
  );
  await raw('BGPPeer', 'trans', { peerIP: '10.0.7.1', asNumber: 23456, nextHopMode: 'auto' });
  await raw('BGPPeer', 'unfiltered', { peerIP: '10.0.8.1', asNumber: 65008, filters: ['nope'], nextHopMode: 'auto' });

  const host = await lab.namespace('h1', { forwarding: true });
  const torNs = await lab.namespace('tor', { forwarding: true });
  await lab.link(torNs, '10.0.1.1/24', host, '10.0.1.2/24', { aIf: 'to-h1', bIf: 'uplink' });
  const tor = await Bird.start(lab, torNs, {
    routerId: '10.0.1.1',
    as: 65000,
    peers: [{ address: '10.0.1.2', as: 65001, localAddress: '10.0.1.1' }],
  });
  const agent = await startAgent(lab, host, {
    name: 'h1',
    etcd,
    bgpAddress: '10.0.1.2',
    as: 65001,
    extraArgs: ['--metrics-port', '9091'],
  });

  // the peer added after the bad configuration comes up, and our block reaches the router
  await apply(lab, etcd, peerYaml('tor', { peerIP: '10.0.1.1', asNumber: 65000 }));
  await waitFor('the session at BIRD', () => allEstablished(tor), { timeoutMs: 30_000 });
  const c = await lab.namespace('c1');
  await agent.client.addEndpoint({ containerId: 'c1', netns: c.path });
  const block = (await agent.status()).blocks[0]!.cidr;
  await waitFor('our block at BIRD', async () => (await tor.routes()).some((r) => r.prefix === block));

  const out = await agent.cli(['node', 'status']);
  t.is(out.code, 0, out.stderr);
  t.regex(out.stdout, /10\.0\.1\.1\s+65000\s+global\s+Established/);
  const errors = out.stdout.split('\n').filter((l) => l.trim().startsWith('error:'));
  t.deepEqual(errors.map((l) => l.trim()).sort(), [
    'error: BGPConfiguration "default": spec.prefixAdvertisements[0]: "65536:1": a standard community (RFC 1997) is two 16-bit numbers, each at most 65535',
    'error: BGPPeer "trans": spec.asNumber: 23456 is AS_TRANS (RFC 6793), reserved: it cannot be an AS number',
    'error: BGPPeer "unfiltered": spec.filters: bgpfilter "nope" does not exist',
    'error: Node "h1": metadata.labels: label key "rack one" must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (optionally after a "prefix/")',
  ]);
  t.regex(out.stdout, /^4 resource\(s\) not applied:$/m);
  const metrics = (await host.exec(['curl', '-s', 'http://127.0.0.1:9091/metrics'])).stdout;
  t.regex(metrics, /^tsroute_rejected_resources\{kind="BGPPeer"\} 2$/m);
  t.regex(metrics, /^tsroute_rejected_resources\{kind="BGPConfiguration"\} 1$/m);
  t.regex(metrics, /^tsroute_rejected_resources\{kind="Node"\} 1$/m);
  // the refused peers are not configured at all
  t.deepEqual(
    (await agent.status()).peers.map((p) => p.address),
    ['10.0.1.1'],
  );

  // fixing the configuration takes its line away; the agent never stopped
  await ds.apply({
    apiVersion: API_VERSION,
    kind: 'BGPConfiguration',
    metadata: { name: 'default' },
    spec: { asNumber: 64512, nodeToNodeMeshEnabled: false },
  });
  await waitFor('the configuration line to go', async () => (await agent.status()).rejectedResources.length === 3);

  // broken again while the agent runs: the last valid version stays in force, the session stays up
  await raw('BGPConfiguration', 'default', { asNumber: 23456, nodeToNodeMeshEnabled: false });
  const kept = await waitFor('the configuration refused again', async () =>
    (await agent.status()).rejectedResources.find((r) => r.kind === 'BGPConfiguration'),
  );
  t.true(kept.lastGoodKept);
  t.regex(
    (await agent.cli(['node', 'status'])).stdout,
    /spec\.asNumber: 23456 is AS_TRANS .*\(its last valid version stays in force\)/,
  );
  t.true(await allEstablished(tor));
  agent.daemon.assertRunning();
});
