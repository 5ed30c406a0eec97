// The cluster-wide resources the agent acts on, as last read from etcd. Its own module so the watcher
// (cluster-state.ts) and the admission check (admission.ts) share it without importing each other.
import type { BGPConfiguration, BGPFilter, BGPPeer, IPPool, Node } from '../model/index.js';

export interface ClusterSnapshot {
  pools: IPPool[];
  nodes: Node[];
  peers: BGPPeer[];
  filters: BGPFilter[];
  configs: BGPConfiguration[];
}
