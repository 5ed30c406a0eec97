// A BgpSpeaker in its own process, so a test can run it inside a lab namespace (Node cannot enter a
// namespace in-process). The parent drives it over the IPC channel: {id, method, args} → {id, result}
// or {id, error}; speaker events come as {event, data}.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BgpSpeaker, type SpeakerOptions } from '../../../bgp/index.js';

let speaker: BgpSpeaker | undefined;
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
let peakRss = 0;
setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100).unref();

type Call = { id: number; method: string; args: unknown[] };
const send = (m: unknown) => process.send?.(m);

const methods: Record<string, (...args: never[]) => unknown> = {
  async start(options: SpeakerOptions & { events?: boolean }) {
    speaker = new BgpSpeaker(options);
    if (options.events !== false) {
      speaker.on('peer-state', (data) => send({ event: 'peer-state', data }));
      speaker.on('best-path-changed', (data) => send({ event: 'best-path-changed', data }));
    }
    await speaker.start();
    return true;
  },
  async stop() {
    await speaker?.stop();
    return true;
  },
  /** Leaves without any NOTIFICATION, as a crash would. */
  crash() {
    process.exit(0);
  },
  stats() {
    const mem = process.memoryUsage();
    return {
      ...speaker!.stats(),
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      peakRss: Math.max(peakRss, mem.rss),
      lagMaxMs: lag.max / 1e6,
      lagP99Ms: lag.percentile(99) / 1e6,
    };
  },
  resetLag() {
    lag.reset();
    return true;
  },
  gc() {
    (globalThis as { gc?: () => void }).gc?.();
    return true;
  },
};

process.on('message', async (m: Call) => {
  try {
    const fn =
      methods[m.method] ??
      ((...args: unknown[]) =>
        (speaker as unknown as Record<string, (...a: unknown[]) => unknown>)[m.method]!.apply(speaker, args));
    const result = await (fn as (...a: unknown[]) => unknown)(...m.args);
    send({ id: m.id, result: result === undefined ? null : result });
  } catch (err) {
    send({ id: m.id, error: (err as Error).stack ?? String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
// A normal exit on SIGTERM, so --cpu-prof and --heap-prof write their files.
process.on('SIGTERM', () => process.exit(0));
send({ ready: true });
