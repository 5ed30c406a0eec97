// A containerlab topology file (`name`, `topology.nodes`, `topology.links`) read into plain data.
// What containerlab has no words for lives beside it, so the file stays valid for containerlab itself:
// node labels (tsroute.io/role, tsroute.io/bgp-address, tsroute.io/as, tsroute.io/containers) and a
// `tsroute.yaml` in the same folder with the pools, BGP peers and configuration to apply.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

export type NodeRole = 'frr' | 'bird' | 'tsroute-host' | 'bridge';

export interface LabNode {
  name: string;
  kind: string;
  image?: string;
  role: NodeRole;
  /** host path (absolute, resolved against the file's folder) → path inside the node */
  binds: { host: string; node: string }[];
  exec: string[];
  labels: Record<string, string>;
}

export interface LabLink {
  a: { node: string; ifname: string };
  b: { node: string; ifname: string };
}

export interface LabTopology {
  name: string;
  file: string;
  nodes: LabNode[];
  links: LabLink[];
  /** Manifests (YAML text) to apply once etcd is up: pools, peers, BGP configuration, nodes. */
  manifests: string;
}

export class TopologyError extends Error {
  readonly exitCode = 1;
}

function roleOf(name: string, kind: string, image: string | undefined, labels: Record<string, string>): NodeRole {
  const label = labels['tsroute.io/role'];
  if (label === 'host') return 'tsroute-host';
  if (label === 'frr' || label === 'bird' || label === 'bridge') return label;
  if (kind === 'bridge') return 'bridge';
  if (image?.includes('frr')) return 'frr';
  if (image?.includes('bird')) return 'bird';
  if (image?.includes('tsroute')) return 'tsroute-host';
  throw new TopologyError(
    `node "${name}": cannot tell what it is from kind "${kind}" and image "${image ?? ''}"; set label tsroute.io/role (host, frr, bird, bridge or etcd)`,
  );
}

export function readTopology(file: string): LabTopology {
  let doc: Record<string, unknown>;
  try {
    doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new TopologyError(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const name = doc?.name;
  if (typeof name !== 'string' || !/^[a-z0-9][-a-z0-9]*$/.test(name))
    throw new TopologyError(`${file}: "name" must be a lower-case lab name`);
  const topology = doc.topology as {
    nodes?: Record<string, Record<string, unknown>>;
    links?: { endpoints?: string[] }[];
  };
  if (!topology?.nodes || typeof topology.nodes !== 'object')
    throw new TopologyError(`${file}: topology.nodes is missing`);
  const base = dirname(file);
  // An etcd node (label tsroute.io/role: etcd) serves the agents under real containerlab; here the
  // lab runner starts its own etcd and points the agents at it, so the node is not made.
  const isEtcd = (n: Record<string, unknown>) =>
    (n.labels as Record<string, string> | undefined)?.['tsroute.io/role'] === 'etcd';
  const nodes: LabNode[] = Object.entries(topology.nodes)
    .filter(([, n]) => !isEtcd(n))
    .map(([nodeName, n]) => {
      const kind = String(n.kind ?? (topology as { kinds?: unknown }).kinds ?? 'linux');
      const labels = (n.labels ?? {}) as Record<string, string>;
      const image = n.image === undefined ? undefined : String(n.image);
      return {
        name: nodeName,
        kind,
        image,
        role: roleOf(nodeName, kind, image, labels),
        binds: ((n.binds ?? []) as string[]).map((b) => {
          const [host, node] = b.split(':');
          if (!host || !node) throw new TopologyError(`node "${nodeName}": bind "${b}" must be HOSTPATH:NODEPATH`);
          return { host: isAbsolute(host) ? host : join(base, host), node };
        }),
        exec: ((n.exec ?? []) as string[]).map(String),
        labels,
      };
    });
  const names = new Set(nodes.map((n) => n.name));
  const links: LabLink[] = (topology.links ?? []).map((l, i) => {
    const ends = (l.endpoints ?? []).map((e) => {
      const [node, ifname] = String(e).split(':');
      if (!node || !ifname || !names.has(node))
        throw new TopologyError(`links[${i}]: endpoint "${e}" must be NODE:IFNAME of a node in topology.nodes`);
      if (ifname.length > 15)
        throw new TopologyError(`links[${i}]: interface name "${ifname}" is longer than 15 characters`);
      return { node, ifname };
    });
    if (ends.length !== 2) throw new TopologyError(`links[${i}]: needs exactly two endpoints`);
    return { a: ends[0]!, b: ends[1]! };
  });
  const sidecar = join(base, 'tsroute.yaml');
  const manifests = existsSync(sidecar) ? readFileSync(sidecar, 'utf8') : '';
  return { name, file, nodes, links, manifests };
}
