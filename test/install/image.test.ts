// The host image (topology/images/host/Containerfile, built by scripts/build-image.sh from a Debian
// rootfs, the npm package and this machine's Node), run by podman in lab namespaces:
// - as on a real host: `--network host`, settings from a mounted /etc/tsroute/node.yaml, an eBGP
//   session with a BIRD top-of-rack router;
// - as containerlab would run topology/quickstart: the etcd node and host h1 with the entrypoint,
//   cmd, env and binds written in quickstart.clab.yml, each in its own namespace, the ToR as FRR
//   from its bound frr.conf.
// The first build runs debootstrap (minutes); later runs reuse the rootfs and the saved image by
// content hash (TSROUTE_IMAGE_CACHE, default /var/tmp/tsroute-image).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { parse } from 'yaml';
import { AgentClient } from '../../src/api/client.js';
import { Bird } from '../../src/lab/bird.js';
import { run } from '../../src/lab/exec.js';
import { Frr } from '../../src/lab/frr.js';
import { Lab, startEtcd, waitFor } from '../../src/lab/index.js';
import type { Netns } from '../../src/lab/netns.js';
import { Podman } from '../../src/lab/podman.js';
import { allEstablished } from '../../src/lab/router.js';
import { apply, bgpConfigYaml, peerYaml, poolYaml } from '../helpers/cluster.js';

/**
 * One lab and one podman for both tests (loading the image into podman's storage costs ~30 s):
 * podman runs in namespace "h1", which is the first test's host; the second test's containers join
 * namespaces of their own with --network ns:PATH, as containerlab gives each node its own.
 */
let shared: Promise<{ lab: Lab; h1: Netns; podman: Podman; tag: string }> | undefined;
function labWithImage(t: ExecutionContext) {
  shared ??= (async () => {
    const lab = await Lab.create('image');
    const h1 = await lab.namespace('h1', { forwarding: true });
    const podman = await Podman.create(lab, h1);
    const wrapper = lab.path('podman.sh');
    writeFileSync(wrapper, `#!/bin/sh\nCONTAINERS_CONF=${podman.containersConf} exec ${podman.argv.join(' ')} "$@"\n`, {
      mode: 0o755,
    });
    const tag = 'localhost/tsroute/host:latest';
    const built = await run(['bash', 'scripts/build-image.sh', tag], {
      env: { ...process.env, PODMAN: wrapper, TSROUTE_IMAGE_SAVE: '1' },
      timeoutMs: 1_700_000,
    });
    t.log(built.stderr.trim());
    return { lab, h1, podman, tag };
  })();
  return shared;
}
test.after.always(async () => {
  if (shared) await (await shared).lab.destroy();
});

/** Waits for the agent behind `socket`; on failure the container's log is in the test's output. */
async function agentUp(t: ExecutionContext, podman: Podman, container: string, socket: string) {
  const client = new AgentClient(socket, 10_000);
  t.teardown(() => client.close());
  const logs = async () => {
    const r = await podman.podman('logs', container).catch((e) => e);
    return `${r.stdout ?? ''}${r.stderr ?? ''}`;
  };
  return { client, logs };
}

test.serial('the image runs tsroute node run with host networking and peers with a BIRD ToR', async (t) => {
  t.timeout(1_800_000); // a first build runs debootstrap; a rebuild ~2-3 min, a cached one well under
  const { lab, h1, podman, tag } = await labWithImage(t);
  const etcd = await startEtcd(lab);
  const tor = await lab.namespace('tor', { forwarding: true });
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

  // The agent's settings as an operator would give them: a config file; its API socket on the host.
  const etcdDir = dirname(etcd.socketEndpoint.replace(/^unix:\/\//, ''));
  const runDir = lab.path('run-tsroute');
  mkdirSync(runDir);
  const config = lab.path('node.yaml');
  writeFileSync(config, `name: h1\netcd-endpoints: [${etcd.socketEndpoint}]\nbgp-address: 10.0.1.2\nas: 65001\n`);
  await podman.podman(
    ...['run', '-d', '--name', 'tsroute-h1', '--network', 'host', '--privileged'],
    ...['-v', `${config}:/etc/tsroute/node.yaml:ro`, '-v', `${etcdDir}:${etcdDir}`, '-v', `${runDir}:/run/tsroute`],
    tag,
  );
  const { client, logs } = await agentUp(t, podman, 'tsroute-h1', `${runDir}/agent.sock`);
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

interface ClabNode {
  image?: string;
  exec?: string[];
  binds?: string[];
  env?: Record<string, string>;
  entrypoint?: string;
  cmd?: string;
  'mgmt-ipv4'?: string;
  labels?: Record<string, string>;
}

test.serial('quickstart.clab.yml: its etcd node and host h1 run from the image as the file says', async (t) => {
  t.timeout(1_800_000);
  const file = 'topology/quickstart/quickstart.clab.yml';
  const base = dirname(file);
  const nodes = (parse(readFileSync(file, 'utf8')) as { topology: { nodes: Record<string, ClabNode> } }).topology.nodes;
  const [etcdNode, h1Node, torNode] = [nodes.etcd!, nodes.h1!, nodes.tor!];
  const { lab, podman, tag } = await labWithImage(t);
  // containerlab's wiring for these three: eth0 on the management network, tor:eth1 — h1:eth1
  // (the ToR's links to h2 and h3 are left out, with their addresses).
  const mgmt = await lab.namespace('qs-etcd');
  const tor = await lab.namespace('qs-tor', { forwarding: true });
  const h1 = await lab.namespace('qs-h1', { forwarding: true });
  await lab.link(mgmt, `${etcdNode['mgmt-ipv4']}/24`, h1, '172.20.20.3/24', { aIf: 'eth0', bIf: 'eth0' });
  await lab.link(tor, [], h1, [], { aIf: 'eth1', bIf: 'eth1' });
  for (const [ns, node] of [
    [tor, torNode],
    [h1, h1Node],
  ] as const)
    for (const cmd of (node.exec ?? []).filter((c) => c.endsWith(' dev eth1'))) await ns.exec(['sh', '-c', cmd]);
  const frrConf = torNode.binds!.find((b) => b.endsWith(':/etc/frr/frr.conf'))!.split(':')[0]!;
  const frr = await Frr.startWithConfig(
    lab,
    tor,
    { routerId: torNode.labels!['tsroute.io/router-id']!, as: 65000, peers: [] },
    readFileSync(join(base, frrConf), 'utf8'),
  );

  t.is(etcdNode.image, tag);
  t.is(h1Node.image, tag);
  await podman.podman(
    ...['run', '-d', '--name', 'etcd', '--network', `ns:${mgmt.path}`, '--entrypoint', etcdNode.entrypoint!],
    tag,
    ...etcdNode.cmd!.split(' '),
  );
  const runDir = lab.path('run-tsroute-qs');
  mkdirSync(runDir);
  const binds = (h1Node.binds ?? []).flatMap((b) => {
    const [host, node] = b.split(':');
    return ['-v', `${isAbsolute(host!) ? host : join(process.cwd(), base, host!)}:${node}:ro`];
  });
  const env = Object.entries(h1Node.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  await podman.podman(
    ...['run', '-d', '--name', 'h1', '--hostname', 'h1', '--network', `ns:${h1.path}`, '--privileged'],
    ...binds,
    ...env,
    ...['-v', `${runDir}:/run/tsroute`],
    tag,
  );
  const { client, logs } = await agentUp(t, podman, 'h1', `${runDir}/agent.sock`);
  await waitFor(
    'FRR (the ToR from its frr.conf) to have h1 Established',
    async () => (await frr.sessions()).some((s) => s.peer === '10.0.1.2' && s.state === 'Established'),
    { timeoutMs: 180_000, intervalMs: 500 },
  ).catch(async (err) => {
    t.log(await logs());
    throw err;
  });
  const status = await waitFor(
    "h1's agent to report the ToR session Established",
    async () => {
      const st = await client.getStatus(5000);
      return st.peers.some((p) => p.state === 'Established') ? st : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  ).catch(async (err) => {
    t.log(await logs());
    throw err;
  });
  t.is(status.node, 'h1', 'the name is the container hostname');
  t.is(status.asNumber, Number(h1Node.env!.TSROUTE_AS));
  t.true(status.datastoreConnected, 'etcd from the etcd node');
  // The peer came from the folder's tsroute.yaml, which the entrypoint applied to that etcd.
  t.deepEqual(
    status.peers.map((p) => [p.address, p.asNumber, p.state]),
    [['10.0.1.1', 65000, 'Established']],
  );
});
