// Settings seen where they take effect (docs/settings.md rows point here): one host between two BIRD
// routers. BGPPeer port and BGPConfiguration listenPort by sessions that can only come up through
// them; the graceful-restart times (BGPConfiguration and BGPPeer maxRestartTime) as BIRD reads them
// from our OPEN; BGPPeer nodeSelector; IPPool disableBGPExport at the router and IPPool nodeSelector
// at allocation; a WorkloadEndpoint's workload name in etcd.
import test from 'ava';
import { Datastore } from '../../src/datastore/index.js';
import { startAgent } from '../../src/lab/agent.js';
import { allEstablished, Bird, startEtcd, waitFor } from '../../src/lab/index.js';
import { apply, peerYaml, poolYaml } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

/** The restart time (RFC 4724 §3) in the graceful-restart capability BIRD received from us. */
async function restartTimeAt(bird: Bird): Promise<number | undefined> {
  const text = await bird.birdc('show protocols all peer1');
  const neighbor = text.split('Neighbor capabilities')[1] ?? '';
  const m = /Graceful restart[\s\S]*?Restart time:\s+(\d+)/.exec(neighbor);
  return m ? Number(m[1]) : undefined;
}

test('peer port, listen port, restart times, peer and pool node selectors, disableBGPExport and workload at BIRD, the kernel and etcd', async (t) => {
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  const ds = new Datastore({ endpoints: [etcd.endpoint] });
  t.teardown(() => ds.close());
  const host = await lab.namespace('h1', { forwarding: true });
  const tor1Ns = await lab.namespace('tor1', { forwarding: true });
  const tor2Ns = await lab.namespace('tor2', { forwarding: true });
  await lab.link(tor1Ns, '10.0.1.1/24', host, '10.0.1.2/24', { aIf: 'to-h1', bIf: 'uplink1' });
  await lab.link(tor2Ns, '10.0.2.1/24', host, '10.0.2.2/24', { aIf: 'to-h1', bIf: 'uplink2' });
  // tor1 only listens, on 1790: the session exists only if we connect to BGPPeer.port.
  const tor1 = await Bird.start(lab, tor1Ns, {
    routerId: '10.0.1.1',
    as: 65000,
    listenPort: 1790,
    kernel: false,
    peers: [
      {
        address: '10.0.1.2',
        as: 65001,
        localAddress: '10.0.1.1',
        passive: true,
        gracefulRestart: { restartTime: 120 },
      },
    ],
  });
  // tor2 connects to us on 1179: the session exists only if we listen on BGPConfiguration.listenPort.
  const tor2 = await Bird.start(lab, tor2Ns, {
    routerId: '10.0.2.1',
    as: 65002,
    listenPort: 1791,
    kernel: false,
    peers: [
      { address: '10.0.2.2', as: 65001, port: 1179, localAddress: '10.0.2.1', gracefulRestart: { restartTime: 120 } },
    ],
  });
  await apply(
    lab,
    etcd,
    poolYaml('pool4', '10.65.0.0/16', 26) +
      poolYaml('quiet', '10.66.0.0/16', 26, '  disableBGPExport: true\n') +
      poolYaml('rack9', '10.67.0.0/16', 26, `  nodeSelector: "rack == 'r9'"\n`) +
      `apiVersion: tsroute.io/v1
kind: BGPConfiguration
metadata:
  name: default
spec:
  asNumber: 64512
  nodeToNodeMeshEnabled: false
  listenPort: 1179
  gracefulRestartTime: 77
---
` +
      peerYaml('tor1', {
        peerIP: '10.0.1.1',
        asNumber: 65000,
        port: 1790,
        maxRestartTime: 33,
        nodeSelector: "rack == 'r1'",
      }) +
      // our connects to tor2 go to a port nothing listens on (refused at once): only tor2's own
      // connection to our listen port can bring the session up
      peerYaml('tor2', { peerIP: '10.0.2.1', asNumber: 65002, port: 1792, sourceAddress: '10.0.2.2' }) +
      peerYaml('other-rack', { peerIP: '10.0.1.77', asNumber: 65077, nodeSelector: "rack == 'r2'" }),
  );
  const agent = await startAgent(lab, host, {
    name: 'h1',
    etcd,
    bgpAddress: '10.0.1.2',
    as: 65001,
    labels: { rack: 'r1' },
  });

  await waitFor('tor1 (we connect to its port 1790)', () => allEstablished(tor1), { timeoutMs: 30_000 });
  await waitFor('tor2 (it connects to our port 1179)', () => allEstablished(tor2), { timeoutMs: 30_000 }).catch(
    async (err) => {
      t.log(await tor2.birdc('show protocols all peer1'));
      t.log(JSON.stringify((await agent.status()).peers));
      t.log((await host.exec(['ss', '-Htan'])).stdout);
      throw err;
    },
  );
  const listening = await host.exec(['ss', '-Hltn', 'sport = :1179']);
  t.regex(listening.stdout, /LISTEN/, 'the kernel has our socket on 1179');
  // the peer for rack r2 is not configured on a node labelled rack=r1
  t.deepEqual((await agent.status()).peers.map((p) => p.address).sort(), ['10.0.1.1', '10.0.2.1']);

  // graceful-restart time: the peer's maxRestartTime where set, else the configuration's
  t.is(await restartTimeAt(tor1), 33, 'BGPPeer maxRestartTime in our OPEN to tor1');
  t.is(await restartTimeAt(tor2), 77, 'BGPConfiguration gracefulRestartTime in our OPEN to tor2');

  // pools: a disableBGPExport pool's block is used but never announced
  const c1 = await lab.namespace('c1');
  const q1 = await lab.namespace('q1');
  const ep = await agent.client.addEndpoint({ containerId: 'c1', netns: c1.path, pools: ['pool4'], workload: 'web' });
  const quiet = await agent.client.addEndpoint({ containerId: 'q1', netns: q1.path, pools: ['quiet'] });
  t.regex(quiet.addresses[0]!, /^10\.66\./);
  const blocks = (await agent.status()).blocks.map((b) => b.cidr);
  const quietBlock = blocks.find((b) => b.startsWith('10.66.'));
  t.truthy(quietBlock, 'the quiet pool has a block on this host');
  await waitFor('the pool4 block at tor1', async () =>
    (await tor1.routes()).some((r) => r.prefix.startsWith('10.65.')),
  );
  await new Promise((r) => setTimeout(r, 2000));
  t.deepEqual(
    (await tor1.routes()).filter((r) => r.prefix.startsWith('10.66.')),
    [],
    'no route from the disableBGPExport pool at tor1',
  );
  // a pool whose nodeSelector does not pick this node gives it no address
  const r9 = await lab.namespace('r9');
  const refused = await t.throwsAsync(
    agent.client.addEndpoint({ containerId: 'r9', netns: r9.path, pools: ['rack9'] }),
  );
  t.regex(refused?.message ?? '', /rack9|no (usable|enabled)|pool/i);
  t.false((await agent.status()).blocks.some((b) => b.cidr.startsWith('10.67.')));

  // the workload name is recorded on the endpoint in etcd
  const weps = await ds.list('WorkloadEndpoint');
  t.is(weps.find((w) => w.spec.containerId === 'c1')?.spec.workload, 'web');
  t.is(ep.addresses.length, 1);
});

test('nextHopMode self puts our address on routes passed to an iBGP BIRD; auto leaves the eBGP next hop', async (t) => {
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  const host = await lab.namespace('h1', { forwarding: true });
  const torNs = await lab.namespace('tor', { forwarding: true });
  const ibgpNs = await lab.namespace('ibgp', { forwarding: true });
  await lab.link(torNs, '10.0.1.1/24', host, '10.0.1.2/24', { aIf: 'to-h1', bIf: 'uplink1' });
  await lab.link(ibgpNs, '10.0.2.1/24', host, '10.0.2.2/24', { aIf: 'to-h1', bIf: 'uplink2' });
  // an eBGP router with a network behind it, and an iBGP router in our own AS
  const tor = await Bird.start(lab, torNs, {
    routerId: '10.0.1.1',
    as: 65000,
    kernel: false,
    originate: ['10.99.0.0/24'],
    peers: [{ address: '10.0.1.2', as: 65001, localAddress: '10.0.1.1' }],
  });
  const ibgp = await Bird.start(lab, ibgpNs, {
    routerId: '10.0.2.1',
    as: 65001,
    kernel: false,
    peers: [{ address: '10.0.2.2', as: 65001, localAddress: '10.0.2.1' }],
    // so BIRD can resolve either next hop and keeps the route usable
    extraConfig: 'protocol static reach { ipv4; route 10.0.1.0/24 via 10.0.2.2; }',
  });
  const peer = (mode: string) =>
    peerYaml('ibgp', { peerIP: '10.0.2.1', asNumber: 65001, sourceAddress: '10.0.2.2', nextHopMode: mode });
  await apply(
    lab,
    etcd,
    poolYaml('pool4', '10.65.0.0/16', 26) +
      peerYaml('tor', { peerIP: '10.0.1.1', asNumber: 65000 }) +
      peer('auto') +
      `apiVersion: tsroute.io/v1
kind: BGPConfiguration
metadata:
  name: default
spec:
  nodeToNodeMeshEnabled: false
---
`,
  );
  await startAgent(lab, host, { name: 'h1', etcd, bgpAddress: '10.0.1.2', as: 65001 });
  await waitFor('both sessions', async () => (await allEstablished(tor)) && allEstablished(ibgp), {
    timeoutMs: 30_000,
  });
  const nextHopAtIbgp = (want: string) =>
    waitFor(`10.99.0.0/24 via ${want} at the iBGP BIRD`, async () => {
      const r = (await ibgp.routes()).find((x) => x.prefix === '10.99.0.0/24');
      return r?.nextHop === want ? r : undefined;
    }).catch(async (err) => {
      t.log(await ibgp.birdc('show route all'));
      throw err;
    });
  const auto = await nextHopAtIbgp('10.0.1.1');
  t.log(`auto: ${auto.prefix} via ${auto.nextHop}`);
  await apply(lab, etcd, peer('self'));
  const self = await nextHopAtIbgp('10.0.2.2');
  t.log(`self: ${self.prefix} via ${self.nextHop}`);
  t.deepEqual(self.asPath, [65000], 'iBGP: our AS is not prepended');
});
