// The topology files stay valid containerlab files: only the node fields and kinds containerlab
// defines (checked against containerlab's published schema when these files were written: kind,
// image, binds, exec, labels, env; kinds linux and bridge), string label values, NODE:IF endpoints,
// every bound file present, and each file readable by `tsroute lab`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import test from 'ava';
import { parse } from 'yaml';
import { readTopology } from '../../src/lab/containerlab.js';

const NODE_FIELDS = new Set(['kind', 'image', 'binds', 'exec', 'labels', 'env']);
const KINDS = new Set(['linux', 'bridge']);
const topologies = readdirSync('topology', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(`topology/${d.name}/${d.name}.clab.yml`))
  .map((d) => d.name);

test('there are the four topologies', (t) => {
  t.deepEqual(topologies.sort(), ['leaf-spine', 'mesh', 'quickstart', 'route-reflectors']);
});

for (const name of topologies) {
  test(`${name}: a containerlab file tsroute lab can run`, (t) => {
    const file = `topology/${name}/${name}.clab.yml`;
    const doc = parse(readFileSync(file, 'utf8')) as {
      name: string;
      topology: { nodes: Record<string, Record<string, unknown>>; links: { endpoints: string[] }[] };
    };
    t.deepEqual(Object.keys(doc).sort(), ['name', 'topology']);
    t.is(doc.name, name);
    for (const [node, spec] of Object.entries(doc.topology.nodes)) {
      for (const key of Object.keys(spec)) t.true(NODE_FIELDS.has(key), `${node}.${key} is a containerlab node field`);
      t.true(KINDS.has(String(spec.kind)), `${node}: kind ${spec.kind}`);
      for (const v of Object.values((spec.labels ?? {}) as Record<string, unknown>)) t.is(typeof v, 'string');
      for (const b of (spec.binds ?? []) as string[])
        t.true(existsSync(`topology/${name}/${b.split(':')[0]}`), `${b} exists`);
    }
    for (const l of doc.topology.links) for (const e of l.endpoints) t.regex(e, /^[a-z0-9-]+:[a-z0-9]+$/);
    const topo = readTopology(file);
    t.true(topo.nodes.some((n) => n.role === 'tsroute-host'));
    t.regex(topo.manifests, /kind: IPPool/);
  });
}
