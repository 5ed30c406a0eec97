// Which of the resources read from etcd the agent applies. Etcd can hold what today's validation
// would refuse (written by an older version, or straight into etcd), and one such resource must not
// stop the rest from applying: each resource is checked on its own, as `apply` would check it, and
// then against the others (a filter that does not exist, two peers for the same session, two
// overlapping pools). A refused resource is left out, or its last valid version stays in force when
// the agent had one, and the reason is kept for `node status` and the metrics.
import {
  type AnyResource,
  type BGPFilter,
  type BGPPeer,
  type IPPool,
  type Kind,
  parseResource,
  peerConflict,
  poolOverlap,
} from '../model/index.js';
import type { ClusterSnapshot } from './cluster-snapshot.js';
import { filterPolicies } from './filters.js';

export interface RejectedResource {
  kind: Kind;
  name: string;
  /** One line, as validation says it. */
  reason: string;
  /** The last version of this resource that was valid is still applied. */
  lastGoodKept: boolean;
}

/** The name of a resource as stored, even a malformed one. */
function nameOf(r: unknown): string {
  const name = (r as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === 'string' && name !== '' ? name : '(no name)';
}
const byName = <T>(list: T[]) => [...list].sort((a, b) => nameOf(a).localeCompare(nameOf(b)));

export class Admission {
  /** The newest valid version of every resource seen, by kind/name, while it exists in etcd. */
  private lastGood = new Map<string, AnyResource>();

  /** The snapshot to apply, and what was refused. */
  admit(raw: ClusterSnapshot): { snapshot: ClusterSnapshot; rejected: RejectedResource[] } {
    const rejected: RejectedResource[] = [];
    const present = new Set<string>();
    const checkEach = <T extends AnyResource>(kind: Kind, list: T[]): T[] => {
      const out: T[] = [];
      for (const r of byName(list)) {
        const name = nameOf(r);
        const key = `${kind}/${name}`;
        present.add(key);
        try {
          const parsed = parseResource(structuredClone(r)) as T;
          if (parsed.kind !== kind) throw new Error(`stored as a ${kind} but its kind is ${parsed.kind}`);
          this.lastGood.set(key, parsed);
          out.push(parsed);
        } catch (err) {
          const good = this.lastGood.get(key) as T | undefined;
          rejected.push({ kind, name, reason: oneLine(err), lastGoodKept: good !== undefined });
          if (good) out.push(good);
        }
      }
      return out;
    };
    /**
     * A resource that passed (or whose last valid version was kept) refused by a check against the
     * others: one entry per resource, so a kept last version that fails too is no longer "kept".
     */
    const refuse = (kind: Kind, name: string, reason: string) => {
      const already = rejected.find((r) => r.kind === kind && r.name === name);
      if (already) already.lastGoodKept = false;
      else rejected.push({ kind, name, reason, lastGoodKept: false });
    };
    const nodes = checkEach('Node', raw.nodes);
    const configs = checkEach('BGPConfiguration', raw.configs);
    const pools = this.pools(checkEach('IPPool', raw.pools), refuse);
    const filters = checkEach('BGPFilter', raw.filters).filter((f) => {
      try {
        filterPolicies(f as BGPFilter);
        return true;
      } catch (err) {
        refuse('BGPFilter', f.metadata.name, oneLine(err));
        return false;
      }
    });
    const filterNames = new Set(filters.map((f) => f.metadata.name));
    const rawFilterNames = new Set(raw.filters.map(nameOf));
    const peers: BGPPeer[] = [];
    for (const p of checkEach('BGPPeer', raw.peers)) {
      const missing = (p.spec.filters ?? []).find((f) => !filterNames.has(f));
      const conflict = missing === undefined ? peerConflict(p, peers, nodes) : undefined;
      if (missing !== undefined) {
        const why = rawFilterNames.has(missing) ? 'is not applied (see its own error)' : 'does not exist';
        refuse('BGPPeer', p.metadata.name, `spec.filters: bgpfilter "${missing}" ${why}`);
      } else if (conflict) refuse('BGPPeer', p.metadata.name, oneLine(conflict));
      else peers.push(p);
    }
    for (const key of this.lastGood.keys()) if (!present.has(key)) this.lastGood.delete(key);
    return { snapshot: { pools, nodes, peers, filters, configs }, rejected };
  }

  /** Pools in name order; one that overlaps an earlier one is refused (etcd should never hold both). */
  private pools(list: IPPool[], refuse: (kind: Kind, name: string, reason: string) => void): IPPool[] {
    const out: IPPool[] = [];
    for (const p of list) {
      const overlap = poolOverlap(p, out);
      if (overlap) refuse('IPPool', p.metadata.name, oneLine(overlap));
      else out.push(p);
    }
    return out;
  }
}

/** The first line of an error, without the `kind "name": ` the status line already shows. */
function oneLine(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  return text.replace(/^[a-z]+ "[^"]*": /, '');
}
