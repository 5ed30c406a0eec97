// Failover with and without BFD (`npm run bench -- bfd`, issue #16): two dual-ToR labs side by side
// (src/lab/dual-tor.ts: a tsroute host, tor1 FRR and tor2 BIRD, a spine behind both), one with BFD
// 100 ms × 3 on the host's sessions (BGP hold time 90 s), one without BFD and the smallest hold time
// RFC 4271 §4.2 allows (3 s, keepalive 1 s). Both labs take their cuts at the same time,
// TSROUTE_BENCH_CUTS each (default 50). Each cut drops every packet on the host link of the ToR that
// carries the container's probe flow (the kernel link stays up), and measures
//  - detection: from the cut (the `nft` command's return) to the host's kernel route to the
//    destination keeping only the other ToR (a netlink notification read in this process);
//  - lost probes and outage: a ping every 10 ms from the container to the destination, until 50
//    replies in a row came back (both directions rerouted: the ToR's own detection moves the spine);
//    the outage is the longest time between two replies (independent of the rate ping achieved).
// Then the link is restored and the lab waits for BFD, BGP and ECMP to be back before the next cut.
import {
  converged,
  DESTINATION,
  DESTINATION_PREFIX,
  type DualTor,
  type DualTorOptions,
  type DualTorRouter,
  dualTor,
  echoRequestsForwarded,
  TOR_HOST_IF,
} from '../src/lab/dual-tor.js';
import { Lab, waitFor } from '../src/lab/index.js';
import { cutLink, restoreLink } from '../src/lab/link-cut.js';
import { NextHopWatch } from './next-hop-watch.js';
import { PingStream } from './ping-stream.js';

const CUTS = Number(process.env.TSROUTE_BENCH_CUTS ?? 50);
const PROBE_INTERVAL_MS = 10;
/** Replies in a row that count as "traffic flows again". */
const CLEAN_RUN = 50;

interface Variant {
  name: string;
  options: DualTorOptions;
  fabric?: DualTor;
  watch?: NextHopWatch;
  detection: number[];
  lost: number[];
  outage: number[];
  interval: number[];
  nftMs: number[];
  cutKinds: string[];
}

const VARIANTS: Variant[] = [
  {
    name: 'BFD 100 ms × 3, hold time 90 s',
    options: {
      bfd: { transmitInterval: 100, receiveInterval: 100, detectMultiplier: 3 },
      holdTime: 90,
      keepaliveTime: 30,
    },
  },
  { name: 'no BFD, hold time 3 s (keepalive 1 s)', options: { holdTime: 3, keepaliveTime: 1 } },
].map((v) => ({ ...v, detection: [], lost: [], outage: [], interval: [], nftMs: [], cutKinds: [] }));

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

/** The ToR whose echo-request counter grew from `before`: the one the container's flow hashes to. */
async function carrier(f: DualTor, before: number[]): Promise<[DualTorRouter, DualTorRouter]> {
  const after = await Promise.all(f.tors.map(echoRequestsForwarded));
  const grew = f.tors.map((_, i) => after[i]! - before[i]!);
  return grew[0]! >= grew[1]! ? [f.tors[0], f.tors[1]] : [f.tors[1], f.tors[0]];
}

async function oneCut(lab: Lab, v: Variant): Promise<void> {
  const f = v.fabric!;
  const before = await Promise.all(f.tors.map(echoRequestsForwarded));
  const stream = PingStream.start(lab, f.container.ns, DESTINATION, PROBE_INTERVAL_MS);
  await waitFor('the probe stream answering', () => stream.replyRun >= 10, { timeoutMs: 30_000 });
  const [cut, other] = await carrier(f, before);
  const t0 = performance.now();
  await cutLink(cut.ns, TOR_HOST_IF, 'drop');
  const cutAt = performance.now();
  const switched = await v.watch!.until(cutAt, (hops) => hops.join() === other.address, 60_000);
  const runBefore = stream.replied;
  await waitFor(
    '50 probe replies in a row after the switch',
    () => stream.replied > runBefore && stream.replyRun >= CLEAN_RUN,
    {
      timeoutMs: 60_000,
      intervalMs: 20,
    },
  );
  const probes = await stream.stop();
  v.lost.push(probes.lost);
  v.outage.push(probes.outageMs);
  v.interval.push(probes.intervalMs);
  v.detection.push(switched.at - cutAt);
  v.nftMs.push(cutAt - t0);
  v.cutKinds.push(cut.router.kind);
  await restoreLink(cut.ns, TOR_HOST_IF, 'drop');
  await converged(f, v.options.bfd !== undefined);
}

const ms = (n: number) => `${Math.round(n)} ms`;

function report(): void {
  console.log(
    `\n${CUTS} cuts per variant, both labs at once; all packets dropped on the host link of the ToR carrying the probe flow (the link stays up); probes every ${PROBE_INTERVAL_MS} ms`,
  );
  const rows = [
    [
      'variant',
      'detection p50',
      'p99',
      'min–max',
      'lost probes/cut median',
      'min–max',
      'outage median',
      'min–max',
      'ToRs cut',
    ],
    ...VARIANTS.map((v) => [
      v.name,
      ms(pct(v.detection, 50)),
      ms(pct(v.detection, 99)),
      `${ms(Math.min(...v.detection))}–${ms(Math.max(...v.detection))}`,
      String(pct(v.lost, 50)),
      `${Math.min(...v.lost)}–${Math.max(...v.lost)}`,
      ms(pct(v.outage, 50)),
      `${ms(Math.min(...v.outage))}–${ms(Math.max(...v.outage))}`,
      [...new Set(v.cutKinds)].map((k) => `${k} ×${v.cutKinds.filter((x) => x === k).length}`).join(', '),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  const nft = VARIANTS.flatMap((v) => v.nftMs);
  const interval = VARIANTS.flatMap((v) => v.interval);
  console.log(
    `(probes asked every ${PROBE_INTERVAL_MS} ms went out every ${pct(interval, 50).toFixed(1)} ms median (ping on this machine's load); the outage is the longest time between two replies)`,
  );
  console.log(
    `(detection is timed from the nft command's return; the command itself took ${ms(pct(nft, 50))} median, so the cut is at most that much earlier)`,
  );
}

export async function runBfdBench(): Promise<void> {
  const labs = await Promise.all(VARIANTS.map((_, i) => Lab.create(`bench-bfd-${i}`)));
  try {
    for (const [i, v] of VARIANTS.entries()) {
      v.fabric = await dualTor(labs[i]!, { ...v.options, tors: ['frr', 'bird'] });
      v.watch = new NextHopWatch(v.fabric.host.ns, DESTINATION_PREFIX);
    }
    // The two labs take their cuts at the same time: both see the same machine (load from elsewhere
    // included), and the run takes as long as the slower variant rather than the sum.
    await Promise.all(
      VARIANTS.map(async (v, i) => {
        for (let n = 0; n < CUTS; n++) {
          await oneCut(labs[i]!, v);
          if ((n + 1) % 10 === 0) console.log(`${v.name}: ${n + 1}/${CUTS} cuts`);
        }
      }),
    );
    report();
  } finally {
    for (const v of VARIANTS) v.watch?.close();
    await Promise.all(labs.map((l) => l.destroy()));
  }
}
