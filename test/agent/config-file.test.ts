// The config file of `tsroute node run --config`: keys are the flags without "--", precedence flags >
// environment > file > defaults, unknown keys and bad values refused naming the file and the key.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../../src/agent/config.js';
import { FILE_KEYS, readConfigFile, resolveWithFile } from '../../src/agent/config-file.js';
import { createLogger } from '../../src/agent/logger.js';
import { changedSettings, reloadConfig } from '../../src/agent/reload.js';

const dir = mkdtempSync(join(tmpdir(), 'tsroute-config-file-'));
let n = 0;
function file(text: string): string {
  const path = join(dir, `node-${n++}.yaml`);
  writeFileSync(path, text);
  return path;
}

const full = `
name: host-a
etcd-endpoints: [http://10.0.0.1:2379, http://10.0.0.2:2379]
etcd-ca: /etc/tsroute/etcd-ca.pem
etcd-cert: /etc/tsroute/etcd.pem
etcd-key: /etc/tsroute/etcd-key.pem
bgp-address: 10.0.1.2
bgp-address6: fd00::2
as: 65001
labels: {rack: r1, zone: z2}
api-socket: /run/tsroute/a.sock
metrics-port: 9091
metrics-host: 0.0.0.0
log-level: warn
resync-interval: 10s
empty-block-grace: 1m
status-interval: 5s
status-ttl: 20s
leak-grace: 30m
leak-check-interval: 2m
`;

test('every key of the file reaches the agent settings', (t) => {
  const c = resolveWithFile({}, file(full), {});
  t.deepEqual(c, {
    nodeName: 'host-a',
    etcdEndpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'],
    etcdTls: { ca: '/etc/tsroute/etcd-ca.pem', cert: '/etc/tsroute/etcd.pem', key: '/etc/tsroute/etcd-key.pem' },
    bgpAddress4: '10.0.1.2',
    bgpAddress6: 'fd00::2',
    asNumber: 65001,
    apiSocket: '/run/tsroute/a.sock',
    metricsPort: 9091,
    metricsHost: '0.0.0.0',
    logLevel: 'warn',
    labels: { rack: 'r1', zone: 'z2' },
    resyncIntervalMs: 10_000,
    emptyBlockGraceMs: 60_000,
    statusIntervalMs: 5000,
    statusTtlS: 20,
    leakGraceMs: 1_800_000,
    leakCheckIntervalMs: 120_000,
  });
  t.is(Object.keys(FILE_KEYS).length, 19, 'the test above names every key');
});

test('flags win over the environment, the environment over the file, the file over defaults', (t) => {
  const path = file('name: from-file\nas: 65001\nlog-level: warn\nmetrics-port: 9091\nlabels: {rack: r1}\n');
  const c = resolveWithFile({ name: 'from-flag' }, path, { TSROUTE_AS: '65002', TSROUTE_LOG_LEVEL: '' });
  t.is(c.nodeName, 'from-flag');
  t.is(c.asNumber, 65002);
  t.is(c.logLevel, 'warn', 'an empty environment variable does not hide the file');
  t.is(c.metricsPort, 9091);
  t.deepEqual(c.labels, { rack: 'r1' });
  t.is(c.resyncIntervalMs, 30_000, 'default');
  t.deepEqual(resolveWithFile({ label: ['rack=r9'] }, path, {}).labels, { rack: 'r9' });
});

test('an empty file is all defaults', (t) => {
  t.deepEqual(readConfigFile(file('')), {});
  t.deepEqual(readConfigFile(file('# nothing yet\n')), {});
});

test('unknown keys, wrong shapes and bad values are one line naming the file and the key', (t) => {
  const bad: [string, RegExp][] = [
    [
      'etcdEndpoints: http://x:1\n',
      /unknown key "etcdEndpoints" \(did you mean "etcd-endpoints"\?\); known keys: name,/,
    ],
    ['colour: blue\n', /unknown key "colour"; known keys/],
    ['- a\n- b\n', /must be a map of settings/],
    ['name: [a, b]\n', /"name" must be a single value/],
    ['labels: [a]\n', /"labels" must be a map/],
    ['labels: {a: "x,y"}\n', /label "a: x,y" must not contain/],
    ['bgp-address: 10.0.0\n', /: "bgp-address" must be an IPv4 address, got "10.0.0"/],
    ['log-level: loud\n', /: "log-level" must be one of/],
    ['metrics-port: 70000\n', /"metrics-port" must be a whole number from 0 to 65535/],
    ['etcd-endpoints: 10.0.0.1:2379\n', /etcd endpoint "10.0.0.1:2379" must start with http/],
    ['empty-block-grace: soon\n', /"empty-block-grace" must be a duration/],
    ['name: [unclosed\n', /is not valid YAML/],
  ];
  for (const [text, message] of bad) {
    const path = file(text);
    const err = t.throws(() => readConfigFile(path), { instanceOf: ConfigError }, text);
    t.true(err?.message.startsWith(path), err?.message);
    t.regex(err?.message ?? '', message);
    t.false(err?.message.includes('\n'), 'one line');
  }
  const missing = join(dir, 'absent.yaml');
  t.throws(() => readConfigFile(missing), { message: `cannot read the config file ${missing}: ENOENT` });
});

test('a reload applies the log level and names the settings that wait for a restart', (t) => {
  const path = file('name: h1\nlog-level: info\nresync-interval: 30s\n');
  const running = resolveWithFile({}, path, {});
  const log = createLogger(running.logLevel, 'h1');
  const child = log.child({ component: 'x' });
  writeFileSync(path, 'name: h1\nlog-level: debug\nresync-interval: 5s\nmetrics-port: 9100\n');
  const r = reloadConfig(running, {}, path, log, {});
  t.deepEqual(r.applied, ['logLevel']);
  t.deepEqual(r.needRestart.sort(), ['metricsPort', 'resyncIntervalMs']);
  t.is(running.logLevel, 'debug');
  t.true(child.isLevelEnabled('debug'), 'loggers made before the reload follow it');
  t.is(running.resyncIntervalMs, 30_000, 'not half-applied');

  writeFileSync(path, 'name: h1\nlog-level: error\nbogus: 1\n');
  t.throws(() => reloadConfig(running, {}, path, log, {}), { message: /unknown key "bogus"/ });
  t.is(running.logLevel, 'debug', 'a refused file changes nothing');

  writeFileSync(path, 'name: h1\nlog-level: error\n');
  t.deepEqual(reloadConfig(running, { logLevel: 'info' }, path, log, {}).applied, ['logLevel']);
  t.is(running.logLevel, 'info', 'a flag still wins over the file on reload');
});

test('changedSettings compares values, not identity', (t) => {
  const a = resolveWithFile({ name: 'a', label: ['x=1'] }, undefined, {});
  const b = resolveWithFile({ name: 'a', label: ['x=1'] }, undefined, {});
  t.deepEqual(changedSettings(a, b), []);
});
