// The IPAM check and leak check, with no Kubernetes to ask: WorkloadEndpoint records and Node
// resources are the truth. An address is leaked when its node is gone, or when no endpoint names its
// handle nor lists it. A leak is released only when seen twice, with the same holder (handle and
// sequence number), at least a grace period apart — an endpoint being created right now is never hit.
import type { Datastore } from '../datastore/index.js';
import {
  AFFINITY_PREFIX,
  affinityKey,
  BLOCKS_PREFIX,
  blockKey,
  HANDLES_PREFIX,
  LEAKS_PREFIX,
  leakKey,
} from '../datastore/keys.js';
import {
  type BlockAffinity,
  cidrSize,
  type IPPool,
  type IpamBlock,
  type IpamHandle,
  type LeakObservation,
  mustParseCidr,
  nodeOfAffinity,
} from '../model/index.js';
import { allocationsOf, inUse } from './block.js';
import { poolOfBlock } from './pools.js';
import type { BlockInfo } from './types.js';

/** What the check needs of the Ipam instance; passed in so check.ts and ipam.ts do not import each other. */
export interface IpamAccess {
  blocksOf(): Promise<BlockInfo[]>;
  releaseAddresses(addrs: { address: string; handle: string; seq: number }[]): Promise<string[]>;
}

export type IpamProblem =
  | { kind: 'pending-affinity'; node: string; block: string; blockExists: boolean; ageMs: number; message: string }
  | { kind: 'affinity-without-block'; node: string; block: string; message: string }
  | { kind: 'block-without-affinity'; block: string; owner: string; message: string }
  | { kind: 'block-of-missing-node'; block: string; owner: string; inUse: number; message: string }
  | { kind: 'block-outside-pools'; block: string; message: string }
  | { kind: 'handle-mismatch'; handle: string; block: string; recorded: number; actual: number; message: string };

export interface LeakedAddress {
  address: string;
  block: string;
  handle: string;
  seq: number;
  node: string;
  reason: 'no-endpoint' | 'node-gone';
}

export interface PoolUsage {
  name: string;
  cidr: string;
  disabled: boolean;
  blocks: number;
  /** Addresses in the pool (all of it, not only claimed blocks). */
  total: string;
  inUse: number;
}

export interface IpamReport {
  checkedAt: string;
  pools: PoolUsage[];
  blocks: BlockInfo[];
  inUse: number;
  problems: IpamProblem[];
  leaks: LeakedAddress[];
}

function poolUsage(pools: IPPool[], blocks: IpamBlock[]): PoolUsage[] {
  return pools.map((p) => {
    const mine = blocks.filter((b) => poolOfBlock([p], b.cidr));
    return {
      name: p.metadata.name,
      cidr: p.spec.cidr,
      disabled: !!p.spec.disabled,
      blocks: mine.length,
      total: String(cidrSize(mustParseCidr(p.spec.cidr))),
      inUse: mine.reduce((n, b) => n + inUse(b), 0),
    };
  });
}

export async function checkIpam(ds: Datastore, ipam: IpamAccess, now = Date.now()): Promise<IpamReport> {
  const kv = ds.kv;
  const [blocks, affs, handles, nodes, weps, pools] = await Promise.all([
    kv.list<IpamBlock>(BLOCKS_PREFIX),
    kv.list<BlockAffinity>(AFFINITY_PREFIX),
    kv.list<IpamHandle>(HANDLES_PREFIX),
    ds.list('Node'),
    ds.list('WorkloadEndpoint'),
    ds.list('IPPool'),
  ]);
  const nodeNames = new Set(nodes.map((n) => n.metadata.name));
  const wepHandles = new Set(weps.map((w) => w.spec.ipamHandle).filter(Boolean));
  const wepAddresses = new Set(weps.flatMap((w) => w.spec.addresses ?? []));
  const blockByCidr = new Map(blocks.map((b) => [b.value.cidr, b.value]));
  const affByKey = new Map(affs.map((a) => [`${a.value.node} ${a.value.cidr}`, a.value]));
  const problems: IpamProblem[] = [];
  const leaks: LeakedAddress[] = [];

  for (const { value: a } of affs) {
    const b = blockByCidr.get(a.cidr);
    if (a.state === 'pending') {
      const ageMs = now - a.createdAt;
      problems.push({
        kind: 'pending-affinity',
        node: a.node,
        block: a.cidr,
        blockExists: !!b && nodeOfAffinity(b.affinity) === a.node,
        ageMs,
        message: `block ${a.cidr}: claim by node "${a.node}" never confirmed (pending ${Math.round(ageMs / 1000)}s, block ${b ? 'created' : 'not created'})`,
      });
    } else if (!b || nodeOfAffinity(b.affinity) !== a.node) {
      problems.push({
        kind: 'affinity-without-block',
        node: a.node,
        block: a.cidr,
        message: `node "${a.node}" has a confirmed affinity to block ${a.cidr} but does not own such a block`,
      });
    }
  }
  const counts = new Map<string, number>();
  for (const b of blocks.map((x) => x.value)) {
    const owner = nodeOfAffinity(b.affinity);
    if (owner && !affByKey.has(`${owner} ${b.cidr}`)) {
      problems.push({
        kind: 'block-without-affinity',
        block: b.cidr,
        owner,
        message: `block ${b.cidr} names owner "${owner}" but that node has no affinity record for it`,
      });
    }
    if (owner && !nodeNames.has(owner)) {
      problems.push({
        kind: 'block-of-missing-node',
        block: b.cidr,
        owner,
        inUse: inUse(b),
        message: `block ${b.cidr} belongs to node "${owner}", which does not exist`,
      });
    }
    if (!poolOfBlock(pools, b.cidr)) {
      problems.push({ kind: 'block-outside-pools', block: b.cidr, message: `block ${b.cidr} is in no IP pool` });
    }
    for (const { address, allocation: a } of allocationsOf(b)) {
      counts.set(`${a.handle} ${b.cidr}`, (counts.get(`${a.handle} ${b.cidr}`) ?? 0) + 1);
      const reason = !nodeNames.has(a.node)
        ? 'node-gone'
        : wepHandles.has(a.handle) || wepAddresses.has(address)
          ? undefined
          : 'no-endpoint';
      if (reason) leaks.push({ address, block: b.cidr, handle: a.handle, seq: a.seq, node: a.node, reason });
    }
  }
  const recorded = new Map<string, number>();
  for (const { value: h } of handles)
    for (const [cidr, n] of Object.entries(h.blocks)) recorded.set(`${h.handle} ${cidr}`, n);
  for (const key of new Set([...counts.keys(), ...recorded.keys()])) {
    const [handle, block] = key.split(' ') as [string, string];
    const actual = counts.get(key) ?? 0;
    const rec = recorded.get(key) ?? 0;
    if (actual !== rec && blockByCidr.has(block)) {
      problems.push({
        kind: 'handle-mismatch',
        handle,
        block,
        recorded: rec,
        actual,
        message: `handle "${handle}" records ${rec} address(es) in block ${block} but holds ${actual}`,
      });
    }
  }
  const all = blocks.map((b) => b.value);
  return {
    checkedAt: new Date(now).toISOString(),
    pools: poolUsage(pools, all),
    blocks: await ipam.blocksOf(),
    inUse: all.reduce((n, b) => n + inUse(b), 0),
    problems,
    leaks: leaks.sort((x, y) => x.address.localeCompare(y.address)),
  };
}

export interface LeakCheckResult {
  report: IpamReport;
  /** Leaks seen for the first time (or with a new holder): observed, not touched. */
  firstSeen: LeakedAddress[];
  /** Leaks seen before but within the grace period: still waiting. */
  waiting: LeakedAddress[];
  released: string[];
  /** Pending affinities and abandoned empty blocks cleaned up ("node block" strings). */
  cleaned: string[];
}

export async function leakCheck(
  ds: Datastore,
  ipam: IpamAccess,
  opts: { graceMs: number; release: boolean },
): Promise<LeakCheckResult> {
  const kv = ds.kv;
  const now = Date.now();
  const report = await checkIpam(ds, ipam, now);
  const seen = new Map((await kv.list<LeakObservation>(LEAKS_PREFIX)).map((o) => [o.value.address, o]));
  const out: LeakCheckResult = { report, firstSeen: [], waiting: [], released: [], cleaned: [] };
  for (const leak of report.leaks) {
    const obs = seen.get(leak.address);
    seen.delete(leak.address);
    if (obs && obs.value.handle === leak.handle && obs.value.seq === leak.seq) {
      if (now - obs.value.firstSeen >= opts.graceMs && opts.release) {
        const freed = await ipam.releaseAddresses([{ address: leak.address, handle: leak.handle, seq: leak.seq }]);
        out.released.push(...freed);
        await kv.txn([{ key: obs.key, modRevision: obs.modRevision }], [{ delete: obs.key }]);
      } else out.waiting.push(leak);
      continue;
    }
    const value: LeakObservation = { address: leak.address, handle: leak.handle, seq: leak.seq, firstSeen: now };
    await kv.txn([], [{ put: leakKey(leak.address), value }]);
    out.firstSeen.push(leak);
  }
  // Observations of addresses that are no longer leaked (an endpoint appeared, or it was released).
  for (const obs of seen.values())
    await kv.txn([{ key: obs.key, modRevision: obs.modRevision }], [{ delete: obs.key }]);
  if (opts.release) out.cleaned = await cleanClaims(ds, report, opts.graceMs);
  return out;
}

/** Undoes claims that died half-way and drops empty blocks of nodes that are gone. */
async function cleanClaims(ds: Datastore, report: IpamReport, graceMs: number): Promise<string[]> {
  const kv = ds.kv;
  const cleaned: string[] = [];
  for (const p of report.problems) {
    if (p.kind === 'pending-affinity' && p.ageMs >= graceMs) {
      const aff = await kv.get<BlockAffinity>(affinityKey(p.node, p.block));
      const block = await kv.get<IpamBlock>(blockKey(p.block));
      if (aff?.value.state !== 'pending') continue;
      const ours = block && nodeOfAffinity(block.value.affinity) === p.node;
      if (ours && inUse(block.value)) continue; // someone borrowed meanwhile: keep it, it is routed by /32s
      const compares = [{ key: aff.key, modRevision: aff.modRevision }];
      const ops: ({ delete: string } | { put: string; value: unknown })[] = [{ delete: aff.key }];
      if (ours) {
        compares.push({ key: block.key, modRevision: block.modRevision });
        ops.push({ delete: block.key });
      }
      if ((await kv.txn(compares, ops)).succeeded) cleaned.push(`${p.node} ${p.block}`);
    }
    if (p.kind === 'block-of-missing-node' && p.inUse === 0) {
      const block = await kv.get<IpamBlock>(blockKey(p.block));
      const aff = await kv.get<BlockAffinity>(affinityKey(p.owner, p.block));
      if (!block || inUse(block.value) || Date.now() - (block.value.emptySince ?? Date.now()) < graceMs) continue;
      const compares = [{ key: block.key, modRevision: block.modRevision }];
      const ops: { delete: string }[] = [{ delete: block.key }];
      if (aff) {
        compares.push({ key: aff.key, modRevision: aff.modRevision });
        ops.push({ delete: aff.key });
      }
      if ((await kv.txn(compares, ops)).succeeded) cleaned.push(`${p.owner} ${p.block}`);
    }
  }
  return cleaned;
}
