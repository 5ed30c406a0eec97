// Which BGP sessions this node should have, from the cluster's state in etcd: the node-to-node mesh,
// global peers, peers scoped to this node or to a node selector, peers chosen by a peer selector
// (other tsroute nodes by label), and route reflectors by cluster ID. A pure function: the agent
// re-runs it on every change it sees by watch and hands the difference to the speaker.

import { type BfdSettings, DEFAULT_BFD } from '../model/bgp-configuration.js';
import { effectiveNextHopMode } from '../model/bgp-peer.js';
import { type Family, familyOfPrefix } from '../model/cidr.js';

export interface PlanNode {
  name: string;
  labels: Record<string, string>;
  ipv4Address?: string;
  ipv6Address?: string;
  asNumber?: number;
  /** Set on route reflectors: nodes with a cluster ID reflect to those without one. */
  routeReflectorClusterId?: string;
}

export interface PlanPeerResource {
  name: string;
  peerIP?: string;
  /** Unnumbered: the router on this interface, at its link-local address (see link-peers.ts). */
  interface?: string;
  asNumber?: number;
  /** Only this node has the session. */
  node?: string;
  /** Only nodes matching this selector have the session. */
  nodeSelector?: string;
  /** The peers are the tsroute nodes matching this selector (instead of peerIP). */
  peerSelector?: string;
  /** "UseNodeIP" (also when unset), "None" or an address. */
  sourceAddress?: string;
  nextHopMode?: 'auto' | 'self' | 'keep';
  maxPrefix?: number;
  maxPrefixRestartAfter?: number;
  maxPrefixWarningPercent?: number;
  holdTime?: number;
  keepaliveTime?: number;
  connectRetryTime?: number;
  maxRestartTime?: number;
  filters?: string[];
  /** The TCP-MD5 password itself, already read from its file or variable. */
  password?: string;
  /** Why the password could not be read (the session is then held back, never run unsigned). */
  passwordProblem?: string;
  ttlSecurity?: number;
  ebgpMultihop?: number;
  port?: number;
  keepOriginalNextHop?: boolean;
  addPaths?: 'receive' | 'send' | 'both';
  extendedMessages?: boolean;
  bfd?: BfdSettings;
}

export interface PlanConfig {
  asNumber: number;
  nodeToNodeMeshEnabled: boolean;
  keepaliveTime?: number;
  holdTime?: number;
  connectRetryTime?: number;
  gracefulRestartTime?: number;
  /** enabled: BFD on mesh sessions; the intervals: every session's defaults. */
  bfd?: BfdSettings;
}

/** A session's BFD timing (ms), or undefined when BFD is off for it. */
export interface PlannedBfd {
  transmitInterval: number;
  receiveInterval: number;
  detectMultiplier: number;
}

/** The BFD a session runs: its own settings over the BGPConfiguration's, over MetalLB's defaults. */
export function plannedBfd(own: BfdSettings | undefined, config: BfdSettings | undefined): PlannedBfd | undefined {
  if (!own?.enabled) return undefined;
  return {
    transmitInterval: own.transmitInterval ?? config?.transmitInterval ?? DEFAULT_BFD.transmitInterval,
    receiveInterval: own.receiveInterval ?? config?.receiveInterval ?? DEFAULT_BFD.receiveInterval,
    detectMultiplier: own.detectMultiplier ?? config?.detectMultiplier ?? DEFAULT_BFD.detectMultiplier,
  };
}

export type PlannedPeerType = 'mesh' | 'global' | 'node' | 'reflector' | 'client';

export interface PlannedPeer {
  address: string;
  asNumber: number;
  type: PlannedPeerType;
  /** The BGPPeer resource (or "node-mesh") this session comes from, for `node status`. */
  source: string;
  /** The other node's name, when the peer is a tsroute node. */
  peerNode?: string;
  /** We reflect routes to this peer (we are a reflector, it is not). */
  routeReflectorClient: boolean;
  /** Routes from this peer are checked against the pools (it is another node of this cluster). */
  clusterPeer: boolean;
  localAddress?: string;
  nextHopMode: 'auto' | 'self' | 'keep';
  maxPrefix?: number;
  maxPrefixRestartAfter?: number;
  maxPrefixWarningPercent?: number;
  /** Session timers: the BGPPeer's own, else the BGPConfiguration's (seconds). */
  holdTime?: number;
  keepaliveTime?: number;
  connectRetryTime?: number;
  gracefulRestartTime?: number;
  filters: string[];
  password?: string;
  passwordProblem?: string;
  ttlSecurity?: number;
  ebgpMultihop?: number;
  port?: number;
  /** RFC 7911 / RFC 8654, from the BGPPeer (mesh sessions: off). */
  addPaths?: 'receive' | 'send' | 'both';
  extendedMessages?: boolean;
  /** BFD for this session (RFC 5882: its Down takes the session down), or undefined when off. */
  bfd?: PlannedBfd;
}

export type SelectorMatcher = (selector: string, labels: Record<string, string>) => boolean;

function nodeAddress(node: PlanNode, family: Family): string | undefined {
  return family === 'ipv4' ? node.ipv4Address : node.ipv6Address;
}

/**
 * The address a BGPPeer's session is bound to: UseNodeIP (the default) = this node's BGP address of
 * the peer's family (none known: the kernel chooses), None = the kernel chooses, else the address given.
 */
export function sourceAddressFor(sourceAddress: string | undefined, self: PlanNode, peer: string): string | undefined {
  if (sourceAddress === 'None') return undefined;
  // a link-local session runs from our link-local address on that link, whichever the kernel has
  if (peer.includes('%') && (sourceAddress === undefined || sourceAddress === 'UseNodeIP')) return undefined;
  if (sourceAddress === undefined || sourceAddress === 'UseNodeIP') return nodeAddress(self, familyOfPrefix(peer));
  return sourceAddress;
}

/**
 * The sessions `self` should run. One session per peer address: when several sources name the
 * same address, an explicit BGPPeer wins over the mesh, and the first resource by name wins among
 * BGPPeers (the order is made deterministic so every node agrees).
 */
export function planPeers(
  self: PlanNode,
  nodes: PlanNode[],
  peers: PlanPeerResource[],
  config: PlanConfig,
  matches: SelectorMatcher,
  /** Unnumbered peers found so far: interface → the router's link-local address there. */
  linkPeer: (ifname: string) => string | undefined = () => undefined,
): PlannedPeer[] {
  const selfAs = self.asNumber ?? config.asNumber;
  const byAddress = new Map<string, PlannedPeer>();
  const others = nodes.filter((n) => n.name !== self.name).sort((a, b) => a.name.localeCompare(b.name));
  const selfIsReflector = !!self.routeReflectorClusterId;

  const nodePeer = (
    other: PlanNode,
    family: Family,
    base: Omit<PlannedPeer, 'address' | 'asNumber' | 'type' | 'routeReflectorClient' | 'clusterPeer' | 'peerNode'>,
    scopeType: PlannedPeerType,
    reflect: boolean,
  ): PlannedPeer | undefined => {
    const address = nodeAddress(other, family);
    if (!address || !nodeAddress(self, family)) return undefined;
    const otherIsReflector = !!other.routeReflectorClusterId;
    const asNumber = other.asNumber ?? config.asNumber;
    const ibgp = asNumber === selfAs;
    // In a full mesh every node hears every other directly: reflecting as well would only add copies.
    const client = reflect && ibgp && selfIsReflector && !otherIsReflector;
    let type = scopeType;
    if (reflect && ibgp && otherIsReflector && !selfIsReflector) type = 'reflector';
    else if (client) type = 'client';
    return { ...base, address, asNumber, type, routeReflectorClient: client, clusterPeer: true, peerNode: other.name };
  };

  const add = (p: PlannedPeer | undefined) => {
    if (p && !byAddress.has(p.address)) byAddress.set(p.address, p);
  };

  // Explicit peers first: they win over the mesh for the same address.
  for (const r of [...peers].sort((a, b) => a.name.localeCompare(b.name))) {
    let scope: PlannedPeerType = 'global';
    if (r.node !== undefined) {
      if (r.node !== self.name) continue;
      scope = 'node';
    } else if (r.nodeSelector !== undefined) {
      if (!matches(r.nodeSelector, self.labels)) continue;
      scope = 'node';
    }
    const base = {
      source: r.name,
      nextHopMode: effectiveNextHopMode(r),
      maxPrefix: r.maxPrefix,
      maxPrefixRestartAfter: r.maxPrefixRestartAfter,
      maxPrefixWarningPercent: r.maxPrefixWarningPercent,
      holdTime: r.holdTime ?? config.holdTime,
      keepaliveTime: r.keepaliveTime ?? config.keepaliveTime,
      connectRetryTime: r.connectRetryTime ?? config.connectRetryTime,
      gracefulRestartTime: r.maxRestartTime ?? config.gracefulRestartTime,
      filters: r.filters ?? [],
      password: r.password,
      passwordProblem: r.passwordProblem,
      ttlSecurity: r.ttlSecurity,
      ebgpMultihop: r.ebgpMultihop,
      port: r.port,
      addPaths: r.addPaths,
      extendedMessages: r.extendedMessages,
      bfd: plannedBfd(r.bfd, config.bfd),
    };
    const bound = (p: PlannedPeer | undefined) =>
      p && { ...p, localAddress: sourceAddressFor(r.sourceAddress, self, p.address) };
    if (r.peerSelector !== undefined) {
      for (const other of others) {
        if (!matches(r.peerSelector, other.labels)) continue;
        add(bound(nodePeer(other, 'ipv4', base, scope, true)));
        add(bound(nodePeer(other, 'ipv6', base, scope, true)));
      }
      continue;
    }
    // An unnumbered peer has a session once its router was seen on the link: fe80::…%eth1.
    const found = r.interface === undefined ? undefined : linkPeer(r.interface);
    const peerIP = r.peerIP ?? (found && `${found}%${r.interface}`);
    if (!peerIP) continue;
    // A BGPPeer that names one of our own addresses would be a session with ourselves.
    if (peerIP === self.ipv4Address || peerIP === self.ipv6Address) continue;
    const other = others.find((n) => n.ipv4Address === peerIP || n.ipv6Address === peerIP);
    const asNumber = r.asNumber ?? config.asNumber;
    // A reflector serves an iBGP router named by BGPPeer (a BIRD, a ToR in our AS) as a client
    // (RFC 4456 §6), so it learns the cluster's routes through it. Another node is a client only when
    // there is no mesh (in a mesh it hears everyone itself) and it is no reflector.
    const client =
      selfIsReflector &&
      asNumber === selfAs &&
      (other ? !other.routeReflectorClusterId && !config.nodeToNodeMeshEnabled : true);
    add({
      ...base,
      localAddress: sourceAddressFor(r.sourceAddress, self, peerIP),
      address: peerIP,
      asNumber,
      type: client ? 'client' : scope,
      routeReflectorClient: client,
      clusterPeer: other !== undefined,
      peerNode: other?.name,
    });
  }

  if (config.nodeToNodeMeshEnabled) {
    const base = {
      source: 'node-mesh',
      nextHopMode: 'auto' as const,
      holdTime: config.holdTime,
      keepaliveTime: config.keepaliveTime,
      connectRetryTime: config.connectRetryTime,
      gracefulRestartTime: config.gracefulRestartTime,
      filters: [],
      bfd: plannedBfd(config.bfd, config.bfd),
    };
    for (const other of others) {
      add(nodePeer(other, 'ipv4', base, 'mesh', false));
      add(nodePeer(other, 'ipv6', base, 'mesh', false));
    }
  } else {
    // Without the mesh, route reflectors still peer with each other and with their clients in
    // their cluster, as Calico does when reflectors are marked by cluster ID.
    const base = {
      source: 'route-reflection',
      nextHopMode: 'auto' as const,
      holdTime: config.holdTime,
      keepaliveTime: config.keepaliveTime,
      connectRetryTime: config.connectRetryTime,
      gracefulRestartTime: config.gracefulRestartTime,
      filters: [],
    };
    for (const other of others) {
      const otherIsReflector = !!other.routeReflectorClusterId;
      if (!selfIsReflector && !otherIsReflector) continue;
      add(nodePeer(other, 'ipv4', base, 'mesh', true));
      add(nodePeer(other, 'ipv6', base, 'mesh', true));
    }
  }
  return [...byAddress.values()].sort((a, b) => a.address.localeCompare(b.address));
}
