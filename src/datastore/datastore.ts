// Typed resources over etcd: get/list/create/update (compare-and-swap on the mod revision)/delete/watch,
// with the rules that need more than one resource (pool overlap, frozen fields, pool in use).
// Each change is one etcd transaction: it happens whole or not at all.
import {
  type AnyResource,
  type BGPConfiguration,
  type BGPConfigurationSpec,
  type BGPPeer,
  cidrsOverlap,
  DEFAULT_BGP_CONFIGURATION,
  type IPPool,
  type IpamBlock,
  KINDS,
  type Kind,
  type KindMap,
  mustParseCidr,
  parseResource,
  peerConflict,
  poolOverlap,
} from '../model/index.js';
import { type BetweenChunks, type GuardedWrite, writeAllOrNothing } from './chunked-txn.js';
import type { EtcdOptions } from './connect.js';
import { AlreadyExistsError, ConflictError, NotFoundError, RefusedError } from './errors.js';
import { AFFINITY_PREFIX, BLOCKS_PREFIX, PREFIX, resourceKey, resourcePrefix } from './keys.js';
import { type Compare, Kv, type Op, type WatchEvent } from './kv.js';

// Every pool write also bumps this key and compares it, so two concurrent creates of overlapping
// pools cannot both pass the overlap check.
const POOLS_GUARD = `${PREFIX}meta/ippools-guard`;

const pause = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)));

const label = (r: { kind: string; metadata: { name: string } }) => `${r.kind.toLowerCase()} "${r.metadata.name}"`;

function stored<R extends AnyResource>(r: R): R {
  const copy = structuredClone(r);
  delete copy.metadata.resourceVersion;
  return copy;
}

function withVersion<R extends AnyResource>(value: R, modRevision: number): R {
  // A malformed value stored by hand has no metadata to carry the version; it is returned as it is
  // for validation to refuse.
  const meta = (value as { metadata?: unknown } | null)?.metadata;
  if (typeof meta === 'object' && meta !== null) value.metadata.resourceVersion = String(modRevision);
  return value;
}

export interface DeleteResult {
  deleted: AnyResource;
  warnings: string[];
}

export type ResourceEvent = { type: 'put'; resource: AnyResource } | { type: 'delete'; kind: Kind; name: string };

export class Datastore {
  readonly kv: Kv;

  constructor(options: EtcdOptions | Kv) {
    this.kv = options instanceof Kv ? options : new Kv(options);
  }

  close(): void {
    this.kv.close();
  }

  async get<K extends Kind>(kind: K, name: string): Promise<KindMap[K] | undefined> {
    const v = await this.kv.get<KindMap[K]>(resourceKey(kind, name));
    return v ? withVersion(v.value, v.modRevision) : undefined;
  }

  /** Like get, but a missing resource is a NotFoundError naming it. */
  async mustGet<K extends Kind>(kind: K, name: string): Promise<KindMap[K]> {
    const r = await this.get(kind, name);
    if (!r) throw new NotFoundError(`${kind.toLowerCase()} "${name}" not found`);
    return r;
  }

  async list<K extends Kind>(kind: K): Promise<KindMap[K][]> {
    const all = await this.kv.list<KindMap[K]>(resourcePrefix(kind));
    return all.map((v) => withVersion(v.value, v.modRevision));
  }

  /** Creates `input` (validated and defaulted first); an existing name is an AlreadyExistsError. */
  async create<R extends AnyResource>(input: R): Promise<R> {
    const r = parseResource(input) as R;
    r.metadata.creationTimestamp = new Date().toISOString();
    if (r.kind === 'BGPPeer') await this.peerGuard([r]);
    const key = resourceKey(r.kind, r.metadata.name);
    // Pool writes serialize on the guard key; losing that race to an unrelated pool is retried.
    for (let attempt = 0; ; attempt++) {
      const compares: Compare[] = [{ key, modRevision: 0 }];
      const ops: Op[] = [{ put: key, value: stored(r) }];
      if (r.kind === 'IPPool') await this.poolGuard(r, compares, ops);
      const res = await this.kv.txn(compares, ops);
      if (res.succeeded) return withVersion(r, res.revision);
      if (await this.kv.get(key)) throw new AlreadyExistsError(`${label(r)} already exists`);
      if (attempt >= 8) throw new ConflictError(`${label(r)}: other changes kept racing this one; try again`);
      await pause(attempt);
    }
  }

  /**
   * The key and value `create` would write for `input` (validated and defaulted first), for a caller
   * that writes it in a transaction of its own: IPAM records an endpoint with its addresses, both or
   * neither. Written unconditionally (a record left by a crashed run is replaced); kinds whose writes
   * are checked against other resources (pools, peers) are refused here.
   */
  createPut<R extends AnyResource>(input: R): { key: string; value: R } {
    const r = parseResource(input) as R;
    if (r.kind === 'IPPool' || r.kind === 'BGPPeer')
      throw new Error(`a ${r.kind} is written with its checks: use create`);
    r.metadata.creationTimestamp = new Date().toISOString();
    return { key: resourceKey(r.kind, r.metadata.name), value: stored(r) };
  }

  /**
   * Replaces an existing resource. With metadata.resourceVersion the write only happens if nobody
   * changed it since that read (else ConflictError); without, it is checked against the current one.
   */
  async update<R extends AnyResource>(input: R): Promise<R> {
    const r = parseResource(input) as R;
    const key = resourceKey(r.kind, r.metadata.name);
    const current = await this.kv.get<R>(key);
    if (!current) throw new NotFoundError(`${label(r)} not found`);
    const expected = r.metadata.resourceVersion ? Number(r.metadata.resourceVersion) : current.modRevision;
    if (expected !== current.modRevision) {
      throw new ConflictError(
        `${label(r)} was changed since it was read (version ${expected}, now ${current.modRevision}); read it again`,
      );
    }
    this.checkImmutable(current.value, r);
    if (r.kind === 'BGPPeer') await this.peerGuard([r]);
    r.metadata.creationTimestamp = current.value.metadata.creationTimestamp;
    for (let attempt = 0; ; attempt++) {
      const compares: Compare[] = [{ key, modRevision: expected }];
      const ops: Op[] = [{ put: key, value: stored(r) }];
      if (r.kind === 'IPPool') await this.poolGuard(r, compares, ops);
      const res = await this.kv.txn(compares, ops);
      if (res.succeeded) return withVersion(r, res.revision);
      const now = await this.kv.get(key);
      if (r.kind !== 'IPPool' || now?.modRevision !== expected || attempt >= 8) {
        throw new ConflictError(`${label(r)} was changed by someone else meanwhile; read it again`);
      }
      await pause(attempt);
    }
  }

  /** Create, or update when it exists (the `apply` verb). */
  async apply<R extends AnyResource>(input: R): Promise<{ resource: R; created: boolean }> {
    const exists = await this.kv.get(resourceKey(input.kind as Kind, String(input.metadata?.name)));
    if (!exists) return { resource: await this.create(input), created: true };
    const copy = structuredClone(input);
    delete copy.metadata.resourceVersion;
    return { resource: await this.update(copy), created: false };
  }

  /**
   * Creates or updates several resources, all or none (a multi-document `apply -f`, any size). Every
   * rule is checked against the store as it will be (pools in the batch must not overlap each other
   * or the rest) before anything is written; a batch larger than one etcd transaction is written in
   * chunks guarded by the revisions that check saw, and rolled back if a chunk loses a race
   * (chunked-txn.ts). `between` is a test seam run between chunks.
   */
  async applyAll(
    inputs: AnyResource[],
    between?: BetweenChunks,
  ): Promise<{ resource: AnyResource; created: boolean }[]> {
    const resources = inputs.map((i) => parseResource(i));
    const seen = new Set<string>();
    for (const r of resources) {
      const key = resourceKey(r.kind, r.metadata.name);
      if (seen.has(key)) throw new RefusedError(`${label(r)} appears twice`);
      seen.add(key);
    }
    const peers = resources.filter((r): r is BGPPeer => r.kind === 'BGPPeer');
    if (peers.length) await this.peerGuard(peers);
    for (let attempt = 0; ; attempt++) {
      const guard = await this.kv.get(POOLS_GUARD);
      const current = await this.kv.getMany<AnyResource>(resources.map((r) => resourceKey(r.kind, r.metadata.name)));
      const writes: GuardedWrite[] = [];
      const out = resources.map((input, i) => {
        const r = structuredClone(input);
        const was = current[i];
        if (was) this.checkImmutable(was.value, r);
        r.metadata.creationTimestamp = was?.value.metadata.creationTimestamp ?? new Date().toISOString();
        delete r.metadata.resourceVersion;
        const key = resourceKey(r.kind, r.metadata.name);
        writes.push({
          compare: { key, modRevision: was?.modRevision ?? 0 },
          op: { put: key, value: stored(r) },
          previous: was?.value,
        });
        return { resource: r, created: !was };
      });
      const pools = out.map((o) => o.resource).filter((r): r is IPPool => r.kind === 'IPPool');
      if (pools.length) {
        const names = new Set(pools.map((p) => p.metadata.name));
        const after = [...(await this.list('IPPool')).filter((p) => !names.has(p.metadata.name)), ...pools];
        for (const p of pools) {
          const overlap = poolOverlap(p, after);
          if (overlap) throw new RefusedError(overlap);
        }
        // first, so that the first chunk already holds off a concurrent overlapping pool
        writes.unshift({
          compare: { key: POOLS_GUARD, modRevision: guard?.modRevision ?? 0 },
          op: { put: POOLS_GUARD, value: { at: Date.now() } },
          previous: 'keep',
        });
      }
      const res = await writeAllOrNothing(this.kv, writes, between);
      if (res.succeeded) {
        const revisions = res.revisions.slice(pools.length ? 1 : 0);
        return out.map((o, i) => ({ ...o, resource: withVersion(o.resource, revisions[i]!) }));
      }
      if (attempt >= 8) throw new ConflictError('other changes kept racing this apply; try again');
      await pause(attempt);
    }
  }

  /**
   * Deletes a resource. A pool with addresses in use is refused unless `force`, which also removes its
   * blocks and affinities (in the same transaction) and says so in `warnings`. A BGPFilter that a
   * BGPPeer names is refused, force or not: the peer would silently lose its filtering.
   */
  async delete(
    kind: Kind,
    name: string,
    opts: { force?: boolean; resourceVersion?: string } = {},
  ): Promise<DeleteResult> {
    const key = resourceKey(kind, name);
    const current = await this.kv.get<AnyResource>(key);
    if (!current) throw new NotFoundError(`${kind.toLowerCase()} "${name}" not found`);
    const expected = opts.resourceVersion ? Number(opts.resourceVersion) : current.modRevision;
    const compares: Compare[] = [{ key, modRevision: expected }];
    const ops: Op[] = [{ delete: key }];
    const warnings: string[] = [];
    if (kind === 'BGPFilter') {
      const peers = await this.kv.list<BGPPeer>(resourcePrefix('BGPPeer'));
      const users = peers.filter((p) => p.value.spec.filters?.includes(name)).map((p) => p.value.metadata.name);
      if (users.length) {
        const list = users.map((u) => `"${u}"`).join(', ');
        throw new RefusedError(
          `bgpfilter "${name}" is used by bgppeer ${list}; remove it from their spec.filters first`,
        );
      }
      // A peer changed meanwhile (say, to name this filter) fails the transaction; the caller retries.
      for (const p of peers) compares.push({ key: p.key, modRevision: p.modRevision });
    }
    if (kind === 'IPPool') {
      const pool = current.value as IPPool;
      const cidr = mustParseCidr(pool.spec.cidr);
      const blocks = (await this.kv.list<IpamBlock>(BLOCKS_PREFIX)).filter((b) =>
        cidrsOverlap(cidr, mustParseCidr(b.value.cidr)),
      );
      const inUse = blocks.reduce((n, b) => n + Object.keys(b.value.allocations).length, 0);
      if (inUse && !opts.force) {
        throw new RefusedError(
          `ippool "${name}" has ${inUse} address(es) in use; disable it (tsroute ippool disable ${name}) and release them, or delete with --force`,
        );
      }
      if (inUse)
        warnings.push(`ippool "${name}": ${inUse} address(es) still in use were dropped with the pool's blocks`);
      for (const b of blocks) {
        compares.push({ key: b.key, modRevision: b.modRevision });
        ops.push({ delete: b.key });
      }
      const blockNames = new Set(blocks.map((b) => b.value.cidr));
      for (const a of await this.kv.list<{ cidr: string }>(AFFINITY_PREFIX)) {
        if (blockNames.has(a.value.cidr)) ops.push({ delete: a.key });
      }
      const guard = await this.kv.get(POOLS_GUARD);
      compares.push({ key: POOLS_GUARD, modRevision: guard?.modRevision ?? 0 });
      ops.push({ put: POOLS_GUARD, value: { at: Date.now() } });
    }
    const res = await this.kv.txn(compares, ops);
    if (!res.succeeded) throw new ConflictError(`${kind.toLowerCase()} "${name}" changed while deleting it; try again`);
    return { deleted: withVersion(current.value, current.modRevision), warnings };
  }

  /**
   * The BGP configuration a node runs with: defaults, then "default", then "node.<name>", and the
   * AS of the node's own Node resource above all (as the agent does; its --as flag is not in etcd).
   */
  async effectiveBgpConfiguration(node?: string): Promise<BGPConfigurationSpec & typeof DEFAULT_BGP_CONFIGURATION> {
    const global = await this.get('BGPConfiguration', 'default');
    const own: BGPConfiguration | undefined = node ? await this.get('BGPConfiguration', `node.${node}`) : undefined;
    const nodeAs = node ? (await this.get('Node', node))?.spec.bgp?.asNumber : undefined;
    return {
      ...DEFAULT_BGP_CONFIGURATION,
      ...(global?.spec ?? {}),
      ...(own?.spec ?? {}),
      ...(nodeAs !== undefined ? { asNumber: nodeAs } : {}),
    };
  }

  /** The resources of a kind and the revision they were read at (pass `revision + 1` to watch). */
  async listAt<K extends Kind>(kind: K): Promise<{ items: KindMap[K][]; revision: number }> {
    const r = await this.kv.listAt<KindMap[K]>(resourcePrefix(kind));
    return { items: r.items.map((v) => withVersion(v.value, v.modRevision)), revision: r.revision };
  }

  /** Watches one kind, several (one watch each, over the client's one stream), or every resource kind,
   * from now or from `fromRevision`; returns the stop function. List with `listAt`, then watch from
   * its revision + 1, and no change falls in between. */
  async watch(
    kind: Kind | Kind[] | 'all',
    onEvent: (e: ResourceEvent) => void,
    fromRevision?: number,
  ): Promise<() => Promise<void>> {
    if (Array.isArray(kind)) {
      const stops: (() => Promise<void>)[] = [];
      try {
        for (const k of kind) stops.push(await this.watch(k, onEvent, fromRevision));
      } catch (err) {
        await Promise.all(stops.map((stop) => stop().catch(() => {})));
        throw err;
      }
      return async () => {
        await Promise.all(stops.map((stop) => stop()));
      };
    }
    const prefix = kind === 'all' ? PREFIX : resourcePrefix(kind);
    const byPlural = new Map(Object.values(KINDS).map((k) => [k.plural, k.kind]));
    return this.kv.watch<AnyResource>(
      prefix,
      (e: WatchEvent<AnyResource>) => {
        if (e.type === 'put') {
          if (!e.entry.key.startsWith(PREFIX) || !byPlural.has(e.entry.key.slice(PREFIX.length).split('/')[0]!)) return;
          onEvent({ type: 'put', resource: withVersion(e.entry.value, e.entry.modRevision) });
        } else {
          const [plural, ...rest] = e.key.slice(PREFIX.length).split('/');
          const k = byPlural.get(plural!);
          if (k) onEvent({ type: 'delete', kind: k, name: rest.join('/') });
        }
      },
      fromRevision,
    );
  }

  private checkImmutable(before: AnyResource, after: AnyResource): void {
    const spec = (r: AnyResource) => r.spec as unknown as Record<string, unknown>;
    for (const field of KINDS[after.kind].immutable) {
      const was = spec(before)[field];
      if (was !== undefined && JSON.stringify(was) !== JSON.stringify(spec(after)[field])) {
        throw new RefusedError(
          `${label(after)}: spec.${field} cannot change once set (it is ${JSON.stringify(was)}); create a new ${after.kind.toLowerCase()} instead`,
        );
      }
    }
  }

  /**
   * Refuses peers that would duplicate another peer's address on the same nodes, among `peers`
   * and the stored ones they do not replace. (Two racing writers can still both pass; the agent
   * then keeps the first by name, deterministically on every node.)
   */
  private async peerGuard(peers: BGPPeer[]): Promise<void> {
    const names = new Set(peers.map((p) => p.metadata.name));
    const [stored, nodes] = await Promise.all([this.list('BGPPeer'), this.list('Node')]);
    const all = [...stored.filter((p) => !names.has(p.metadata.name)), ...peers];
    for (const p of peers) {
      const conflict = peerConflict(p, all, nodes);
      if (conflict) throw new RefusedError(conflict);
    }
  }

  private async poolGuard(pool: IPPool, compares: Compare[], ops: Op[]): Promise<void> {
    const guard = await this.kv.get(POOLS_GUARD);
    const others = await this.list('IPPool');
    const overlap = poolOverlap(pool, others);
    if (overlap) throw new RefusedError(overlap);
    compares.push({ key: POOLS_GUARD, modRevision: guard?.modRevision ?? 0 });
    ops.push({ put: POOLS_GUARD, value: { at: Date.now() } });
  }
}
