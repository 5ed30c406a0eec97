// IPAM's public face for the agent, the CLI and the runtimes. Modelled on Calico's libcalico-go ipam:
// a host allocates from blocks affine to it, claims a new block when those are full, and borrows
// single addresses from other hosts' blocks when the pool has no free block (unless strict affinity).
import type { Datastore, Versioned } from '../datastore/index.js';
import { affinityPrefix, BLOCKS_PREFIX, blockKey, handleKey } from '../datastore/keys.js';
import {
  affinityOf,
  type BlockAffinity,
  cidrContainsAddress,
  enclosingCidr,
  type Family,
  familyName,
  formatCidr,
  type IPAMConfigurationSpec,
  type IPPool,
  type IpamBlock,
  type IpamHandle,
  mustParseCidr,
  parseAddress,
} from '../model/index.js';
import { allocateBatch } from './batch-allocate.js';
import { allocationsOf, inUse, ordinalOf } from './block.js';
import { allocateInBlock, type HandleView, releaseInBlock } from './block-cas.js';
import { checkIpam, type IpamReport, type LeakCheckResult, leakCheck } from './check.js';
import { type ClaimHooks, claimBlock } from './claim-block.js';
import { IpamError, IpamExhaustedError } from './errors.js';
import { NodeQueue } from './node-queue.js';
import { candidateBlocks, poolOfBlock, reservedChecker, type UsablePool, usablePools } from './pools.js';
import {
  addressesOf,
  affinities,
  blocksOf,
  borrowedAddresses,
  lookup,
  nodeBlockUsage,
  routeOwners,
} from './queries.js';
import type {
  AddressInfo,
  AutoAssignRequest,
  AutoAssignResult,
  BlockInfo,
  NodeBlockUsage,
  RouteOwners,
} from './types.js';

export interface IpamOptions {
  /** CAS attempts per block before giving up (default 30). */
  maxRetries?: number;
  /** How long pools, IPAM settings and reservations are reused between calls (default 1000 ms). */
  settingsCacheMs?: number;
  hooks?: ClaimHooks & { afterAllocation?: (addresses: string[]) => Promise<void> };
  random?: () => number;
}

interface Settings {
  pools: IPPool[];
  config: IPAMConfigurationSpec;
  isReserved: (address: string) => boolean;
  at: number;
}

export class Ipam {
  private readonly maxRetries: number;
  private readonly cacheMs: number;
  private settingsCache?: Settings;
  private readonly blockCache = new Map<string, Versioned<IpamBlock>>();
  /** When each cached block was last read or written: a full block seen recently is not re-read. */
  private readonly blockSeenAt = new Map<string, number>();
  private readonly queue: NodeQueue<AutoAssignRequest, AutoAssignResult>;
  /** Releases through this instance run one batch at a time: concurrent ones would fight over the
   * same block's compare-and-swap; those that arrive meanwhile are served together. */
  private readonly releases = new NodeQueue<string, string[]>((handles) => this.releaseHandlesNow(handles));
  private readonly affineCache = new Map<string, string[]>();
  /** Blocks claimed per node and not yet named in a result (see AutoAssignResult.claimedBlocks). */
  private readonly unreportedClaims = new Map<string, Set<string>>();

  constructor(
    readonly datastore: Datastore,
    private readonly options: IpamOptions = {},
  ) {
    this.maxRetries = options.maxRetries ?? 30;
    this.cacheMs = options.settingsCacheMs ?? 1000;
    // 60 a batch: with its handle and one record each (AutoAssignRequest.alsoPut), the batch's
    // transaction stays under etcd's 128 operations.
    this.queue = new NodeQueue((batch) => this.runBatch(batch), 60);
  }

  /** The node's claims no result has named yet; named now. */
  private takeClaims(node: string): string[] {
    const claims = this.unreportedClaims.get(node);
    if (!claims) return [];
    this.unreportedClaims.delete(node);
    return [...claims];
  }

  private noteClaim(node: string, cidr: string): void {
    const claims = this.unreportedClaims.get(node) ?? new Set<string>();
    claims.add(cidr);
    this.unreportedClaims.set(node, claims);
  }

  private rememberBlock(b: Versioned<IpamBlock>): void {
    this.blockCache.set(b.value.cidr, b);
    this.blockSeenAt.set(b.value.cidr, Date.now());
  }

  /**
   * Requests of one node run one after another (no CAS fights with itself); those queued meanwhile
   * are served together in one etcd transaction when they fit in one of the node's blocks.
   */
  private async runBatch(batch: AutoAssignRequest[]): Promise<(AutoAssignResult | Error)[]> {
    if (batch.length > 1) {
      const s = await this.settings();
      const labels = await this.nodeLabels(batch[0]!.node);
      const fast = await allocateBatch({
        kv: this.kv,
        requests: batch,
        pools: s.pools,
        labels,
        isReserved: s.isReserved,
        affine: await this.affineBlocks(batch[0]!.node),
        cache: this.blockCache,
      });
      if (fast) {
        this.rememberBlock(fast.block);
        for (const r of fast.results) await this.options.hooks?.afterAllocation?.([...r.ipv4, ...r.ipv6]);
        // the batch only fills blocks the node already owns; earlier claims go with the first result
        fast.results[0]!.claimedBlocks = this.takeClaims(batch[0]!.node);
        return fast.results;
      }
    }
    const out: (AutoAssignResult | Error)[] = [];
    for (const req of batch) out.push(await this.assignOne(req).catch((err: Error) => err));
    return out;
  }

  private get kv() {
    return this.datastore.kv;
  }

  /**
   * Pools, IPAM settings and reservations, never older than settingsCacheMs (read when they were
   * asked for). While calls keep coming, a call that finds the copy past half its age reads them
   * again in the background, so that the read is not on an allocation's path every second.
   * `fresh`: read etcd even if the cached copy is young (it may predate a pool just created).
   */
  private async settings(fresh = false): Promise<Settings> {
    const c = this.settingsCache;
    const age = c ? Date.now() - c.at : Number.POSITIVE_INFINITY;
    if (!fresh && c && age < this.cacheMs) {
      if (age >= this.cacheMs / 2 && !this.settingsRead) void this.readSettings().catch(() => {});
      return c;
    }
    return this.readSettings();
  }

  private settingsRead?: Promise<Settings>;

  private readSettings(): Promise<Settings> {
    const read = (async () => {
      const asked = Date.now();
      const [pools, config, reservations] = await Promise.all([
        this.datastore.list('IPPool'),
        this.datastore.get('IPAMConfiguration', 'default'),
        this.datastore.list('IPReservation'),
      ]);
      const next: Settings = {
        pools,
        config: { strictAffinity: false, maxBlocksPerHost: 0, ...(config?.spec ?? {}) },
        isReserved: reservedChecker(reservations),
        at: asked,
      };
      // an older read finishing after a newer one is not taken
      if (!this.settingsCache || this.settingsCache.at <= asked) this.settingsCache = next;
      return next;
    })();
    this.settingsRead = read;
    void read
      .finally(() => {
        if (this.settingsRead === read) this.settingsRead = undefined;
      })
      .catch(() => {});
    return read;
  }

  private readonly labelCache = new Map<string, { labels: Record<string, string>; at: number; reading?: boolean }>();

  /** A node's labels (pool node selectors), cached like the settings, read ahead the same way. */
  private async nodeLabels(node: string): Promise<Record<string, string>> {
    const c = this.labelCache.get(node);
    const age = c ? Date.now() - c.at : Number.POSITIVE_INFINITY;
    if (c && age < this.cacheMs) {
      if (age >= this.cacheMs / 2 && !c.reading) {
        c.reading = true;
        void this.readLabels(node)
          .catch(() => {})
          .finally(() => {
            c.reading = false;
          });
      }
      return c.labels;
    }
    return this.readLabels(node);
  }

  private async readLabels(node: string): Promise<Record<string, string>> {
    const asked = Date.now();
    const labels = (await this.datastore.get('Node', node))?.metadata.labels ?? {};
    const c = this.labelCache.get(node);
    if (!c || c.at <= asked) this.labelCache.set(node, { labels, at: asked });
    return labels;
  }

  /** Hands out `num4` IPv4 and `num6` IPv6 addresses to `handle` on `node`; all or nothing. */
  async autoAssign(req: AutoAssignRequest): Promise<AutoAssignResult> {
    return this.queue.run(req.node, req);
  }

  private async assignOne(req: AutoAssignRequest): Promise<AutoAssignResult> {
    // A new endpoint's handle does not exist yet: assume so and let the first transaction's compare
    // correct us (it returns the record when it fails), saving a round trip per allocation.
    const handle: HandleView = { handle: req.handle, current: undefined };
    const result: AutoAssignResult = { ipv4: [], ipv6: [], claimedBlocks: [] };
    // onChosen/alsoPut go with the transaction that takes the whole request: one family only
    const whole = req.num4 && req.num6 ? undefined : result;
    try {
      if (req.num4) result.ipv4 = await this.assignFamily(req, 'ipv4', req.num4, handle, whole);
      if (req.num6) result.ipv6 = await this.assignFamily(req, 'ipv6', req.num6, handle, whole);
    } catch (err) {
      const got = [...result.ipv4, ...result.ipv6];
      if (got.length) await this.releaseAddresses(got.map((address) => ({ address, handle: req.handle })));
      throw err;
    }
    await this.options.hooks?.afterAllocation?.([...result.ipv4, ...result.ipv6]);
    result.claimedBlocks = this.takeClaims(req.node);
    return result;
  }

  /** `whole`: the request is this family alone; its result learns whether `alsoPut` was written. */
  private async assignFamily(
    req: AutoAssignRequest,
    family: Family,
    n: number,
    handle: HandleView,
    whole?: AutoAssignResult,
  ): Promise<string[]> {
    let s = await this.settings();
    const labels = await this.nodeLabels(req.node);
    let pools = usablePools(s.pools, family, labels, req.pools);
    if (!pools.length) {
      // The cached pools may be up to settingsCacheMs old: a pool created (or enabled) just now must
      // not be refused, so look again before saying there is none.
      s = await this.settings(true);
      pools = usablePools(s.pools, family, labels, req.pools);
    }
    if (!pools.length) {
      const disabled = s.pools.filter((p) => p.spec.disabled && req.pools?.includes(p.metadata.name));
      if (disabled.length)
        throw new IpamExhaustedError(
          `ippool ${disabled.map((p) => `"${p.metadata.name}"`).join(', ')} is disabled: no new addresses are handed out from it; enable it with tsroute ippool enable`,
        );
      const which = req.pools?.length ? `pool(s) ${req.pools.join(', ')}` : 'enabled pools';
      throw new IpamExhaustedError(
        `no ${familyName(family)} ${which} for node "${req.node}"; create one with tsroute ippool create`,
      );
    }
    const inPools = (cidr: string) =>
      poolOfBlock(
        pools.map((p) => p.pool),
        cidr,
      ) !== undefined;
    const got: string[] = [];
    const holder = { node: req.node, ...(req.attrs ? { attrs: req.attrs } : {}) };
    const mine = affinityOf(req.node);
    /** `trustFull`: a cached copy that shows the block full is believed, however old. */
    const fill = async (cidr: string, accept: (b: IpamBlock) => boolean, trustFull = false) => {
      const r = await allocateInBlock({
        kv: this.kv,
        cidr,
        cached: this.blockCache.get(cidr),
        cachedIsFresh: trustFull || Date.now() - (this.blockSeenAt.get(cidr) ?? 0) < this.cacheMs,
        n: n - got.length,
        holder,
        handle,
        isReserved: s.isReserved,
        accept,
        maxRetries: this.maxRetries,
        // only a fill that can take the whole request in its one transaction
        ...(whole && got.length === 0 ? { whole: { onChosen: req.onChosen, alsoPut: req.alsoPut } } : {}),
      });
      if (r.block) this.rememberBlock(r.block);
      else this.blockCache.delete(cidr);
      if (whole && r.alsoPutWritten) whole.alsoPutWritten = true;
      got.push(...r.addresses);
    };

    // 1. Blocks this host already owns: first those with room in their cached copies; then the rest
    // (not cached, or full in a copy older than the cache's age: someone may have freed addresses)
    // read again all at once — one round trip however many blocks the host has, where each full
    // block used to be read again one after another on every allocation.
    const own = (await this.affineBlocks(req.node)).filter(inPools);
    for (const cidr of own) {
      if (got.length >= n) break;
      if (this.blockCache.has(cidr)) await fill(cidr, (b) => b.affinity === mine, true);
    }
    const unsure = own.filter(
      (c) => !this.blockCache.has(c) || Date.now() - (this.blockSeenAt.get(c) ?? 0) >= this.cacheMs,
    );
    if (got.length < n && unsure.length) {
      const reads = await this.kv.getMany<IpamBlock>(unsure.map(blockKey));
      for (const [i, b] of reads.entries()) {
        if (b) this.rememberBlock(b);
        else this.blockCache.delete(unsure[i]!);
      }
      for (const cidr of unsure) {
        if (got.length >= n) break;
        const b = this.blockCache.get(cidr);
        if (b && b.value.unallocated.length > 0) await fill(cidr, (x) => x.affinity === mine, true);
      }
    }
    // 2. Claim new blocks while the per-host limit allows.
    while (got.length < n) {
      const owned = (await this.affineBlocks(req.node)).filter((c) => mustParseCidr(c).family === family).length;
      if (s.config.maxBlocksPerHost && owned >= s.config.maxBlocksPerHost) break;
      const cidr = await this.claimFreeBlock(req.node, pools);
      if (!cidr) break;
      req.onClaimed?.(cidr);
      await fill(cidr, (b) => b.affinity === mine);
    }
    // 3. Borrow single addresses from other hosts' blocks.
    if (got.length < n && !s.config.strictAffinity) {
      const blocks = (await this.kv.list<IpamBlock>(BLOCKS_PREFIX)).filter(
        (b) => b.value.affinity !== mine && inPools(b.value.cidr) && b.value.unallocated.length > 0,
      );
      shuffle(blocks, this.options.random);
      for (const b of blocks) {
        if (got.length >= n) break;
        this.rememberBlock(b);
        await fill(b.value.cidr, () => true);
      }
    }
    if (got.length < n) {
      if (got.length) await this.releaseAddresses(got.map((address) => ({ address, handle: req.handle })));
      const why = s.config.strictAffinity ? ' (strict affinity: no borrowing)' : '';
      throw new IpamExhaustedError(
        `no free ${familyName(family)} address for node "${req.node}" in ${pools.map((p) => p.pool.metadata.name).join(', ')}${why}: asked ${n}, found ${got.length}`,
      );
    }
    return got;
  }

  /** Confirmed blocks of `node`, from cache or etcd; a pending affinity whose claim died is left to the
   * next claim of the same block (it finishes it) or to the leak check. */
  private async affineBlocks(node: string, refresh = false): Promise<string[]> {
    const cached = this.affineCache.get(node);
    if (cached && !refresh) return cached;
    const list = (await this.kv.list<BlockAffinity>(affinityPrefix(node)))
      .filter((a) => a.value.state === 'confirmed')
      .map((a) => a.value.cidr);
    this.affineCache.set(node, list);
    return list;
  }

  private async claimFreeBlock(node: string, pools: UsablePool[]): Promise<string | undefined> {
    const taken = new Set(
      (await this.kv.keys(BLOCKS_PREFIX)).map((k) => k.slice(BLOCKS_PREFIX.length).replace(/-(\d+)$/, '/$1')),
    );
    for (const p of pools) {
      for (const cidr of candidateBlocks(p, taken, this.options.random)) {
        const out = await claimBlock(this.kv, node, cidr, this.options.hooks);
        if (out.claimed) {
          this.rememberBlock(out.block);
          this.affineCache.set(node, [...(this.affineCache.get(node) ?? []), cidr]);
          this.noteClaim(node, cidr);
          return cidr;
        }
        taken.add(cidr);
      }
    }
    return undefined;
  }

  /**
   * Claims `address` for `handle` on `node` (a runtime asked for a fixed address). Returns the blocks
   * the node claimed on the way (the address's own block when it was free), as autoAssign does.
   */
  async assignIP(req: {
    handle: string;
    node: string;
    address: string;
    attrs?: Record<string, string>;
  }): Promise<{ claimedBlocks: string[] }> {
    const a = parseAddress(req.address);
    if (!a) throw new IpamError(`"${req.address}" is not an IP address`);
    const s = await this.settings();
    const pool = s.pools.find((p) => cidrContainsAddress(mustParseCidr(p.spec.cidr), a.family, a.value));
    if (!pool) throw new IpamError(`${req.address} is in no IP pool`);
    if (s.isReserved(req.address)) throw new IpamError(`${req.address} is reserved (IPReservation)`);
    const cidr = formatCidr(enclosingCidr(a.family, a.value, pool.spec.blockSize!));
    if (!(await this.kv.get(blockKey(cidr)))) {
      const out = await claimBlock(this.kv, req.node, cidr, this.options.hooks);
      if (out.claimed) this.noteClaim(req.node, cidr);
    }
    this.affineCache.delete(req.node);
    const handle: HandleView = { handle: req.handle, current: await this.kv.get<IpamHandle>(handleKey(req.handle)) };
    const r = await allocateInBlock({
      kv: this.kv,
      cidr,
      n: 1,
      holder: { node: req.node, ...(req.attrs ? { attrs: req.attrs } : {}) },
      handle,
      isReserved: (x) => x !== req.address,
      accept: () => true,
      maxRetries: this.maxRetries,
    });
    this.blockCache.delete(cidr);
    if (r.addresses[0] !== req.address) {
      if (r.addresses.length)
        await this.releaseAddresses(r.addresses.map((address) => ({ address, handle: req.handle })));
      throw new IpamError(`${req.address} is already in use`);
    }
    return { claimedBlocks: this.takeClaims(req.node) };
  }

  /** Frees everything `handle` holds; releasing an unknown handle frees nothing (idempotent). */
  async releaseByHandle(handle: string): Promise<string[]> {
    return this.releases.run('release', handle);
  }

  /**
   * Frees what each handle holds. The handle records are read together and each block is written
   * once for the whole batch (with every handle's count in the same transaction): 200 concurrent
   * deletes were 200 × four etcd round trips one after another (~9 s), now a few per batch.
   */
  private async releaseHandlesNow(handles: string[]): Promise<(string[] | Error)[]> {
    const records = await Promise.all(
      handles.map((h) => this.kv.get<IpamHandle>(handleKey(h)).catch((err: Error) => err)),
    );
    const byBlock = new Map<string, Set<string>>();
    records.forEach((r, i) => {
      if (!r || r instanceof Error) return;
      for (const cidr of Object.keys(r.value.blocks)) {
        const set = byBlock.get(cidr) ?? new Set<string>();
        set.add(handles[i]!);
        byBlock.set(cidr, set);
      }
    });
    const freed = new Map<string, string[]>(handles.map((h) => [h, []]));
    const failed = new Map<string, Error>();
    await Promise.all(
      [...byBlock].map(async ([cidr, set]) => {
        try {
          for (const r of await releaseInBlock(this.kv, cidr, { handles: set }, this.maxRetries))
            freed.get(r.handle)?.push(r.address);
        } catch (err) {
          for (const h of set) failed.set(h, err as Error);
        } finally {
          this.blockCache.delete(cidr);
        }
      }),
    );
    return Promise.all(
      handles.map(async (handle, i) => {
        const h = records[i];
        if (h instanceof Error) return h;
        if (failed.has(handle)) return failed.get(handle)!;
        if (!h) return [];
        const out = freed.get(handle)!;
        try {
          // A handle naming blocks that are gone (pool force-deleted): drop the record.
          const recorded = Object.values(h.value.blocks).reduce((n, c) => n + c, 0);
          const left = out.length < recorded ? await this.kv.get<IpamHandle>(handleKey(handle)) : undefined;
          if (left) {
            const live = await Promise.all(Object.keys(left.value.blocks).map((c) => this.kv.get(blockKey(c))));
            if (live.every((b) => !b))
              await this.kv.txn([{ key: left.key, modRevision: left.modRevision }], [{ delete: left.key }]);
          }
        } catch (err) {
          return err as Error;
        }
        return out;
      }),
    );
  }

  /**
   * Frees addresses. With `handle` (and `seq`) given, an address is only freed if it is still held
   * under that handle (and sequence number): a stale release never frees a re-used address.
   */
  async releaseAddresses(addrs: (string | { address: string; handle?: string; seq?: number })[]): Promise<string[]> {
    const byBlock = new Map<string, Map<string, { handle?: string; seq?: number }>>();
    const blocks = await this.kv.list<IpamBlock>(BLOCKS_PREFIX);
    for (const item of addrs) {
      const x = typeof item === 'string' ? { address: item } : item;
      const b = blocks.find((bl) => ordinalOf(bl.value, x.address) !== undefined);
      if (!b) continue;
      const canonical = allocationsOf(b.value).find((a) => ordinalOf(b.value, x.address) === a.ordinal)?.address;
      if (!canonical) continue;
      const m = byBlock.get(b.value.cidr) ?? new Map();
      m.set(canonical, { handle: x.handle, seq: x.seq });
      byBlock.set(b.value.cidr, m);
    }
    const out: string[] = [];
    for (const [cidr, addresses] of byBlock) {
      out.push(...(await releaseInBlock(this.kv, cidr, { addresses }, this.maxRetries)).map((r) => r.address));
      this.blockCache.delete(cidr);
    }
    return out;
  }

  /** The addresses `handle` holds. */
  addressesOf(handle: string): Promise<string[]> {
    return addressesOf(this.kv, handle);
  }

  /** Affinity records (pending and confirmed) of one node, or of all. */
  affinities(node?: string): Promise<BlockAffinity[]> {
    return affinities(this.kv, node);
  }

  /** Blocks with usage; only `node`'s confirmed blocks when a node is given. */
  async blocksOf(node?: string): Promise<BlockInfo[]> {
    return blocksOf(this.kv, (await this.settings()).pools, node);
  }

  /** `node`'s own blocks and the blocks it borrows from, with their usage (two etcd reads). */
  blockUsage(node: string): Promise<NodeBlockUsage[]> {
    return nodeBlockUsage(this.kv, node);
  }

  /** Addresses `node` holds in blocks that are not its own: the agent announces them as /32 or /128. */
  borrowedAddresses(node: string): Promise<string[]> {
    return borrowedAddresses(this.kv, node);
  }

  /** Every routed block with its node and every borrowed address with its holder (static routing). */
  routeOwners(): Promise<RouteOwners> {
    return routeOwners(this.kv);
  }

  /** Who holds `address`, or undefined if it is free or in no block. */
  async lookup(address: string): Promise<AddressInfo | undefined> {
    return lookup(this.kv, (await this.settings()).pools, address);
  }

  /** Gives back `node`'s blocks that have been empty for at least `graceMs`; returns their CIDRs. */
  async releaseEmptyBlocks(node: string, graceMs: number): Promise<string[]> {
    const out: string[] = [];
    const now = Date.now();
    for (const aff of await this.kv.list<BlockAffinity>(affinityPrefix(node))) {
      const b = await this.kv.get<IpamBlock>(blockKey(aff.value.cidr));
      if (!b || b.value.affinity !== affinityOf(node) || aff.value.state !== 'confirmed') continue;
      if (inUse(b.value) || b.value.emptySince === undefined || now - b.value.emptySince < graceMs) continue;
      const res = await this.kv.txn(
        [
          { key: b.key, modRevision: b.modRevision },
          { key: aff.key, modRevision: aff.modRevision },
        ],
        [{ delete: b.key }, { delete: aff.key }],
      );
      if (res.succeeded) {
        out.push(aff.value.cidr);
        this.unreportedClaims.get(node)?.delete(aff.value.cidr);
      }
      this.blockCache.delete(aff.value.cidr);
    }
    if (out.length) this.affineCache.delete(node);
    return out;
  }

  /** Usage per pool and block, problems (half-done claims, mismatches) and leaked addresses. */
  async check(): Promise<IpamReport> {
    return checkIpam(this.datastore, this);
  }

  /**
   * Observes leaks; with `release`, frees those seen twice with the same holder at least `graceMs`
   * apart, and undoes claims pending longer than `graceMs`. Live addresses are never touched.
   */
  async leakCheck(opts: { graceMs?: number; release?: boolean } = {}): Promise<LeakCheckResult> {
    return leakCheck(this.datastore, this, { graceMs: opts.graceMs ?? 60_000, release: opts.release ?? true });
  }

  /** Forgets cached blocks, affinities and settings (after someone else changed them). */
  invalidate(): void {
    this.blockCache.clear();
    this.affineCache.clear();
    this.settingsCache = undefined;
  }
}

function shuffle<T>(xs: T[], random: () => number = Math.random): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}
