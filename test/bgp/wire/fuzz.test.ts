// A short pass of the mutation fuzzer (test/fixtures/bgp/mutate.ts): mutated real-router messages
// never make the decoder, the framer or the session adapter throw, and none takes long.
import test from 'ava';
import { fuzz } from '../../fixtures/bgp/mutate.js';

test('20,000 mutated captured messages: no exception escapes, every error is an action', (t) => {
  const report = fuzz(20000, 0x5eed);
  t.is(report.escaped, 0, report.firstEscape);
  t.is(report.ran, 20000);
  // A few ms each; the bound only catches a message that makes the decoder loop or crawl.
  t.log(`slowest message took ${report.slowestMs.toFixed(1)} ms`);
  t.true(report.slowestMs < 10_000, `slowest message took ${report.slowestMs.toFixed(1)} ms`);
  // The mutations must actually reach every outcome, or the pass proves little.
  for (const action of ['none', 'attribute-discard', 'treat-as-withdraw', 'session-reset'])
    t.true((report.actions[action] ?? 0) > 0, `${action}: ${JSON.stringify(report.actions)}`);
});
