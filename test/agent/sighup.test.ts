// SIGHUP on a running `tsroute node run --config FILE`: the file is re-read, the log level changes at
// once (seen in the agent's own log), a setting that needs a restart is named, and a broken file is
// refused while the agent keeps serving.
import { readFileSync, writeFileSync } from 'node:fs';
import test from 'ava';
import { AgentClient } from '../../src/api/client.js';
import { tsrouteArgv } from '../../src/lab/agent.js';
import { startEtcd, waitFor } from '../../src/lab/index.js';
import { apply, poolYaml } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('SIGHUP re-reads the config file: the log level changes live, a bad file is refused', async (t) => {
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  await apply(lab, etcd, poolYaml('pool4', '10.65.0.0/16', 26));
  const host = await lab.namespace('h1');
  await host.ip('addr', 'add', '10.0.0.1/32', 'dev', 'lo');
  const socket = lab.path('agent.sock');
  const config = lab.path('node.yaml');
  const settings = (level: string, resync: string) =>
    `name: h1\netcd-endpoints: ${etcd.socketEndpoint}\nbgp-address: 10.0.0.1\napi-socket: ${socket}\nlog-level: ${level}\nresync-interval: ${resync}\n`;
  writeFileSync(config, settings('info', '30s'));
  // No flag but --config: every setting comes from the file.
  const daemon = host.spawn('agent-h1', [...tsrouteArgv(), 'node', 'run', '--config', config]);
  const client = new AgentClient(socket, 10_000);
  t.teardown(() => client.close());
  await waitFor(
    'the agent to serve its API',
    async () => {
      daemon.assertRunning();
      return client.getStatus(1000).then(
        () => true,
        () => false,
      );
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  const log = () => readFileSync(daemon.logFile, 'utf8');
  const c1 = await lab.namespace('c1');
  await client.addEndpoint({ containerId: 'c1', netns: c1.path });
  t.notRegex(log(), /"msg":"AddEndpoint"/, 'at info, no debug line');

  writeFileSync(config, settings('debug', '5s'));
  process.kill(daemon.pid, 'SIGHUP');
  const reread = await waitFor('the reload line', async () =>
    log()
      .split('\n')
      .find((l) => l.includes('SIGHUP: config file re-read')),
  );
  t.deepEqual(JSON.parse(reread).applied, ['logLevel']);
  t.deepEqual(JSON.parse(reread).needRestart, ['resyncIntervalMs']);
  const c2 = await lab.namespace('c2');
  await client.addEndpoint({ containerId: 'c2', netns: c2.path });
  await waitFor('a debug line after the reload', async () => /"msg":"AddEndpoint"/.test(log()));
  t.regex(log(), /"endpoint":"c2\/eth0"[^\n]*"msg":"AddEndpoint"/);

  writeFileSync(config, `${settings('error', '5s')}colour: blue\n`);
  process.kill(daemon.pid, 'SIGHUP');
  const refused = await waitFor('the refusal line', async () =>
    log()
      .split('\n')
      .find((l) => l.includes('config file refused')),
  );
  t.regex(JSON.parse(refused).err, /unknown key "colour"/);
  daemon.assertRunning();
  const c3 = await lab.namespace('c3');
  await client.addEndpoint({ containerId: 'c3', netns: c3.path });
  await waitFor('still at debug after the refused file', async () =>
    /"endpoint":"c3\/eth0"[^\n]*"AddEndpoint"/.test(log()),
  );
  t.is((await client.getStatus(5000)).endpointCount, 3);
});
