// The topology files are runnable by both `tsroute lab` and containerlab (the schema itself is
// checked in containerlab-files.test.ts): every bound file present, and each file readable by
// `tsroute lab`. Under real containerlab an etcd node (the host image's etcd) serves the agents,
// which get their settings from TSROUTE_* env that must agree with the labels `tsroute lab` reads.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import test from 'ava';
import { parse } from 'yaml';
import { FILE_KEYS } from '../../src/agent/config-file.js';
import { readTopology } from '../../src/lab/containerlab.js';

/** Environment variables the agent (config.ts) and the image's entrypoint read. */
const AGENT_ENV = new Set([...Object.values(FILE_KEYS), 'TSROUTE_WAIT_FOR_LINK']);
const HOST_IMAGE = 'localhost/tsroute/host:latest';
const topologies = readdirSync('topology', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(`topology/${d.name}/${d.name}.clab.yml`))
  .map((d) => d.name);

test('there are the six topologies', (t) => {
  t.deepEqual(topologies.sort(), [
    'leaf-spine',
    'leaf-spine-unnumbered',
    'mesh',
    'quickstart',
    'route-reflectors',
    'static',
  ]);
});

for (const name of topologies) {
  test(`${name}: a containerlab file tsroute lab can run`, (t) => {
    const file = `topology/${name}/${name}.clab.yml`;
    const doc = parse(readFileSync(file, 'utf8')) as {
      name: string;
      topology: { nodes: Record<string, Record<string, unknown>>; links: { endpoints: string[] }[] };
    };
    t.deepEqual(Object.keys(doc).sort(), ['name', 'topology']);
    const topo = readTopology(file);
    t.is(doc.name, name);
    for (const spec of Object.values(doc.topology.nodes)) {
      for (const v of Object.values((spec.labels ?? {}) as Record<string, unknown>)) t.is(typeof v, 'string');
      for (const b of (spec.binds ?? []) as string[])
        t.true(existsSync(`topology/${name}/${b.split(':')[0]}`), `${b} exists`);
    }
    for (const l of doc.topology.links) for (const e of l.endpoints) t.regex(e, /^[a-z0-9-]+:[a-z0-9]+$/);

    const nodes = Object.entries(doc.topology.nodes);
    const etcds = nodes.filter(([, n]) => (n.labels as Record<string, string>)?.['tsroute.io/role'] === 'etcd');
    t.is(etcds.length, 1, 'one etcd node');
    const [etcdName, etcd] = etcds[0]!;
    t.is(etcd.image, HOST_IMAGE);
    t.is(etcd.entrypoint, 'etcd');
    t.regex(String(etcd['mgmt-ipv4']), /^172\.20\.20\.\d+$/, "on containerlab's default management subnet");
    t.regex(String(etcd.cmd), new RegExp(`--advertise-client-urls http://${etcd['mgmt-ipv4']}:2379`));
    const hosts = nodes.filter(([, n]) => (n.labels as Record<string, string>)?.['tsroute.io/role'] === 'host');
    t.true(hosts.length > 0);
    for (const [node, spec] of hosts) {
      const labels = spec.labels as Record<string, string>;
      const env = (spec.env ?? {}) as Record<string, unknown>;
      t.is(spec.image, HOST_IMAGE, node);
      for (const [k, v] of Object.entries(env)) {
        t.true(AGENT_ENV.has(k), `${node}: ${k} is a variable the agent reads`);
        t.is(typeof v, 'string', `${node}: ${k}`);
      }
      t.is(env.TSROUTE_ETCD_ENDPOINTS, `http://${etcd['mgmt-ipv4']}:2379`, node);
      t.is(env.TSROUTE_BGP_ADDRESS, labels['tsroute.io/bgp-address'], `${node}: env and label agree`);
      t.is(env.TSROUTE_AS, labels['tsroute.io/as'], `${node}: env and label agree`);
      t.deepEqual(spec.stages, { create: { 'wait-for': [{ node: etcdName, stage: 'create' }] } }, node);
      t.true(
        (spec.binds as string[]).includes('tsroute.yaml:/etc/tsroute/manifests.yaml'),
        `${node} applies the manifests`,
      );
    }
    t.false(
      topo.nodes.some((n) => n.name === etcdName),
      '`tsroute lab` runs its own etcd',
    );
    t.true(topo.nodes.some((n) => n.role === 'tsroute-host'));
    t.regex(topo.manifests, /kind: IPPool/);
  });
}
