// The host image (topology/images/host/Containerfile, built by scripts/build-image.sh from a Debian
// rootfs, the npm package and this machine's Node): its `tsroute node run`, started by podman with
// host networking in a lab host's namespace and configured by a mounted /etc/tsroute/node.yaml,
// registers with the lab's etcd and brings up an eBGP session with a BIRD top-of-rack router.
// The first build runs debootstrap (minutes); later runs reuse the rootfs and the saved image by
// content hash (TSROUTE_IMAGE_CACHE, default /var/tmp/tsroute-image).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import test from 'ava';
import { AgentClient } from '../../src/api/client.js';
import { Bird } from '../../src/lab/bird.js';
import { run } from '../../src/lab/exec.js';
import { startEtcd, waitFor } from '../../src/lab/index.js';
import { Podman } from '../../src/lab/podman.js';
import { allEstablished } from '../../src/lab/router.js';
import { apply, bgpConfigYaml, peerYaml, poolYaml } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('the image runs tsroute node run with host networking and peers with a BIRD ToR', async (t) => {
  t.timeout(1_800_000); // a first build runs debootstrap; cached builds take well under a minute
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  const tor = await lab.namespace('tor', { forwarding: true });
  const h1 = await lab.namespace('h1', { forwarding: true });
  await lab.link(tor, '10.0.1.1/24', h1, '10.0.1.2/24', { aIf: 'to-h1', bIf: 'uplink' });
  const bird = await Bird.start(lab, tor, {
    routerId: '10.0.1.1',
    as: 65000,
    peers: [{ address: '10.0.1.2', as: 65001, localAddress: '10.0.1.1' }],
  });
  await apply(
    lab,
    etcd,
    poolYaml('pool4', '10.65.0.0/16', 26) +
      bgpConfigYaml(64512, false) +
      peerYaml('tor-h1', { node: 'h1', peerIP: '10.0.1.1', asNumber: 65000 }),
  );

  const podman = await Podman.create(lab, h1);
  const wrapper = lab.path('podman.sh');
  writeFileSync(wrapper, `#!/bin/sh\nCONTAINERS_CONF=${podman.containersConf} exec ${podman.argv.join(' ')} "$@"\n`, {
    mode: 0o755,
  });
  const tag = `localhost/tsroute/host:${process.env.TSROUTE_RUN_ID ?? 'test'}`;
  const built = await run(['bash', 'scripts/build-image.sh', tag], {
    env: { ...process.env, PODMAN: wrapper, TSROUTE_IMAGE_SAVE: '1' },
    timeoutMs: 1_700_000,
  });
  t.log(built.stderr.trim());

  // The agent's settings as an operator would give them: a config file; its API socket on the host.
  const etcdDir = dirname(etcd.socketEndpoint.replace(/^unix:\/\//, ''));
  const runDir = lab.path('run-tsroute');
  mkdirSync(runDir);
  const config = lab.path('node.yaml');
  writeFileSync(config, `name: h1\netcd-endpoints: [${etcd.socketEndpoint}]\nbgp-address: 10.0.1.2\nas: 65001\n`);
  await podman.podman(
    'run',
    '-d',
    '--name',
    'tsroute-h1',
    '--network',
    'host',
    '--privileged',
    '-v',
    `${config}:/etc/tsroute/node.yaml:ro`,
    '-v',
    `${etcdDir}:${etcdDir}`,
    '-v',
    `${runDir}:/run/tsroute`,
    tag,
  );
  const client = new AgentClient(`${runDir}/agent.sock`, 10_000);
  t.teardown(() => client.close());
  const logs = async () => (await podman.podman('logs', 'tsroute-h1').catch((e) => e)).stderr ?? '';
  await waitFor('the session between the containerized agent and BIRD', () => allEstablished(bird), {
    timeoutMs: 120_000,
    intervalMs: 500,
  }).catch(async (err) => {
    t.log(await logs());
    throw err;
  });
  const status = await client.getStatus(5000);
  t.is(status.node, 'h1');
  t.is(status.asNumber, 65001);
  t.deepEqual(
    status.peers.map((p) => [p.address, p.state]),
    [['10.0.1.1', 'Established']],
  );
  const inspect = JSON.parse((await podman.podman('inspect', 'tsroute-h1')).stdout)[0];
  t.is(inspect.HostConfig.NetworkMode, 'host');
  t.regex((await podman.podman('exec', 'tsroute-h1', 'tsroute', '--version')).stdout, /^\d+\.\d+\.\d+/);
});
