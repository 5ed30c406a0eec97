// Per-session settings and operations, seen at a real FRR top-of-rack router: one peer's timers
// change without touching the other sessions, reset / soft reset / shutdown with a message / enable
// from the CLI, FRR's own shutdown text shown in `node status`, a quick return after FRR's admin
// down → up (collision resolved, no long idle hold), and max-prefix warning + restartAfter.

import { readFileSync } from 'node:fs';
import test from 'ava';
import { type Frr, type Lab, run, sleep, startCapture, waitFor } from '../../src/lab/index.js';
import { allSessionsUp, apply, meshCluster, peerYaml, torCluster } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

interface FrrNeighbor {
  bgpState?: string;
  bgpTimerHoldTimeMsecs?: number;
  connectionsEstablished?: number;
  lastNotificationReason?: string;
  lastShutdownDescription?: string;
  lastResetTimerMsecs?: number;
  messageStats?: Record<string, number>;
  [key: string]: unknown;
}

async function neighbor(frr: Frr, address: string): Promise<FrrNeighbor> {
  const json = JSON.parse(await frr.vtysh(`show bgp neighbors ${address} json`)) as Record<string, FrrNeighbor>;
  return json[address] ?? {};
}

/** FRR's bgpd log in the lab (the ToR namespace is labelled "tor"). */
const frrLog = (lab: Lab) => readFileSync(`${lab.logDir}/frr-tor-bgpd.log`, 'utf8');

const H1 = '10.0.1.2';
const H2 = '10.0.2.2';

test('at FRR: one peer’s timers change without resetting others; reset, soft reset, shutdown with a message and enable', async (t) => {
  const lab = await labFor(t);
  const { tor, hosts, etcd } = await torCluster(lab, { count: 2, router: 'frr' });
  const frr = tor as Frr;
  const [h1] = hosts as [(typeof hosts)[0]];
  // "%ADJCHANGE: neighbor … Down Notification received (Cease/…)" lines in FRR's log.
  await frr.vtysh('configure terminal', 'router bgp 65000', 'bgp log-neighbor-changes');
  await allSessionsUp(hosts, 1);
  const n1 = await neighbor(frr, H1);
  const n2 = await neighbor(frr, H2);
  t.is(n1.bgpState, 'Established');
  t.log('FRR neighbor keys:', Object.keys(n1).join(' '));

  // 1. The cluster default and one BGPPeer's timers change: no session is reset (FRR counts every
  // establishment), and h1's running session keeps its negotiated hold time until its next OPEN.
  await apply(
    lab,
    etcd,
    `apiVersion: tsroute.io/v1
kind: BGPConfiguration
metadata: {name: default}
spec: {asNumber: 64512, nodeToNodeMeshEnabled: false, holdTime: 8, keepaliveTime: 1}
---
${peerYaml('tor-h1', { node: 'h1', peerIP: '10.0.1.1', asNumber: 65000, holdTime: 6, keepaliveTime: 2 })}`,
  );
  await sleep(3000); // the agents saw the change by watch (~100 ms) long before
  for (const [addr, before] of [
    [H1, n1],
    [H2, n2],
  ] as const) {
    const now = await neighbor(frr, addr);
    t.is(now.bgpState, 'Established', `${addr} still up`);
    t.is(now.connectionsEstablished, before.connectionsEstablished, `${addr} not reset by the change`);
  }
  t.is((await neighbor(frr, H1)).bgpTimerHoldTimeMsecs, n1.bgpTimerHoldTimeMsecs, 'applies at the next OPEN');

  // 2. Soft reset: a ROUTE-REFRESH reaches FRR, the session stays.
  const refreshKey = Object.keys(n1.messageStats ?? {}).find((k) => /refresh/i.test(k) && /r(e)?c(e)?v/i.test(k));
  t.truthy(refreshKey, `FRR messageStats has a refresh-received counter: ${JSON.stringify(n1.messageStats)}`);
  const refreshBefore = (await neighbor(frr, H1)).messageStats?.[refreshKey!] ?? 0;
  const soft = await h1.agent.cli(['bgppeer', 'reset', 'tor-h1', '--soft']);
  t.is(soft.code, 0, soft.stderr);
  await waitFor('FRR counts a route refresh from h1', async () => {
    const n = await neighbor(frr, H1);
    return (n.messageStats?.[refreshKey!] ?? 0) > refreshBefore;
  });
  t.is((await neighbor(frr, H1)).connectionsEstablished, n1.connectionsEstablished, 'soft reset keeps the session');

  // 3. Hard reset: Cease/administrative reset, back at once, now with the new hold time (6 s < FRR's 9 s).
  const hard = await h1.agent.cli(['bgppeer', 'reset', '10.0.1.1']);
  t.is(hard.code, 0, hard.stderr);
  const afterReset = await waitFor('h1 back at FRR after the reset', async () => {
    const n = await neighbor(frr, H1);
    return n.bgpState === 'Established' && (n.connectionsEstablished ?? 0) > (n1.connectionsEstablished ?? 0)
      ? n
      : undefined;
  });
  // FRR's JSON keeps only its latest reset reason; its log has every NOTIFICATION it received.
  t.regex(frrLog(lab), /NOTIFICATION: received from neighbor 10\.0\.1\.2 6\/4 \(Cease\/Administrative Reset\)/);
  t.is(afterReset.bgpTimerHoldTimeMsecs, 6000, 'the new hold time was negotiated at the new OPEN');
  t.is((await neighbor(frr, H2)).connectionsEstablished, n2.connectionsEstablished, 'h2 untouched');

  // 4. Shutdown with a message: FRR shows it; the session stays down until enabled.
  const down = await h1.agent.cli(['bgppeer', 'shutdown', 'tor-h1', '--message', 'maintenance window 42']);
  t.is(down.code, 0, down.stderr);
  const shut = await waitFor('FRR logs the admin shutdown', async () => {
    const n = await neighbor(frr, H1);
    const line = frrLog(lab)
      .split('\n')
      .find((l) => /10\.0\.1\.2.*Cease\/Administrative Shutdown/.test(l));
    return n.bgpState !== 'Established' && line ? line : undefined;
  });
  t.log('FRR:', shut);
  t.regex(shut, /maintenance window 42/, 'FRR shows our shutdown text');
  await sleep(4000); // FRR keeps dialling (connect retry 1 s): we must keep refusing
  t.not((await neighbor(frr, H1)).bgpState, 'Established');
  const status = await h1.agent.status();
  t.like(status.peers[0], { adminShutdown: true, adminShutdownMessage: 'maintenance window 42' });
  const up = await h1.agent.cli(['bgppeer', 'enable', 'tor-h1']);
  t.is(up.code, 0, up.stderr);
  await waitFor(
    'h1 Established again at FRR after enable',
    async () => (await neighbor(frr, H1)).bgpState === 'Established',
  );

  // 5. An unknown name is a clear error, exit code 1.
  const unknown = await h1.agent.cli(['bgppeer', 'reset', 'no-such-peer']);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /no BGP session on this node for "no-such-peer"/);
  t.is((await neighbor(frr, H2)).connectionsEstablished, n2.connectionsEstablished, 'h2 never reset');

  // 6. h2 takes the cluster's new hold time (8 s) at its next OPEN.
  const h2 = hosts[1]!;
  const reset2 = await h2.agent.cli(['bgppeer', 'reset', 'tor-h2']);
  t.is(reset2.code, 0, reset2.stderr);
  const after2 = await waitFor('h2 back at FRR', async () => {
    const n = await neighbor(frr, H2);
    return n.bgpState === 'Established' && (n.connectionsEstablished ?? 0) > (n2.connectionsEstablished ?? 0)
      ? n
      : undefined;
  });
  t.is(after2.bgpTimerHoldTimeMsecs, 8000);

  // 7. Keepalives: h2 sends every second (the cluster's keepaliveTime 1, not 8/3), h1 every 2 s (its
  // BGPPeer's keepaliveTime overrides the cluster's). Counted by FRR over the same 6 s.
  const keepalives = async () => [
    (await neighbor(frr, H1)).messageStats?.keepalivesRecv ?? 0,
    (await neighbor(frr, H2)).messageStats?.keepalivesRecv ?? 0,
  ];
  const [k1, k2] = await keepalives();
  await sleep(6000);
  const [e1, e2] = await keepalives();
  const d1 = e1! - k1!;
  const d2 = e2! - k2!;
  t.log(`keepalives in 6 s at FRR: h1 ${d1} (every 2 s), h2 ${d2} (every 1 s)`);
  t.true(d2 >= d1 + 2, `h2 ${d2} vs h1 ${d1}`);
  t.true(d1 >= 2, `h1 sent ${d1}`);
});

test('FRR’s shutdown text shows in node status; after FRR’s admin down → up the session is back in seconds', async (t) => {
  t.timeout(300_000); // a 40 s outage inside
  const lab = await labFor(t);
  const { tor, hosts } = await torCluster(lab, { count: 1, router: 'frr' });
  const frr = tor as Frr;
  const [h1] = hosts as [(typeof hosts)[0]];
  await allSessionsUp(hosts, 1);
  // Two down → up rounds, the second one long: while FRR is down our attempts are refused, and a
  // back-off that grew with them (1, 2, 4 … 32 s) would still be waiting ~23 s after a 40 s outage.
  const took: number[] = [];
  for (const [round, downMs] of [
    [1, 4000],
    [2, 40_000],
  ] as const) {
    await frr.vtysh(
      'configure terminal',
      'router bgp 65000',
      `neighbor ${H1} shutdown message maintenance round ${round}`,
    );
    const peer = await waitFor('h1 shows FRR’s shutdown text', async () => {
      const p = (await h1.agent.status()).peers[0];
      return p && p.state !== 'Established' && p.receivedShutdownMessage === `maintenance round ${round}`
        ? p
        : undefined;
    });
    t.regex(peer.info, new RegExp(`"maintenance round ${round}"`));
    const out = await h1.agent.cli(['node', 'status']);
    t.regex(out.stdout, new RegExp(`"maintenance round ${round}"`));
    await sleep(downMs); // FRR stays down a while: our retries run into its refusal
    const started = Date.now();
    await frr.vtysh('configure terminal', 'router bgp 65000', `no neighbor ${H1} shutdown`);
    await waitFor('Established again', async () => (await h1.agent.status()).peers[0]?.state === 'Established', {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    took.push(Date.now() - started);
  }
  t.log(`admin up → Established: ${took.join(', ')} ms`);
  // Expected ~1–2 s (FRR connects to us at once and we accept it even while waiting out an idle
  // hold); 20 s is ten times that, and below what a grown back-off would wait after round 2.
  for (const ms of took) t.true(ms < 20_000, `took ${ms} ms`);
});

test('maxPrefix at FRR: a warning at the threshold, Cease/1 at the limit, back by itself after restartAfter', async (t) => {
  const lab = await labFor(t);
  const { tor, hosts, etcd } = await torCluster(lab, { count: 1, router: 'frr' });
  const frr = tor as Frr;
  const [h1] = hosts as [(typeof hosts)[0]];
  await allSessionsUp(hosts, 1);
  await apply(
    lab,
    etcd,
    peerYaml('tor-h1', {
      node: 'h1',
      peerIP: '10.0.1.1',
      asNumber: 65000,
      maxPrefix: 3,
      maxPrefixRestartAfter: 5,
      maxPrefixWarningPercent: 60,
    }),
  );
  await frr.announce('10.200.1.0/24');
  await frr.announce('10.200.2.0/24');
  await waitFor('warning logged at 2 of 3 (60 %)', () =>
    h1.agent.daemon.tail(400).includes('max-prefix warning threshold reached'),
  );
  t.is((await neighbor(frr, H1)).bgpState, 'Established', 'a warning does not close the session');
  const before = (await neighbor(frr, H1)).connectionsEstablished ?? 0;
  await frr.announce('10.200.3.0/24');
  await frr.announce('10.200.4.0/24');
  const trip = await waitFor('FRR hears Cease/1', async () => {
    const n = await neighbor(frr, H1);
    // When it happened, not when we looked: FRR says how long ago its last reset was.
    const ago = Number(n.lastResetTimerMsecs ?? 0);
    return /Maximum Number of Prefixes/i.test(n.lastNotificationReason ?? '') ? Date.now() - ago : undefined;
  });
  // While FRR still sends 4 prefixes the session trips again after each restart; it does come back.
  await waitFor(
    'session re-established by itself',
    async () => ((await neighbor(frr, H1)).connectionsEstablished ?? 0) > before,
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  const back = Date.now() - trip;
  t.log(`back ${back} ms after the trip (restartAfter 5 s)`);
  t.true(back >= 4000, `came back after ${back} ms, before restartAfter`);
  await frr.withdraw('10.200.4.0/24');
  await waitFor(
    'Established with 3 prefixes',
    async () => {
      const p = (await h1.agent.status()).peers[0];
      return p?.state === 'Established' && p.routesAccepted === 3;
    },
    { timeoutMs: 30_000 },
  );
  t.pass();
});

/** SYNs from h1 to the ToR's port 1790 (where nothing listens) seen on the wire during `ms`. */
async function synsDuring(lab: Lab, tor: Frr, ms: number): Promise<number> {
  const capture = await startCapture(lab, tor.ns, 'to-h1', 'tcp dst port 1790 and tcp[tcpflags] & tcp-syn != 0');
  await sleep(ms);
  const file = await capture.stop();
  const out = await run(['tcpdump', '-nr', file]);
  return out.stdout.split('\n').filter((l) => l.includes('> 10.0.1.1.1790')).length;
}

test('connectRetryTime: a peer that refuses is retried every N seconds (BGPPeer over BGPConfiguration), counted on the wire', async (t) => {
  const lab = await labFor(t);
  const { tor, hosts, etcd } = await torCluster(lab, { count: 1, router: 'frr' });
  const frr = tor as Frr;
  await allSessionsUp(hosts, 1);
  // Port 1790: the ToR answers every SYN with a reset, so each attempt fails at once and the next one
  // waits for the connect retry timer (RFC 4271 §8.2.2, Active). FRR must not dial in itself.
  await frr.vtysh('configure terminal', 'router bgp 65000', `neighbor ${H1} shutdown`);
  await apply(
    lab,
    etcd,
    `apiVersion: tsroute.io/v1
kind: BGPConfiguration
metadata: {name: default}
spec: {asNumber: 64512, nodeToNodeMeshEnabled: false, connectRetryTime: 2}
---
${peerYaml('tor-h1', { node: 'h1', peerIP: '10.0.1.1', asNumber: 65000, port: 1790, connectRetryTime: 5 })}`,
  );
  await sleep(6000); // the peer was re-made for the new port; one 5 s round passes
  const perPeer = await synsDuring(lab, frr, 15_000);
  await apply(lab, etcd, peerYaml('tor-h1', { node: 'h1', peerIP: '10.0.1.1', asNumber: 65000, port: 1790 }));
  await sleep(6000); // the running 5 s timer ends; from then on the cluster's 2 s
  const perCluster = await synsDuring(lab, frr, 15_000);
  t.log(`SYNs in 15 s: connectRetryTime 5 (BGPPeer) ${perPeer}, 2 (BGPConfiguration) ${perCluster}`);
  t.true(perPeer >= 2 && perPeer <= 4, `BGPPeer 5 s: ${perPeer} attempts in 15 s`);
  t.true(perCluster >= 6 && perCluster <= 9, `BGPConfiguration 2 s: ${perCluster} attempts in 15 s`);
});

test('a mesh coming up (quickstart-like) resolves its connection collisions without a session flap', async (t) => {
  const lab = await labFor(t);
  const { hosts } = await meshCluster(lab, { count: 3 });
  await allSessionsUp(hosts, 2, 60_000);
  const since = async () =>
    (await Promise.all(hosts.map((h) => h.agent.status()))).flatMap((s) =>
      s.peers.map((p) => `${s.node}→${p.address}@${p.sinceUnixMs}`),
    );
  const first = await since();
  await sleep(5000);
  t.deepEqual(await since(), first, 'every session kept its start time');
  for (const h of hosts) {
    const log = h.agent.daemon.tail(100_000);
    t.false(log.includes('"from":"Established"'), `${h.name} had a session leave Established:\n${log}`);
    t.false(log.includes('treating as graceful restart'));
  }

  // A mesh session is named by the other node: `bgppeer reset h2` on h1 resets h1–h2 only.
  const [h1] = hosts as [(typeof hosts)[0]];
  const sinceOf = async (address: string) =>
    (await h1.agent.status()).peers.find((p) => p.address === address)?.sinceUnixMs;
  const [to2, to3] = [await sinceOf('10.0.0.2'), await sinceOf('10.0.0.3')];
  const reset = await h1.agent.cli(['bgppeer', 'reset', 'h2']);
  t.is(reset.code, 0, reset.stderr);
  t.regex(reset.stdout, /reset: 10\.0\.0\.2$/m);
  await waitFor('h1–h2 re-established', async () => {
    const p = (await h1.agent.status()).peers.find((x) => x.address === '10.0.0.2');
    return p?.state === 'Established' && p.sinceUnixMs !== to2;
  });
  t.is(await sinceOf('10.0.0.3'), to3, 'h1–h3 untouched');
});
