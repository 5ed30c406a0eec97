// The status each agent publishes in etcd (under its own lease, see lease.ts) so that one command
// sees the whole cluster: `tsroute status`. Plain data; the agent fills it from its API's Status.
import { STATUS_PREFIX } from './keys.js';
import type { Kv } from './kv.js';

export interface NodeStatusPeer {
  address: string;
  asNumber: number;
  type: string;
  state: string;
  /** When the session entered its current state (0 when unknown). */
  sinceUnixMs: number;
  /** Why it is not up, as `node status` INFO shows it. */
  lastError: string;
  /** The text of the peer's last shutdown NOTIFICATION (RFC 9003), while the session is down. */
  receivedShutdownMessage: string;
  prefixesReceived: number;
  prefixesAccepted: number;
  prefixesAdvertised: number;
  /** The peer's BGP identifier from its OPEN ("" before one arrived); absent from older agents. */
  routerId?: string;
  /** BFD state ("Up", "Down (…)"), "" when BFD is off; absent from older agents. */
  bfd?: string;
}

export interface NodeStatusRecord {
  node: string;
  version: string;
  /** When this record was written. */
  heartbeatUnixMs: number;
  /** How often the agent re-writes it: a heartbeat older than 3 intervals is stale. */
  intervalMs: number;
  startedUnixMs: number;
  asNumber: number;
  routerId: string;
  datastoreConnected: boolean;
  peers: NodeStatusPeer[];
  blocks: { cidr: string; inUse: number; size: number; borrowed: boolean }[];
  endpoints: number;
  kernelRoutes: number;
  rejectedResources: { kind: string; name: string; reason: string }[];
  /** Whether this agent holds the IPAM leak-GC election. */
  ipamGcLeader: boolean;
}

/** Every node's status record, by node name (a crashed node's is gone once its lease expired). */
export async function listNodeStatus(kv: Kv): Promise<Map<string, NodeStatusRecord>> {
  const items = await kv.list<NodeStatusRecord>(STATUS_PREFIX);
  return new Map(
    items
      .filter((i) => typeof i.value === 'object' && i.value !== null)
      .map((i) => [i.key.slice(STATUS_PREFIX.length), i.value]),
  );
}
