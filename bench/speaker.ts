// BGP speaker benchmark: BIRD generator → target → BIRD sink, each in its own namespace, with the
// target being tsroute, BIRD 2, GoBGP and FRR in turn (and no target at all, to show the generator
// and sink are not the limit). For each: time from the generator's start until the sink holds all N
// routes, the target's peak RSS and bytes per path, and for tsroute the worst event-loop lag.
// N defaults to 100,000; TSROUTE_BENCH_ROUTES=100000,1000000 runs more sizes, TSROUTE_BENCH_TARGETS
// picks targets (tsroute,bird,gobgp,frr,none).
import { readFileSync } from 'node:fs';
import { Bird, Frr, Gobgp, Lab, type Netns, type Router, run, sleep, waitFor } from '../src/lab/index.js';
import { TsrouteNode } from '../test/bgp/interop/tsroute-node.js';

type Target = 'none' | 'tsroute' | 'bird' | 'gobgp' | 'frr';

const GEN = { as: 65010, addr: '10.97.1.1' };
const T_IN = '10.97.1.2';
const T_OUT = '10.97.2.1';
const SINK = { as: 65030, addr: '10.97.2.2' };
const T_AS = 65020;
const TIMERS = { holdTime: 90, keepalive: 30 };

interface Result {
  target: Target;
  routes: number;
  seconds: number;
  peakRssMb?: number;
  bytesPerPath?: number;
  lagMaxMs?: number;
  note?: string;
}

function prefixes(n: number): string[] {
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = `${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`;
  return out;
}

/** Peak and current RSS (kB) of the processes in `ns` whose command is one of `names`. */
async function rssOf(ns: Netns, names: string[]): Promise<{ hwm: number; rss: number }> {
  const { stdout } = await run(['ip', 'netns', 'pids', ns.name]);
  let hwm = 0;
  let rss = 0;
  for (const pid of stdout.split(/\s+/).filter(Boolean)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '';
      if (!names.some((n) => name.startsWith(n))) continue;
      hwm += Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      rss += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return { hwm, rss };
}

async function sinkCount(sink: Bird): Promise<number> {
  const text = await sink.birdc('show protocols all peer1');
  return Number(/Routes:\s+(\d+) imported/.exec(text)?.[1] ?? 0);
}

async function runOne(target: Target, n: number, routes: string[]): Promise<Result> {
  const lab = await Lab.create(`bench-${target}`);
  try {
    const gen = await lab.namespace('gen');
    const sinkNs = await lab.namespace('sink');
    const mid = target === 'none' ? undefined : await lab.namespace('mid');
    if (mid) {
      await lab.link(gen, `${GEN.addr}/24`, mid, `${T_IN}/24`);
      await lab.link(mid, `${T_OUT}/24`, sinkNs, `${SINK.addr}/24`);
    } else {
      await lab.link(gen, [`${GEN.addr}/24`, `${T_IN}/24`], sinkNs, [`${T_OUT}/24`, `${SINK.addr}/24`]);
    }
    const genPeer = mid ? { address: T_IN, as: T_AS } : { address: SINK.addr, as: SINK.as };
    const sinkPeer = mid ? { address: T_OUT, as: T_AS } : { address: GEN.addr, as: GEN.as };
    const sink = await Bird.start(lab, sinkNs, {
      routerId: SINK.addr,
      as: SINK.as,
      kernel: false,
      peers: [{ ...sinkPeer, localAddress: SINK.addr, ...TIMERS }],
    });
    let ts: TsrouteNode | undefined;
    let daemon: Router | undefined;
    const peersSpec = [
      { address: GEN.addr, as: GEN.as, localAddress: T_IN, ...TIMERS },
      { address: SINK.addr, as: SINK.as, localAddress: T_OUT, ...TIMERS },
    ];
    const tSpec = { routerId: T_IN, as: T_AS, kernel: false, peers: peersSpec };
    if (target === 'tsroute' && mid) {
      ts = await TsrouteNode.start(lab, mid, { asn: T_AS, routerId: T_IN, events: false });
      for (const p of peersSpec)
        await ts.addPeer({
          address: p.address,
          asn: p.as,
          localAddress: p.localAddress,
          families: ['ipv4'],
          ...TIMERS,
          connectRetry: 1,
        });
    } else if (target === 'bird' && mid) daemon = await Bird.start(lab, mid, tSpec);
    else if (target === 'gobgp' && mid) daemon = await Gobgp.start(lab, mid, tSpec);
    else if (target === 'frr' && mid) daemon = await Frr.start(lab, mid, tSpec);
    const names = { tsroute: ['node'], bird: ['bird'], gobgp: ['gobgpd'], frr: ['bgpd', 'zebra'], none: [] }[target];
    if (mid)
      await waitFor('target ↔ sink Established', async () => (await sink.sessions())[0]?.state === 'Established', {
        timeoutMs: 30_000,
      });
    const base = mid ? await rssOf(mid, names) : { hwm: 0, rss: 0 };
    await ts?.call('resetLag');
    const started = Date.now();
    await Bird.start(lab, gen, {
      routerId: GEN.addr,
      as: GEN.as,
      kernel: false,
      peers: [{ ...genPeer, localAddress: GEN.addr, ...TIMERS }],
      originate: routes,
    });
    let peak = 0;
    for (;;) {
      if (mid) peak = Math.max(peak, (await rssOf(mid, names)).hwm);
      if ((await sinkCount(sink)) >= n) break;
      if (Date.now() - started > 600_000) throw new Error(`${target}: sink did not get ${n} routes in 10 min`);
      await sleep(100);
    }
    const seconds = (Date.now() - started) / 1000;
    const result: Result = { target, routes: n, seconds };
    if (mid) {
      peak = Math.max(peak, (await rssOf(mid, names)).hwm);
      result.peakRssMb = peak / 1024;
      result.bytesPerPath = Math.round(((peak - base.rss) * 1024) / n);
    }
    if (ts) result.lagMaxMs = ((await ts.call('stats')) as { lagMaxMs: number }).lagMaxMs;
    if (target === 'frr') result.note = 'FRR also installs the routes in its kernel (zebra)';
    if (target === 'none') result.note = 'generator → sink directly';
    void daemon;
    return result;
  } finally {
    await lab.destroy();
  }
}

export async function runSpeakerBench(): Promise<void> {
  const sizes = (process.env.TSROUTE_BENCH_ROUTES ?? '100000').split(',').map(Number);
  const targets = (process.env.TSROUTE_BENCH_TARGETS ?? 'none,tsroute,bird,gobgp,frr').split(',') as Target[];
  const results: Result[] = [];
  for (const n of sizes) {
    const routes = prefixes(n);
    for (const target of targets) {
      try {
        const r = await runOne(target, n, routes);
        results.push(r);
        console.log(`  ${target} ${n}: ${r.seconds.toFixed(2)} s`);
      } catch (err) {
        console.log(`  ${target} ${n}: failed: ${(err as Error).message}`);
        results.push({
          target,
          routes: n,
          seconds: Number.NaN,
          note: `failed: ${(err as Error).message.slice(0, 80)}`,
        });
      }
    }
  }
  console.log('\n  target    routes     time to sink   peak RSS   bytes/path   max loop lag   note');
  for (const r of results) {
    console.log(
      `  ${r.target.padEnd(9)} ${String(r.routes).padStart(9)}  ${`${r.seconds.toFixed(2)} s`.padStart(13)}  ${
        r.peakRssMb === undefined ? '        -' : `${r.peakRssMb.toFixed(0)} MB`.padStart(9)
      }  ${r.bytesPerPath === undefined ? '          -' : String(r.bytesPerPath).padStart(11)}  ${
        r.lagMaxMs === undefined ? '            -' : `${r.lagMaxMs.toFixed(0)} ms`.padStart(13)
      }   ${r.note ?? ''}`,
    );
  }
}
