// Benchmark: IPAM allocations against a real local etcd (the harness's), one address per call as a
// container start asks for it. Figures: allocations per second and latency p50/p99,
//   - one host, one request at a time (uncontended latency; target p99 <= 20 ms),
//   - one host, 16 requests in flight (throughput; target >= 500 allocations/s),
//   - 8 hosts at once, each with its own client, claiming blocks from the same pool (contended).
// Releases are timed the same way. `npm run bench ipam` runs only this one.
import { renderTable } from '../cli/table.js';
import { Datastore } from '../src/datastore/index.js';
import { Ipam } from '../src/ipam/index.js';
import { Lab, startEtcd } from '../src/lab/index.js';
import { type AnyResource, API_VERSION } from '../src/model/index.js';

const PER_RUN = Number(process.env.TSROUTE_BENCH_IPAM_ALLOCATIONS || 2000);

interface Figures {
  name: string;
  n: number;
  seconds: number;
  latencies: number[];
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function timed(
  name: string,
  n: number,
  inFlight: number,
  one: (i: number) => Promise<unknown>,
): Promise<Figures> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = performance.now();
        await one(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { name, n, seconds: (performance.now() - started) / 1000, latencies };
}

function row(f: Figures): (string | number)[] {
  const s = [...f.latencies].sort((a, b) => a - b);
  return [f.name, f.n, Math.round(f.n / f.seconds), pct(s, 50).toFixed(2), pct(s, 99).toFixed(2), s.at(-1)!.toFixed(1)];
}

export async function runIpamBench(): Promise<void> {
  const lab = await Lab.create('bench-ipam');
  const clients: Datastore[] = [];
  try {
    const etcd = await startEtcd(lab);
    const connect = () => {
      const ds = new Datastore({ endpoints: [etcd.endpoint] });
      clients.push(ds);
      return ds;
    };
    const ds = connect();
    await ds.create({
      apiVersion: API_VERSION,
      kind: 'IPPool',
      metadata: { name: 'bench' },
      spec: { cidr: '10.96.0.0/14' },
    } as AnyResource);
    const rows: Figures[] = [];

    // Warm-up (first block claim, JIT), not counted.
    const one = new Ipam(ds);
    for (let i = 0; i < 50; i++) await one.autoAssign({ handle: `warm-${i}`, node: 'solo', num4: 1 });

    rows.push(
      await timed('1 host, 1 in flight: allocate', PER_RUN, 1, (i) =>
        one.autoAssign({ handle: `s-${i}`, node: 'solo', num4: 1 }),
      ),
    );
    rows.push(await timed('1 host, 1 in flight: release', PER_RUN, 1, (i) => one.releaseByHandle(`s-${i}`)));
    rows.push(
      await timed('1 host, 16 in flight: allocate', PER_RUN, 16, (i) =>
        one.autoAssign({ handle: `p-${i}`, node: 'solo', num4: 1 }),
      ),
    );
    rows.push(await timed('1 host, 16 in flight: release', PER_RUN, 16, (i) => one.releaseByHandle(`p-${i}`)));

    // Eight hosts, each with its own etcd client and IPAM, all starting with no blocks.
    const hosts = Array.from({ length: 8 }, (_, h) => ({ name: `host-${h}`, ipam: new Ipam(connect()) }));
    const perHost = Math.floor(PER_RUN / 8);
    const results = await Promise.all(
      hosts.map((h) =>
        timed('', perHost, 1, (i) => h.ipam.autoAssign({ handle: `${h.name}-${i}`, node: h.name, num4: 1 })),
      ),
    );
    rows.push({
      name: '8 hosts, 1 in flight each: allocate',
      n: perHost * 8,
      seconds: Math.max(...results.map((r) => r.seconds)),
      latencies: results.flatMap((r) => r.latencies),
    });

    console.log(renderTable(['RUN', 'N', 'PER-SECOND', 'P50-MS', 'P99-MS', 'MAX-MS'], rows.map(row)));
    const solo = [...rows[0]!.latencies].sort((a, b) => a - b);
    const best = Math.max(
      ...rows.filter((r) => r.name.includes('allocate') && r.name.startsWith('1 host')).map((r) => r.n / r.seconds),
    );
    console.log(
      `targets: >= 500 allocations/s one host: ${best >= 500 ? 'met' : 'MISSED'} (${Math.round(best)}/s); ` +
        `p99 <= 20 ms uncontended: ${pct(solo, 99) <= 20 ? 'met' : 'MISSED'} (${pct(solo, 99).toFixed(2)} ms)`,
    );
  } finally {
    for (const c of clients) c.close();
    await lab.destroy();
  }
}
