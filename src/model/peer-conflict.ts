// Two BGPPeers that name the same router for the same node would be one session configured twice,
// with the agent silently picking one. A new or changed peer that would do that is refused instead.
import type { BGPPeer } from './bgp-peer.js';
import type { Node } from './node.js';
import { selectorMatches } from './selector.js';

type Scope = { all: true } | { node: string } | { selector: string };

function scopeOf(p: BGPPeer): Scope {
  if (p.spec.node !== undefined) return { node: p.spec.node };
  if (p.spec.nodeSelector !== undefined) return { selector: p.spec.nodeSelector };
  return { all: true };
}

function describe(s: Scope): string {
  if ('all' in s) return 'every node';
  if ('node' in s) return `node "${s.node}"`;
  return `nodes matching "${s.selector}"`;
}

function inScope(s: Scope, node: Node): boolean {
  if ('all' in s) return true;
  if ('node' in s) return s.node === node.metadata.name;
  return selectorMatches(s.selector, node.metadata.labels ?? {});
}

/**
 * Whether two scopes can put a session on the same node. Node names and selectors are compared
 * with the nodes that exist now: two selectors overlap when one node matches both.
 */
function overlap(a: Scope, b: Scope, nodes: Node[]): boolean {
  if ('all' in a || 'all' in b) return true;
  if ('node' in a && 'node' in b) return a.node === b.node;
  if ('selector' in a && 'selector' in b && a.selector === b.selector) return true;
  return nodes.some((n) => inScope(a, n) && inScope(b, n));
}

/** The one-line refusal when `peer` duplicates another peer's address and scope, or undefined. */
export function peerConflict(peer: BGPPeer, others: BGPPeer[], nodes: Node[]): string | undefined {
  // An unnumbered peer is named by its interface: two on one interface of one node are one session.
  const target = (p: BGPPeer) => p.spec.peerIP ?? (p.spec.interface && `the router on ${p.spec.interface}`);
  const mine = scopeOf(peer);
  const what = target(peer);
  if (!what) return undefined;
  for (const other of others) {
    if (other.metadata.name === peer.metadata.name || target(other) !== what) continue;
    const theirs = scopeOf(other);
    if (!overlap(mine, theirs, nodes)) continue;
    return `bgppeer "${peer.metadata.name}": bgppeer "${other.metadata.name}" already peers with ${what} for ${describe(theirs)} (this one: ${describe(mine)}); change that peer, or scope this one to other nodes`;
  }
  return undefined;
}
