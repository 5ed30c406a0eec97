// `tsroute node install-service --root DIR`: the unit passes `systemd-analyze verify` with no warning,
// restarts always, waits for the network; its ExecStart starts an agent; the example config is
// valid, private, and never overwritten.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { readConfigFile } from '../../src/agent/config-file.js';
import { AgentClient } from '../../src/api/client.js';
import { outcome, tsroute } from '../../src/lab/agent.js';
import { requireBinary, run } from '../../src/lab/exec.js';
import { startEtcd, waitFor } from '../../src/lab/index.js';
import { labFor } from '../helpers/lab.js';

/** `systemd-analyze verify`: exit 0 is not enough, it only warns about a bad value. */
async function verifyUnit(path: string): Promise<string> {
  requireBinary('systemd-analyze'); // Debian package systemd
  const r = await outcome(run(['systemd-analyze', 'verify', path]));
  return `${r.code} ${r.stdout}${r.stderr}`.trim();
}

test('install-service writes a unit systemd accepts and an example config; its ExecStart runs an agent', async (t) => {
  const lab = await labFor(t);
  const root = lab.path('root');
  const first = await tsroute(['node', 'install-service', '--root', root]);
  t.is(first.code, 0, first.stderr);
  const unitPath = join(root, 'etc/systemd/system/tsroute-node.service');
  const configPath = join(root, 'etc/tsroute/node.yaml');
  t.regex(first.stdout, /wrote .*tsroute-node\.service\nwrote .*node\.yaml \(an example: edit it\)/);

  const unit = readFileSync(unitPath, 'utf8');
  t.is(await verifyUnit(unitPath), '0');
  t.regex(unit, /^Restart=always$/m);
  t.regex(unit, /^After=network-online\.target$/m);
  t.regex(unit, /^Wants=network-online\.target$/m);
  t.regex(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  t.regex(unit, /^WantedBy=multi-user\.target$/m);
  const docs = /^Documentation=file:(.*)$/m.exec(unit)?.[1] ?? '';
  t.true(existsSync(docs), `Documentation names this installation's ${docs}`);
  const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1]?.split(' ') ?? [];
  t.deepEqual(exec.slice(2), ['node', 'run', '--config', '/etc/tsroute/node.yaml']);

  // The check can fail: a typo systemd only warns about is caught.
  const broken = lab.path('broken.service');
  writeFileSync(broken, unit.replace('Restart=always', 'Restart=alwayz'));
  t.regex(await verifyUnit(broken), /^0 .*restart specifier/);

  t.is(statSync(configPath).mode & 0o777, 0o600);
  t.deepEqual(readConfigFile(configPath), {
    TSROUTE_ETCD_ENDPOINTS: 'http://127.0.0.1:2379',
    TSROUTE_LOG_LEVEL: 'info',
  });

  // Run again (as after an upgrade): the unit is rewritten, the admin's config kept.
  writeFileSync(configPath, 'name: edited\n');
  writeFileSync(unitPath, 'stale');
  const again = await tsroute(['node', 'install-service', '--root', root]);
  t.regex(again.stdout, /kept .*node\.yaml \(exists\)/);
  t.is(readFileSync(configPath, 'utf8'), 'name: edited\n');
  t.is(readFileSync(unitPath, 'utf8'), unit);

  // ExecStart as systemd would run it, with a config that points at this test's etcd.
  const etcd = await startEtcd(lab);
  const host = await lab.namespace('h1');
  await host.ip('addr', 'add', '10.0.0.1/32', 'dev', 'lo');
  const socket = lab.path('agent.sock');
  writeFileSync(
    configPath,
    `name: h1\netcd-endpoints: [${etcd.socketEndpoint}]\nbgp-address: 10.0.0.1\napi-socket: ${socket}\n`,
  );
  const daemon = host.spawn('agent-h1', [...exec.slice(0, -1), configPath]);
  const client = new AgentClient(socket, 10_000);
  t.teardown(() => client.close());
  const status = await waitFor(
    'the agent started by ExecStart to answer',
    async () => {
      daemon.assertRunning();
      return client.getStatus(1000).catch(() => undefined);
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  t.is(status.node, 'h1');
});

test('install-service refuses a relative --config path', async (t) => {
  const lab = await labFor(t);
  const r = await tsroute(['node', 'install-service', '--root', lab.path('root'), '--config', 'node.yaml']);
  t.is(r.code, 1);
  t.is(r.stderr, 'tsroute: --config must be an absolute path, got "node.yaml"\n');
});
