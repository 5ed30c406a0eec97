// BGP as a BFD client (RFC 5882), end to end: a real `tsroute node run` agent peers with FRR (bgpd
// `neighbor X bfd` + bfdd). What is checked is what FRR's bfdd sees of our BFD (the intervals and
// multiplier we advertise, from the BGPConfiguration's defaults and the BGPPeer's own values) and what
// happens to the BGP session when FRR's BFD dies: down at once (hold time 90 s), back after BFD is Up.
import test from 'ava';
import { startAgent } from '../../src/lab/agent.js';
import { Frr, startEtcd, waitFor } from '../../src/lab/index.js';
import { allSessionsUp, apply, meshCluster, poolYaml } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

const doc = (kind: string, name: string, spec: Record<string, unknown>) =>
  `apiVersion: tsroute.io/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec: ${JSON.stringify(spec)}\n---\n`;

interface FrrBfdPeer {
  peer: string;
  status: string;
  'remote-transmit-interval'?: number;
  'remote-receive-interval'?: number;
  'remote-detect-multiplier'?: number;
}

test("BGPPeer bfd: FRR sees our BFD timing (BGPConfiguration defaults, then the peer's own); BFD Down takes the BGP session down at once and Up brings it back", async (t) => {
  const lab = await labFor(t);
  const h1 = await lab.namespace('h1');
  const tor = await lab.namespace('tor');
  await lab.link(h1, '10.0.7.2/24', tor, '10.0.7.1/24');
  const frr = await Frr.start(lab, tor, {
    routerId: '10.0.7.1',
    as: 65000,
    // FRR's hold time 90 s: only BFD can take the session down within seconds.
    peers: [{ address: '10.0.7.2', as: 65001, localAddress: '10.0.7.1', holdTime: 90, keepalive: 30 }],
    bfd: { peers: [], intervalMs: 100, multiplier: 3 },
    extraConfig: 'router bgp 65000\n neighbor 10.0.7.2 bfd\n',
  });
  const etcd = await startEtcd(lab);
  const manifests =
    poolYaml('pool4', '10.65.0.0/16', 26) +
    doc('BGPConfiguration', 'default', {
      asNumber: 64512,
      nodeToNodeMeshEnabled: false,
      holdTime: 90,
      keepaliveTime: 30,
      bfd: { transmitInterval: 120, receiveInterval: 150, detectMultiplier: 4 },
    }) +
    doc('BGPPeer', 'tor', { node: 'h1', peerIP: '10.0.7.1', asNumber: 65000, bfd: { enabled: true } });
  await apply(lab, etcd, manifests);
  const agent = await startAgent(lab, h1, { name: 'h1', etcd, bgpAddress: '10.0.7.2', as: 65001 });
  const ours = async () => (await agent.status()).peers.find((p) => p.address === '10.0.7.1');
  const frrBfd = async () =>
    (JSON.parse(await frr.vtysh('show bfd peers json')) as FrrBfdPeer[]).find((p) => p.peer === '10.0.7.2');

  // 1. Up, with the BGPConfiguration's intervals as FRR's bfdd reads them from our packets.
  await waitFor(
    'BGP Established and BFD Up on both sides with our 120/150/4',
    async () => {
      const p = await ours();
      const f = await frrBfd();
      return (
        p?.state === 'Established' &&
        p.bfd === 'Up' &&
        f?.status === 'up' &&
        f['remote-transmit-interval'] === 120 &&
        f['remote-receive-interval'] === 150 &&
        f['remote-detect-multiplier'] === 4
      );
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
  const startedAt = (await ours())!.sinceUnixMs;

  // 2. The BGPPeer's own values win; the change is a BFD poll sequence, the BGP session stays.
  await apply(
    lab,
    etcd,
    doc('BGPPeer', 'tor', {
      node: 'h1',
      peerIP: '10.0.7.1',
      asNumber: 65000,
      bfd: { enabled: true, transmitInterval: 100, receiveInterval: 110, detectMultiplier: 5 },
    }),
  );
  await waitFor(
    'FRR sees the BGPPeer bfd values 100/110/5',
    async () => {
      const f = await frrBfd();
      return (
        f?.['remote-transmit-interval'] === 100 &&
        f['remote-receive-interval'] === 110 &&
        f['remote-detect-multiplier'] === 5
      );
    },
    { timeoutMs: 30_000, intervalMs: 300 },
  );
  const after = await ours();
  t.is(after?.state, 'Established');
  t.is(after?.sinceUnixMs, startedAt, 'a BFD timing change does not reset the BGP session');
  t.is(after?.bfd, 'Up');

  // 3. FRR's BFD dies (SIGKILL bfdd): our BFD sees it and the BGP session goes down at once.
  const killedAt = Date.now();
  await frr.killBfdd();
  const down = await waitFor(
    'BGP session down by BFD',
    async () => {
      const p = await ours();
      return p && p.state !== 'Established' && p;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  const took = Date.now() - killedAt;
  t.log(
    `BGP session left Established ${took} ms after FRR's bfdd died (BFD detection time 110 ms × 3 = 330 ms; hold time 90 s); info: ${down.info}`,
  );
  t.true(took < 10_000, `took ${took} ms`);
  const held = await ours();
  t.regex(held?.bfd ?? '', /^Down \(control detection time expired\)/);
  t.regex(held?.info ?? '', /held down: BFD Down/);
  t.false(held?.adminShutdown);
  // It stays down while BFD is down (checked for 3 s: FRR would reconnect within its 1 s connect timer).
  await new Promise((r) => setTimeout(r, 3000));
  t.not((await ours())?.state, 'Established', 'no BGP session while BFD is down');

  // 4. bfdd is back: FRR's bgpd registers its session again, BFD comes Up and so does BGP.
  await frr.restartBfdd();
  await waitFor(
    'BFD Up and BGP Established again',
    async () => {
      const p = await ours();
      return p?.bfd === 'Up' && p.state === 'Established';
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
  t.pass();
});

test("BGPConfiguration bfd.enabled runs BFD on the node-to-node mesh: h2's link going down takes h1's mesh session down at once, not after the hold time", async (t) => {
  const lab = await labFor(t);
  const { hosts, etcd } = await meshCluster(lab, { count: 2, agentArgs: ['--metrics-port', '9091'] });
  await allSessionsUp(hosts, 1);
  await apply(
    lab,
    etcd,
    doc('BGPConfiguration', 'default', {
      asNumber: 64512,
      nodeToNodeMeshEnabled: true,
      holdTime: 90,
      keepaliveTime: 30,
      bfd: { enabled: true, transmitInterval: 100, receiveInterval: 100, detectMultiplier: 3 },
    }),
  );
  const [h1, h2] = hosts as [(typeof hosts)[0], (typeof hosts)[0]];
  const meshPeer = async () => (await h1.agent.status()).peers.find((p) => p.address === h2.address);
  await waitFor('mesh BFD Up at h1', async () => (await meshPeer())?.bfd === 'Up', {
    timeoutMs: 60_000,
    intervalMs: 300,
  });
  t.is((await meshPeer())?.state, 'Established');
  const bfdUp = async () => {
    const body = (await h1.ns.exec(['curl', '-s', 'http://127.0.0.1:9091/metrics'])).stdout;
    const line = body
      .split('\n')
      .find((l) => l.startsWith('tsroute_bfd_session_up{') && l.includes(`peer="${h2.address}"`));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };
  t.is(await bfdUp(), 1, 'tsroute_bfd_session_up is 1');
  // h2's link goes down: without BFD h1 would keep the session for its 90 s hold time.
  await h2.ns.ip('link', 'set', 'eth0', 'down');
  const blockedAt = Date.now();
  const down = await waitFor(
    'mesh BGP session down by BFD',
    async () => {
      const p = await meshPeer();
      return p && p.state !== 'Established' && p;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  const took = Date.now() - blockedAt;
  t.log(`h1's mesh session left Established ${took} ms after h2's link went down (hold time 90 s); bfd: ${down.bfd}`);
  t.true(took < 10_000, `took ${took} ms`);
  t.regex(down.bfd, /^Down/);
  t.is(await bfdUp(), 0, 'tsroute_bfd_session_up is 0');
  // The link is back: BFD comes Up and the mesh session with it.
  await h2.ns.ip('link', 'set', 'eth0', 'up');
  await waitFor(
    'mesh BFD and BGP back',
    async () => {
      const p = await meshPeer();
      return p?.bfd === 'Up' && p.state === 'Established';
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
  t.pass();
});
