// `npm run fuzz [count]`: at least 1,000,000 mutated real-router messages through the bgp/wire decoder,
// framer and session adapter (test/fixtures/bgp/mutate.ts). Prints how many ran, that no exception
// escaped, the slowest message (no hang), and the heap after a GC at the start and the end (flat memory).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fuzz } from '../test/fixtures/bgp/mutate.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const total = Number(process.argv[2] ?? 1_000_000);
const chunk = 100_000;
const before = heapMb();
let ran = 0;
let escaped = 0;
let slowest = 0;
let ms = 0;
const actions: Record<string, number> = {};
let firstEscape: string | undefined;
let afterFirst = 0;
for (let seed = 1; ran < total; seed++) {
  const r = fuzz(Math.min(chunk, total - ran), seed * 7919);
  ran += r.ran;
  escaped += r.escaped;
  slowest = Math.max(slowest, r.slowestMs);
  ms += r.ms;
  firstEscape ??= r.firstEscape;
  for (const [k, v] of Object.entries(r.actions)) actions[k] = (actions[k] ?? 0) + v;
  if (seed === 1) afterFirst = heapMb();
  process.stdout.write(`\r${ran.toLocaleString('en')} messages`);
}
const after = heapMb();
console.log(
  `\nran ${ran.toLocaleString('en')} mutated messages in ${(ms / 1000).toFixed(1)} s (${Math.round(ran / (ms / 1000)).toLocaleString('en')}/s)`,
);
console.log(`exceptions escaped: ${escaped}${firstEscape ? `\nfirst: ${firstEscape}` : ''}`);
console.log(`slowest message: ${slowest.toFixed(2)} ms (no hang)`);
console.log(`outcomes: ${JSON.stringify(actions)}`);
console.log(
  `heap after GC: start ${before.toFixed(1)} MB, after first ${chunk.toLocaleString('en')} ${afterFirst.toFixed(1)} MB, end ${after.toFixed(1)} MB`,
);
if (escaped) process.exitCode = 1;
