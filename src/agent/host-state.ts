// What this host should be, as one pure function of what it knows: the cluster's resources (as
// admitted from etcd), the blocks it owns, its endpoints' addresses and its own start-up settings.
// The reconcilers (bgp-reconciler.ts: the speaker; the kernel route table; NAT) each take their part
// of the result and make the world match it; nothing here talks to etcd, the kernel or a peer.
//
// It comes in two halves because they change at different rates: `clusterPlan` only when the cluster
// snapshot changes (a watch event), `addressPlan` on every endpoint add or delete (it must stay cheap).
// hostState = clusterPlan, then addressPlan of that plan; the agent calls each as its inputs change.
import {
  type BGPConfigurationSpec,
  DEFAULT_BGP_CONFIGURATION,
  type Node,
  nodeBgpAddress,
  selectorMatches,
} from '../model/index.js';
import { type Announcement, type AnnouncePool, desiredAnnouncements } from './announcements.js';
import type { ClusterSnapshot } from './cluster-snapshot.js';
import { filterPolicies } from './filters.js';
import { linksOf } from './link-peers.js';
import type { PeerPassword } from './peer-password.js';
import { type PlanNode, type PlannedPeer, planPeers } from './peer-plan.js';

export type EffectiveBgpConfig = BGPConfigurationSpec & typeof DEFAULT_BGP_CONFIGURATION;

/** This host's own start-up settings (flags, config file) that the cluster cannot override. */
export interface HostSettings {
  nodeName: string;
  /** --as-number: wins over the Node's and the cluster's AS. */
  asNumber?: number;
  bgpAddress4?: string;
  bgpAddress6?: string;
  /** --log-level, in force while no BGPConfiguration sets logSeverity. */
  logLevel: string;
}

export interface ClusterPlanInput {
  cluster: ClusterSnapshot;
  settings: HostSettings;
  /** This node as registered at start, until the snapshot has it. */
  registered?: Node;
  /** Reads a BGPPeer's password reference (a file or a variable); injected so tests need neither. */
  readPassword: (ref: { fromFile?: string; fromEnv?: string } | undefined) => PeerPassword;
  /** Unnumbered peers found so far: interface → the router's link-local address (link-peers.ts). */
  linkPeer?: (ifname: string) => string | undefined;
}

/** What the speaker is: a change of any of these restarts it (timers change per session). */
export interface SpeakerIdentity {
  asn: number;
  /** Undefined when this node has no IPv4 BGP address (the speaker cannot run). */
  routerId?: string;
  clusterId?: string;
  listenPort: number;
  address4?: string;
  address6?: string;
  gracefulRestartTime: number;
}

export interface ClusterPlan {
  self?: Node;
  config: EffectiveBgpConfig;
  routingMode: 'BGP' | 'Static';
  logLevel: { level: string; source: 'BGPConfiguration logSeverity' | '--log-level' };
  speaker: SpeakerIdentity;
  /** The sessions to run (empty in Static mode). */
  peers: PlannedPeer[];
  /** What cluster peers may send us (pools) and the user's filters by name. */
  importPolicy: { pools: AnnouncePool[]; filters: Map<string, ReturnType<typeof filterPolicies>> };
  /** Masquerade from `natPools` to destinations outside `allPools`. */
  nat: { natPools: string[]; allPools: string[] };
  /** The links of this node's unnumbered and link-local peers, for LinkPeers to watch. */
  links: ReturnType<typeof linksOf>;
  /** Every node with its addresses, for static routing. */
  nodes: { name: string; ipv4?: string; ipv6?: string }[];
  /** Inputs of the announcement half that come from the cluster. */
  announce: { pools: AnnouncePool[]; advertisements: { cidr: string; communities: string[] }[] };
}

export interface AddressPlanInput {
  ownBlocks: readonly string[];
  /** Bare addresses of this host's endpoints. */
  endpointAddresses: readonly string[];
  /** Prefixes added through the API (AddPath). */
  extraPaths: readonly { prefix: string; communities?: string[]; med?: number }[];
}

export interface AddressPlan {
  announcements: Map<string, Announcement>;
  /** Blackholes for the blocks this host owns (a container that is gone is unreachable, not looped). */
  blackholes: string[];
}

export type HostState = ClusterPlan & AddressPlan;

/** The BGP configuration in force for `nodeName`: defaults, then "default", then "node.<name>". */
export function effectiveBgpConfig(cluster: ClusterSnapshot, nodeName: string): EffectiveBgpConfig {
  const global = cluster.configs.find((c) => c.metadata.name === 'default')?.spec ?? {};
  const own = cluster.configs.find((c) => c.metadata.name === `node.${nodeName}`)?.spec ?? {};
  return { ...DEFAULT_BGP_CONFIGURATION, ...global, ...own };
}

/** This node's AS: --as-number, else the Node's, else the cluster's. */
export function hostAsNumber(cluster: ClusterSnapshot, settings: HostSettings, registered?: Node): number {
  const self = cluster.nodes.find((n) => n.metadata.name === settings.nodeName) ?? registered;
  return settings.asNumber ?? self?.spec.bgp?.asNumber ?? effectiveBgpConfig(cluster, settings.nodeName).asNumber;
}

export function clusterPlan(input: ClusterPlanInput): ClusterPlan {
  const { cluster: s, settings } = input;
  const self = s.nodes.find((n) => n.metadata.name === settings.nodeName) ?? input.registered;
  const cfg = effectiveBgpConfig(s, settings.nodeName);
  const asn = hostAsNumber(s, settings, input.registered);
  const routingMode = cfg.routingMode ?? 'BGP';
  const pools: AnnouncePool[] = s.pools.map((p) => ({
    name: p.metadata.name,
    cidr: p.spec.cidr,
    disabled: p.spec.disabled,
    disableBGPExport: p.spec.disableBGPExport,
  }));
  const named = new Map((cfg.communities ?? []).map((c) => [c.name, c.value]));
  const speaker: SpeakerIdentity = {
    asn,
    routerId: settings.bgpAddress4 ?? (self ? nodeBgpAddress(self, 'ipv4') : undefined),
    clusterId: self?.spec.bgp?.routeReflectorClusterId,
    listenPort: cfg.listenPort,
    address4: settings.bgpAddress4 ?? (self ? nodeBgpAddress(self, 'ipv4') : undefined),
    address6: settings.bgpAddress6 ?? (self ? nodeBgpAddress(self, 'ipv6') : undefined),
    gracefulRestartTime: cfg.gracefulRestartTime,
  };
  return {
    self,
    config: cfg,
    routingMode,
    logLevel: cfg.logSeverity
      ? { level: cfg.logSeverity, source: 'BGPConfiguration logSeverity' }
      : { level: settings.logLevel, source: '--log-level' },
    speaker,
    peers: routingMode === 'Static' || !self ? [] : peersOf(input, self, asn, cfg),
    links: linksOf(
      routingMode === 'Static' || !self
        ? []
        : s.peers
            .filter(
              (p) =>
                (p.spec.node === undefined || p.spec.node === self.metadata.name) &&
                (p.spec.nodeSelector === undefined || selectorMatches(p.spec.nodeSelector, self.metadata.labels ?? {})),
            )
            .map((p) => p.spec),
    ),
    importPolicy: {
      pools: pools.map(({ name, cidr }) => ({ name, cidr })),
      filters: new Map(s.filters.map((f) => [f.metadata.name, filterPolicies(f)])),
    },
    // a disabled pool keeps its NAT: its running containers still talk to the outside
    nat: {
      natPools: s.pools.filter((p) => p.spec.natOutgoing).map((p) => p.spec.cidr),
      allPools: s.pools.map((p) => p.spec.cidr),
    },
    nodes: s.nodes.map((n) => ({
      name: n.metadata.name,
      ipv4: nodeBgpAddress(n, 'ipv4'),
      ipv6: nodeBgpAddress(n, 'ipv6'),
    })),
    announce: {
      pools,
      advertisements: (cfg.prefixAdvertisements ?? []).map((a) => ({
        cidr: a.cidr,
        communities: a.communities.map((c) => named.get(c) ?? c),
      })),
    },
  };
}

function peersOf(input: ClusterPlanInput, self: Node, asn: number, cfg: EffectiveBgpConfig): PlannedPeer[] {
  const { cluster: s, settings } = input;
  const toPlan = (n: Node): PlanNode => ({
    name: n.metadata.name,
    labels: n.metadata.labels ?? {},
    ipv4Address: nodeBgpAddress(n, 'ipv4'),
    ipv6Address: nodeBgpAddress(n, 'ipv6'),
    asNumber: n.metadata.name === settings.nodeName ? asn : n.spec.bgp?.asNumber,
    routeReflectorClusterId: n.spec.bgp?.routeReflectorClusterId,
  });
  return planPeers(
    toPlan(self),
    s.nodes.map(toPlan),
    s.peers.map((p) => ({ name: p.metadata.name, ...p.spec, ...input.readPassword(p.spec.password) })),
    {
      asNumber: cfg.asNumber,
      nodeToNodeMeshEnabled: cfg.nodeToNodeMeshEnabled,
      gracefulRestartTime: cfg.gracefulRestartTime,
      holdTime: cfg.holdTime,
      keepaliveTime: cfg.keepaliveTime,
      connectRetryTime: cfg.connectRetryTime,
      bfd: cfg.bfd,
    },
    (sel, labels) => selectorMatches(sel, labels),
    input.linkPeer,
  );
}

export function addressPlan(plan: Pick<ClusterPlan, 'announce'>, input: AddressPlanInput): AddressPlan {
  return {
    announcements: desiredAnnouncements({
      pools: plan.announce.pools,
      ownBlocks: [...input.ownBlocks],
      borrowed: [...input.endpointAddresses],
      extraPaths: [...input.extraPaths],
      advertisements: plan.announce.advertisements,
    }),
    blackholes: [...input.ownBlocks],
  };
}
