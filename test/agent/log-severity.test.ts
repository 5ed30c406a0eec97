// BGPConfiguration logSeverity sets a running agent's log level, seen in the agent's own log:
// "default" for the cluster, "node.<name>" over it, and --log-level again once neither sets one.
import { readFileSync } from 'node:fs';
import test from 'ava';
import { startAgent } from '../../src/lab/agent.js';
import { startEtcd, waitFor } from '../../src/lab/index.js';
import { apply, peerYaml, poolYaml } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

const config = (name: string, severity?: string) => `apiVersion: tsroute.io/v1
kind: BGPConfiguration
metadata:
  name: ${name}
spec:
${severity ? `  logSeverity: ${severity}\n` : '  {}\n'}---
`;

test('logSeverity changes the agent log level live: default, node override, back to --log-level', async (t) => {
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  await apply(lab, etcd, poolYaml('pool4', '10.65.0.0/16', 26));
  const ns = await lab.namespace('h1');
  await ns.ip('addr', 'add', '10.0.0.1/32', 'dev', 'lo');
  const agent = await startAgent(lab, ns, { name: 'h1', etcd, bgpAddress: '10.0.0.1', logLevel: 'info' });
  const lines = () => readFileSync(agent.daemon.logFile, 'utf8').split('\n').filter(Boolean);
  const added = (id: string) => lines().some((l) => l.includes(`"endpoint":"${id}/eth0"`) && l.includes('AddEndpoint'));
  const peerAdded = (ip: string) => lines().some((l) => l.includes(`"peer":"${ip}"`) && l.includes('adding BGP peer'));
  const endpoint = async (id: string) => {
    const c = await lab.namespace(id);
    await agent.client.addEndpoint({ containerId: id, netns: c.path });
  };
  /** A BGPPeer the agent has taken in (it shows in status), whether or not it said so in its log. */
  const peer = async (ip: string) => {
    await apply(lab, etcd, peerYaml(`p-${ip.replaceAll('.', '-')}`, { peerIP: ip, asNumber: 65000 }));
    await waitFor(`peer ${ip} in status`, async () => (await agent.status()).peers.some((p) => p.address === ip));
  };
  const levelChange = (to: string) =>
    waitFor(`the log level to become ${to}`, async () =>
      lines()
        .map((l) => JSON.parse(l) as { msg?: string; to?: string; source?: string })
        .find((l) => l.msg === 'log level changed' && l.to === to),
    );

  await endpoint('c1');
  t.false(added('c1'), '--log-level info: no debug line');

  await apply(lab, etcd, config('default', 'debug'));
  t.is((await levelChange('debug')).source, 'BGPConfiguration logSeverity');
  await endpoint('c2');
  await waitFor('the debug line for c2', async () => added('c2'));

  // the node's own configuration wins over the cluster's
  await apply(lab, etcd, config('node.h1', 'warn'));
  await levelChange('warn');
  await peer('10.0.0.91');
  await endpoint('c3');
  t.false(peerAdded('10.0.0.91'), 'at warn, no info line');
  t.false(added('c3'), 'at warn, no debug line');

  // neither sets one: --log-level again
  await apply(lab, etcd, config('node.h1') + config('default'));
  t.is((await levelChange('info')).source, '--log-level');
  await peer('10.0.0.92');
  await endpoint('c4');
  t.true(peerAdded('10.0.0.92'), 'at info, the info line is there');
  t.false(added('c4'), 'at info, no debug line');
});
