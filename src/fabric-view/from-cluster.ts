// Joins what etcd and the routers say into one FabricSnapshot: every Node resource (and every node
// with a status record) is a box, its blocks from its agent's status (with usage) or else from its
// block affinities; every session an agent reports is a line to the node or router at the far
// address, with the agent's state and BFD state as one view; in a lab, each router's own view of
// its sessions is added to the same lines. Far ends that are no node and no known router become a
// router box, one per BGP identifier (a ToR seen at three interface addresses is one box).
// Pure: the caller does the reading (read-etcd.ts, the lab command).

import type { NodeStatusRecord } from '../datastore/node-status.js';
import { bareAddress } from '../model/index.js';
import type { FabricBlock, FabricNode, FabricSession, FabricSnapshot, SessionView } from './snapshot.js';

/** A heartbeat older than this many of the agent's own intervals is stale (as `tsroute status` says). */
const STALE_INTERVALS = 3;

export interface NodeFact {
  name: string;
  asNumber?: number;
  /** Its BGP addresses from the Node resource (with or without a /len). */
  addresses: string[];
  /** It has a route-reflector cluster ID. */
  reflector: boolean;
}

export interface RouterFact {
  /** The router's name (a lab node's name). */
  name: string;
  /** "FRR", "BIRD", … for the box's note. */
  software?: string;
  asNumber?: number;
  /** Its interface addresses: sessions to these addresses end at this router. */
  addresses: string[];
  /** Its own view of its sessions; absent when it could not be asked. */
  sessions?: { peer: string; peerAs?: number; state: string }[];
  /** Why its sessions could not be read. */
  error?: string;
}

export interface ClusterFacts {
  title: string;
  nowUnixMs: number;
  nodes: NodeFact[];
  statuses: NodeStatusRecord[];
  /** Block affinities (node → block CIDR), for nodes without a status record. */
  affinities: { node: string; cidr: string }[];
  routers?: RouterFact[];
}

function health(s: NodeStatusRecord | undefined, now: number): { health: FabricNode['health']; note?: string } {
  if (!s) return { health: 'no-status', note: 'no agent status' };
  const age = now - s.heartbeatUnixMs;
  if (age > STALE_INTERVALS * s.intervalMs)
    return { health: 'stale', note: `heartbeat ${Math.round(age / 1000)} s ago` };
  return { health: 'ok' };
}

export function fabricSnapshot(f: ClusterFacts): FabricSnapshot {
  const nodes = new Map<string, FabricNode>();
  const owner = new Map<string, string>(); // address → node id
  const statusOf = new Map(f.statuses.map((s) => [s.node, s]));
  const factOf = new Map(f.nodes.map((n) => [n.name, n]));
  const names = [...new Set([...factOf.keys(), ...statusOf.keys()])];

  for (const r of f.routers ?? []) {
    nodes.set(r.name, {
      id: r.name,
      kind: 'router',
      label: r.name,
      asNumber: r.asNumber,
      addresses: r.addresses.map(bareAddress),
      blocks: [],
      health: 'ok',
      note: r.error ? `sessions unknown: ${r.error}` : r.software,
    });
    for (const a of r.addresses) owner.set(bareAddress(a), r.name);
  }
  for (const name of names) {
    const fact = factOf.get(name);
    const status = statusOf.get(name);
    const blocks: FabricBlock[] = status
      ? status.blocks.map((b) => ({ cidr: b.cidr, inUse: b.inUse, size: b.size, borrowed: b.borrowed }))
      : f.affinities.filter((a) => a.node === name).map((a) => ({ cidr: a.cidr }));
    const addresses = (fact?.addresses ?? []).map(bareAddress);
    nodes.set(name, {
      id: name,
      kind: fact?.reflector ? 'reflector' : 'host',
      label: name,
      asNumber: status?.asNumber ?? fact?.asNumber,
      addresses,
      blocks,
      ...health(status, f.nowUnixMs),
    });
    for (const a of addresses) if (!owner.has(a)) owner.set(a, name);
  }

  const sessions = new Map<string, FabricSession>();
  const addView = (a: string, b: string, view: SessionView) => {
    const key = [a, b].sort().join('\u0000');
    const s = sessions.get(key) ?? { a, b, views: [] };
    s.views.push(view);
    sessions.set(key, s);
  };
  /** The box a session to `address` ends at, made when nothing known owns the address. */
  const farEnd = (address: string, routerId: string | undefined, asNumber: number | undefined): string => {
    const known = owner.get(address);
    if (known) return known;
    // one external router per BGP identifier: its sessions from several hosts reach several of its addresses
    const id = routerId && routerId !== '0.0.0.0' ? `router ${routerId}` : `peer ${address}`;
    const seen = nodes.get(id);
    if (seen) {
      if (!seen.addresses.includes(address)) seen.addresses.push(address);
    } else
      nodes.set(id, {
        id,
        kind: 'router',
        label: id,
        asNumber,
        addresses: [address],
        blocks: [],
        health: 'ok',
        note: 'not a tsroute node',
      });
    owner.set(address, id);
    return id;
  };

  for (const name of names) {
    for (const p of statusOf.get(name)?.peers ?? []) {
      const far = farEnd(p.address, p.routerId, p.asNumber);
      addView(name, far, { by: name, state: p.state, bfd: p.bfd || undefined, info: p.lastError || undefined });
    }
  }
  for (const r of f.routers ?? []) {
    for (const s of r.sessions ?? []) {
      const far = farEnd(s.peer, undefined, s.peerAs);
      addView(r.name, far, { by: r.name, state: s.state });
    }
  }
  // a router whose sessions all end at routers sits above the others (a spine)
  for (const n of nodes.values()) {
    if (n.kind !== 'router') continue;
    const ends = [...sessions.values()]
      .filter((s) => s.a === n.id || s.b === n.id)
      .map((s) => nodes.get(s.a === n.id ? s.b : s.a)?.kind);
    if (ends.length > 0 && ends.every((k) => k === 'router' || k === 'spine')) n.kind = 'spine';
  }
  return { title: f.title, takenAtUnixMs: f.nowUnixMs, nodes: [...nodes.values()], sessions: [...sessions.values()] };
}
