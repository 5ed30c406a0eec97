// Idle memory, `npm run bench -- idle-rss`: a host namespace with three BIRD peers on its segment
// (one session each, no routes), and in the host in turn: `tsroute node run` (etcd, three BGPPeers,
// as the harness runs it), a bare tsroute speaker (the built bgp/ module in a plain Node process, the
// three peers added), BIRD 2 (with its kernel protocol), GoBGP and FRR (bgpd + zebra). Once all three
// sessions are Established and a settle time has passed, the RSS of the target's processes.
// Env: TSROUTE_BENCH_TARGETS (agent,speaker,bird,gobgp,frr), TSROUTE_BENCH_RUNS (3),
// TSROUTE_BENCH_SETTLE_S (10).
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAgent } from '../src/lab/agent.js';
import { Bird, Frr, Gobgp, Lab, type Netns, sleep, startEtcd, waitFor } from '../src/lab/index.js';
import { apply, bgpConfigYaml, peerYaml, poolYaml } from '../test/helpers/cluster.js';
import { rssOf } from './speaker.js';

type Target = 'agent' | 'speaker' | 'bird' | 'gobgp' | 'frr';
const HOST = '10.0.0.1';
const AS = 64512;
const PEERS = [11, 12, 13].map((i, k) => ({ address: `10.0.0.${i}`, as: 65001 + k }));
const NAMES: Record<Target, string[]> = {
  agent: ['node'],
  speaker: ['node'],
  bird: ['bird'],
  gobgp: ['gobgpd'],
  frr: ['bgpd', 'zebra'],
};
const DIST_BGP = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bgp', 'index.js');

/** A bare speaker: the built bgp/ module and three peers, nothing else loaded. */
function bareSpeakerScript(): string {
  const peers = PEERS.map((p) => `{ address: '${p.address}', asn: ${p.as}, localAddress: '${HOST}', connectRetry: 1 }`);
  return `import { BgpSpeaker } from ${JSON.stringify(DIST_BGP)};
const speaker = new BgpSpeaker({ asn: ${AS}, routerId: '${HOST}', listen: { address: '${HOST}', port: 179 } });
for (const p of [${peers.join(', ')}]) speaker.addPeer(p);
await speaker.start();
process.on('SIGTERM', () => speaker.stop().then(() => process.exit(0)));
`;
}

async function runOne(target: Target, settleS: number): Promise<number> {
  const lab = await Lab.create(`idle-${target}`);
  try {
    const sw = await lab.namespace('switch');
    const bridge = await lab.bridge(sw, 'br0');
    const plug = async (label: string, address: string): Promise<Netns> => {
      const ns = await lab.namespace(label);
      await lab.link(sw, [], ns, `${address}/24`, { aIf: `port-${label}`, bIf: 'eth0' });
      await sw.ip('link', 'set', `port-${label}`, 'master', bridge);
      return ns;
    };
    const host = await plug('host', HOST);
    const peers = await Promise.all(
      PEERS.map(async (p, k) =>
        Bird.start(lab, await plug(`peer${k + 1}`, p.address), {
          routerId: p.address,
          as: p.as,
          kernel: false,
          peers: [{ address: HOST, as: AS, localAddress: p.address, holdTime: 90, keepalive: 30 }],
        }),
      ),
    );
    const spec = {
      routerId: HOST,
      as: AS,
      peers: PEERS.map((p) => ({ ...p, localAddress: HOST, holdTime: 90, keepalive: 30 })),
    };
    if (target === 'agent') {
      const etcd = await startEtcd(lab);
      await apply(
        lab,
        etcd,
        poolYaml('pool', '10.64.0.0/16', 26) +
          bgpConfigYaml(AS, false) +
          PEERS.map((p, k) => peerYaml(`peer${k + 1}`, { peerIP: p.address, asNumber: p.as })).join(''),
      );
      await startAgent(lab, host, { name: 'host', etcd, bgpAddress: HOST, logLevel: 'info' });
    } else if (target === 'speaker') {
      const file = lab.path('bare-speaker.mjs');
      writeFileSync(file, bareSpeakerScript());
      host.spawn('speaker', [process.execPath, file]);
    } else if (target === 'bird') await Bird.start(lab, host, { ...spec, kernel: true });
    else if (target === 'gobgp') await Gobgp.start(lab, host, spec);
    else await Frr.start(lab, host, spec);
    await waitFor(
      'three sessions Established',
      async () => {
        for (const p of peers) if (!(await p.sessions()).every((s) => s.state === 'Established')) return false;
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    await sleep(settleS * 1000);
    return (await rssOf(host, NAMES[target])).rss / 1024;
  } finally {
    await lab.destroy();
  }
}

export async function runIdleRssBench(): Promise<void> {
  const targets = (process.env.TSROUTE_BENCH_TARGETS ?? 'agent,speaker,bird,gobgp,frr').split(',') as Target[];
  const runs = Number(process.env.TSROUTE_BENCH_RUNS ?? 3);
  const settleS = Number(process.env.TSROUTE_BENCH_SETTLE_S ?? 10);
  const mb = new Map<Target, number[]>(targets.map((t) => [t, []]));
  for (let i = 0; i < runs; i++)
    for (const t of targets) {
      try {
        const r = await runOne(t, settleS);
        mb.get(t)!.push(r);
        console.log(`  ${t} run ${i + 1}/${runs}: ${r.toFixed(1)} MB`);
      } catch (err) {
        console.log(`  ${t} run ${i + 1}: failed: ${(err as Error).message}`);
      }
    }
  const label: Record<Target, string> = {
    agent: 'tsroute node run',
    speaker: 'bare tsroute speaker',
    bird: 'BIRD 2 (+ kernel protocol)',
    gobgp: 'GoBGP (gobgpd)',
    frr: 'FRR (bgpd + zebra)',
  };
  console.log(`\n  idle RSS with three Established peers, ${settleS} s after they came up (median of ${runs}, range)`);
  for (const t of targets) {
    const xs = [...mb.get(t)!].sort((a, b) => a - b);
    const med = xs[Math.floor((xs.length - 1) / 2)];
    console.log(
      `  ${label[t].padEnd(28)} ${med === undefined ? 'failed' : `${med.toFixed(1)} MB`}${xs.length > 1 ? ` (${xs[0]!.toFixed(1)}–${xs.at(-1)!.toFixed(1)})` : ''}`,
    );
  }
  console.log(
    `  (${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; target (issue 14): agent idle RSS ≤ 60 MB)`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await runIdleRssBench();
