// Reads the facts of a fabric picture from etcd: the Node resources, the block affinities and the
// status record every running agent keeps under its lease (/tsroute/live/v1/status/). Everything
// else (routers' own views in a lab) the caller adds before joining (from-cluster.ts).
import { AFFINITY_PREFIX, type Datastore, listNodeStatus } from '../datastore/index.js';
import type { ClusterFacts } from './from-cluster.js';

export async function readFabricFacts(ds: Datastore, title: string): Promise<Omit<ClusterFacts, 'routers'>> {
  const [nodes, statuses, affinities] = await Promise.all([
    ds.list('Node'),
    listNodeStatus(ds.kv),
    ds.kv.list<{ cidr?: string }>(AFFINITY_PREFIX),
  ]);
  return {
    title,
    nowUnixMs: Date.now(),
    nodes: nodes.map((n) => ({
      name: n.metadata.name,
      asNumber: n.spec.bgp?.asNumber,
      addresses: [n.spec.bgp?.ipv4Address, n.spec.bgp?.ipv6Address].filter((a): a is string => !!a),
      reflector: !!n.spec.bgp?.routeReflectorClusterId,
    })),
    statuses: [...statuses.values()],
    // key: <AFFINITY_PREFIX><node>/<block key name>
    affinities: affinities
      .map((a) => ({ node: a.key.slice(AFFINITY_PREFIX.length).split('/')[0]!, cidr: a.value.cidr ?? '' }))
      .filter((a) => a.cidr),
  };
}
