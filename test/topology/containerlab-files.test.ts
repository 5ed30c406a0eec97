// The topology files are meant for real containerlab too (`containerlab deploy -t …`), which cannot run
// on this machine (no containerlab binary reachable). What can be checked here is that every file keeps
// to containerlab's topology schema: its published JSON schema (schemas/clab.schema.json in
// srl-labs/containerlab, read at commit 39ff2b7, August 2026) rejects unknown keys at every level.
// The key sets below were taken from that schema by hand; a file that drifts (e.g. `mgmt_ipv4` for
// `mgmt-ipv4`, or `wait-for` directly on a node instead of under `stages`) fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { parse } from 'yaml';

const TOP = new Set(['name', 'prefix', 'mgmt', 'topology', 'settings', 'debug']);
const TOPOLOGY = new Set(['nodes', 'groups', 'kinds', 'defaults', 'links']);
const NODE = new Set(
  (
    'image image-pull-policy restart-policy kind license type group startup-config startup-delay ' +
    'enforce-startup-config suppress-startup-config auto-remove exec binds volumes ports env credentials ' +
    'env-files user hostname entrypoint cmd labels runtime mgmt-ipv4 mgmt-ipv6 network-mode ' +
    'link-apply-mode cpu memory cpu-set extras config stages dns certificate healthcheck components ' +
    'aliases shm-size cap-add privileged cgroupns-mode cgroup-parent pid-mode tmpfs security-opts sysctls devices'
  ).split(' '),
);
// The kinds our files use, all in the schema's enum.
const KINDS = new Set(['linux', 'bridge', 'ovs-bridge']);
const STAGES = new Set(['create', 'create-links', 'configure', 'healthy', 'exit']);
const STAGE_KEYS = new Set(['wait-for', 'exec']);
const LINK = new Set(['endpoints', 'mtu', 'ipv4', 'ipv6', 'vars']);
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9-._]*$/;
const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Every way `doc` leaves containerlab's schema, as "path: problem" lines. */
function schemaProblems(doc: Record<string, unknown>): string[] {
  const out: string[] = [];
  const unknown = (path: string, obj: object, allowed: Set<string>) => {
    for (const k of Object.keys(obj)) if (!allowed.has(k)) out.push(`${path}.${k}: not a containerlab key`);
  };
  unknown('', doc, TOP);
  if (typeof doc.name !== 'string' || !NAME.test(doc.name)) out.push('.name: missing or not a lab name');
  const topology = doc.topology as Record<string, unknown> | undefined;
  if (!topology) return [...out, '.topology: missing'];
  unknown('.topology', topology, TOPOLOGY);
  const nodes = (topology.nodes ?? {}) as Record<string, Record<string, unknown> | null>;
  for (const [name, node] of Object.entries(nodes)) {
    const at = `.topology.nodes.${name}`;
    if (!node) continue;
    unknown(at, node, NODE);
    if (node.kind !== undefined && !KINDS.has(String(node.kind))) out.push(`${at}.kind: ${node.kind}`);
    if (node['mgmt-ipv4'] !== undefined && !IPV4.test(String(node['mgmt-ipv4'])))
      out.push(`${at}.mgmt-ipv4: not an IPv4 address`);
    for (const list of ['exec', 'binds'] as const) {
      const v = node[list];
      if (v !== undefined && (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string')))
        out.push(`${at}.${list}: must be a non-empty list of strings`);
    }
    for (const map of ['labels', 'env'] as const) {
      const v = (node[map] ?? {}) as Record<string, unknown>;
      for (const [k, x] of Object.entries(v))
        if (!['string', 'number', 'boolean'].includes(typeof x) || (map === 'labels' && x === ''))
          out.push(`${at}.${map}.${k}: must be a scalar`);
    }
    for (const [stage, conf] of Object.entries((node.stages ?? {}) as Record<string, Record<string, unknown>>)) {
      if (!STAGES.has(stage)) out.push(`${at}.stages.${stage}: not a stage`);
      unknown(`${at}.stages.${stage}`, conf, STAGE_KEYS);
      for (const w of (conf['wait-for'] ?? []) as Record<string, unknown>[]) {
        if (typeof w !== 'object' || typeof w.node !== 'string' || !(w.node in nodes))
          out.push(`${at}.stages.${stage}.wait-for: ${JSON.stringify(w)} names no node of this lab`);
        else if (w.stage !== undefined && !STAGES.has(String(w.stage)))
          out.push(`${at}.stages.${stage}.wait-for: stage ${w.stage}`);
      }
    }
  }
  for (const [i, link] of ((topology.links ?? []) as Record<string, unknown>[]).entries()) {
    unknown(`.topology.links[${i}]`, link, LINK);
    const ends = link.endpoints as string[];
    for (const e of ends ?? []) {
      const [node] = e.split(':');
      if (!/^\S+:\S+$/.test(e) || !(node! in nodes)) out.push(`.topology.links[${i}]: endpoint ${e}`);
    }
  }
  return out;
}

const files = readdirSync('topology', { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join('topology', d.name))
      .filter((f) => f.endsWith('.clab.yml'))
      .map((f) => join('topology', d.name, f)),
  );

test('every topology file keeps to containerlab’s schema', (t) => {
  t.true(files.length >= 5, `found ${files.join(', ')}`);
  for (const file of files) {
    t.deepEqual(schemaProblems(parse(readFileSync(file, 'utf8'))), [], file);
  }
});

test('the check catches the drifts containerlab would refuse', (t) => {
  const doc = parse(readFileSync('topology/quickstart/quickstart.clab.yml', 'utf8'));
  doc.topology.nodes.etcd.mgmt_ipv4 = '172.20.20.2';
  doc.topology.nodes.h1['wait-for'] = ['etcd'];
  doc.topology.nodes.h2.stages.create['wait-for'] = [{ node: 'nope' }];
  doc.topology.links.push({ endpoints: ['tor:eth9', 'ghost:eth1'] });
  t.deepEqual(schemaProblems(doc), [
    '.topology.nodes.etcd.mgmt_ipv4: not a containerlab key',
    '.topology.nodes.h1.wait-for: not a containerlab key',
    '.topology.nodes.h2.stages.create.wait-for: {"node":"nope"} names no node of this lab',
    '.topology.links[3]: endpoint ghost:eth1',
  ]);
});
