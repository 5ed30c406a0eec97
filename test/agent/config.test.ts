import test from 'ava';
import { ConfigError, parseDuration, resolveAgentConfig } from '../../src/agent/config.js';

test('flags win over environment, environment over defaults', (t) => {
  const env = { TSROUTE_NODE_NAME: 'from-env', TSROUTE_AS: '65001', TSROUTE_ETCD_ENDPOINTS: 'http://127.0.0.1:1' };
  const c = resolveAgentConfig({ name: 'from-flag' }, env);
  t.is(c.nodeName, 'from-flag');
  t.is(c.asNumber, 65001);
  t.deepEqual(c.etcdEndpoints, ['http://127.0.0.1:1']);
  t.is(c.metricsPort, 0);
  t.is(c.resyncIntervalMs, 30_000);
  // heartbeat every 10 s, lease 3 intervals, leaks released after 15 min, checked every minute
  t.deepEqual([c.statusIntervalMs, c.statusTtlS, c.leakGraceMs, c.leakCheckIntervalMs], [10_000, 30, 900_000, 60_000]);
  t.is(resolveAgentConfig({ name: 'a', statusInterval: '2s' }, {}).statusTtlS, 6, 'the TTL follows the interval');
});

test('unix etcd endpoints and labels are accepted', (t) => {
  const c = resolveAgentConfig(
    { name: 'a', etcdEndpoints: 'unix:///tmp/x.sock:0, http://127.0.0.1:2', label: ['rack=r1', 'zone=z'] },
    {},
  );
  t.deepEqual(c.etcdEndpoints, ['unix:///tmp/x.sock:0', 'http://127.0.0.1:2']);
  t.deepEqual(c.labels, { rack: 'r1', zone: 'z' });
});

test('bad settings are one clear line each', (t) => {
  const bad: [Parameters<typeof resolveAgentConfig>[0], RegExp][] = [
    [{ name: 'Host_A' }, /node name "Host_A"/],
    [{ name: 'a', bgpAddress: '10.0.0' }, /--bgp-address must be an IPv4 address/],
    [{ name: 'a', as: '0' }, /--as must be a whole number from 1 to 4294967295/],
    [{ name: 'a', etcdEndpoints: '127.0.0.1:2379' }, /must start with http:\/\//],
    [{ name: 'a', logLevel: 'loud' }, /--log-level must be one of/],
    [{ name: 'a', label: ['rack'] }, /label "rack" must look like key=value/],
    [{ name: 'a', etcdCert: '/c' }, /--etcd-cert and --etcd-key go together/],
    [{ name: 'a', resyncInterval: 'soon' }, /duration like 30s/],
    [{ name: 'a', statusInterval: '100ms' }, /--status-interval must be at least 500 ms/],
    [{ name: 'a', statusTtl: '1s' }, /--status-ttl must be at least 2000 ms/],
    [
      { name: 'a', statusInterval: '5s', statusTtl: '5s' },
      /--status-ttl \(5000 ms\) must be longer than --status-interval/,
    ],
    [{ name: 'a', leakGrace: 'later' }, /--leak-grace must be a duration/],
    [{ name: 'a', leakCheckInterval: '10ms' }, /--leak-check-interval must be at least 500 ms/],
  ];
  for (const [flags, message] of bad) {
    const err = t.throws(() => resolveAgentConfig(flags, {}), { instanceOf: ConfigError });
    t.regex(err?.message ?? '', message);
  }
});

test('durations', (t) => {
  t.is(parseDuration('500ms', 'x'), 500);
  t.is(parseDuration('2m', 'x'), 120_000);
  t.is(parseDuration('3', 'x'), 3000);
});
