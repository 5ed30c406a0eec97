// The agent's own flags follow the same rules as resources: AS_TRANS is no AS number (RFC 6793)
// and labels use Kubernetes' key and value syntax, so a node's labels can always be selected.
import test from 'ava';
import { ConfigError, resolveAgentConfig } from '../../src/agent/config.js';

test('--as 23456 (AS_TRANS) and labels a selector could not name are refused in one line', (t) => {
  const bad: [Parameters<typeof resolveAgentConfig>[0], RegExp][] = [
    [{ name: 'a', as: '23456' }, /^--as: 23456 is AS_TRANS \(RFC 6793\), reserved/],
    [{ name: 'a', label: ['rack one=r1'] }, /^label key "rack one" must be at most 63 letters/],
    [{ name: 'a', label: ['Example.com/rack=r1'] }, /the prefix before "\/" must be a DNS subdomain/],
    [{ name: 'a', label: ["rack=r'1"] }, /^label "rack" value "r'1" must be empty or/],
  ];
  for (const [flags, message] of bad) {
    const err = t.throws(() => resolveAgentConfig(flags, {}), { instanceOf: ConfigError });
    t.regex(err?.message ?? '', message);
    t.false(err?.message.includes('\n'));
  }
  const ok = resolveAgentConfig({ name: 'a', as: '4200000000', label: ['example.com/rack=r-1', 'zone='] }, {});
  t.is(ok.asNumber, 4200000000);
  t.deepEqual(ok.labels, { 'example.com/rack': 'r-1', zone: '' });
});
