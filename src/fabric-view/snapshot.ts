// What the picture of a fabric is drawn from: plain data, no I/O. A snapshot is gathered from etcd
// (nodes, blocks, the agents' status records) and, in a lab, the routers' own view of their sessions
// (from-cluster.ts joins them); svg.ts draws it. Keeping the two apart lets the drawing be tested
// with tables and the gathering with real agents.

/** Where a thing sits in the picture, top to bottom: spines, routers (ToRs), reflectors, hosts. */
export type FabricNodeKind = 'spine' | 'router' | 'reflector' | 'host';

/** How fresh a node's agent status is (routers are always 'ok': they have no agent). */
export type FabricNodeHealth = 'ok' | 'stale' | 'no-status';

export interface FabricBlock {
  cidr: string;
  /** Addresses in use, when the owner's agent reported it. */
  inUse?: number;
  size?: number;
  /** A /32 or /128 borrowed from another node's block. */
  borrowed?: boolean;
}

export interface FabricNode {
  /** Unique in the snapshot: a node's name, a router's lab name, or "peer <address>". */
  id: string;
  kind: FabricNodeKind;
  /** What to write in the box's first line. */
  label: string;
  asNumber?: number;
  /** The addresses the node speaks BGP from (or a router's interface addresses). */
  addresses: string[];
  blocks: FabricBlock[];
  health: FabricNodeHealth;
  /** One line saying why health is not ok, or which router software it is. */
  note?: string;
}

/** One side's view of a session. */
export interface SessionView {
  /** The node (id) whose view this is. */
  by: string;
  /** BGP FSM state as that side names it (RFC 4271 §8.2.2: Idle, Connect, Active, OpenSent, OpenConfirm, Established). */
  state: string;
  /** BFD state as that side reports it ("Up", "Down (…)", …); "" or absent when BFD is off. */
  bfd?: string;
  /** Why it is not up (the agent's INFO column). */
  info?: string;
}

export interface FabricSession {
  /** The two ends (node ids), in the order first seen. */
  a: string;
  b: string;
  /** Every view of it: one from each end that reports (an agent, a lab router). */
  views: SessionView[];
}

export interface FabricSnapshot {
  /** A title line (the cluster or lab name). */
  title: string;
  takenAtUnixMs: number;
  nodes: FabricNode[];
  sessions: FabricSession[];
}

/** The colour classes of a session line; the legend lists them in this order. */
export type SessionClass = 'established' | 'connecting' | 'idle' | 'bfd-down';

export const SESSION_CLASSES: readonly SessionClass[] = ['established', 'connecting', 'idle', 'bfd-down'];

/** The states between Idle and Established that mean "trying" (RFC 4271 §8.2.2). */
const CONNECTING = new Set(['connect', 'active', 'opensent', 'openconfirm']);

/** The class of one view: BFD down wins (it holds the session down), then the BGP state. */
export function viewClass(v: SessionView): SessionClass {
  if (v.bfd && !/^up\b/i.test(v.bfd)) return 'bfd-down';
  const s = v.state.toLowerCase();
  if (s === 'established') return 'established';
  if (CONNECTING.has(s)) return 'connecting';
  return 'idle';
}

/** How bad each class is, to pick the one a session line shows when its two ends disagree. */
const BADNESS: Record<SessionClass, number> = { established: 0, connecting: 1, idle: 2, 'bfd-down': 3 };

/** The view a session's line shows: the worst one (a session one side calls down is down). */
export function shownView(s: FabricSession): SessionView {
  let worst = s.views[0] ?? { by: s.a, state: 'Unknown' };
  for (const v of s.views) if (BADNESS[viewClass(v)] > BADNESS[viewClass(worst)]) worst = v;
  return worst;
}

export function sessionClass(s: FabricSession): SessionClass {
  return viewClass(shownView(s));
}
