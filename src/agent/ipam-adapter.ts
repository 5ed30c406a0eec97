// The agent's IPAM port on src/ipam, with IPAM's errors turned into API status codes a caller can
// act on (no room → RESOURCE_EXHAUSTED, address taken → ALREADY_EXISTS, etcd away → UNAVAILABLE).
import { AgentError } from '../api/types.js';
import { type Datastore, DatastoreUnavailableError } from '../datastore/index.js';
import { type Ipam, IpamError, IpamExhaustedError } from '../ipam/index.js';
import type { IpamChange } from './endpoints.js';
import type { BlockUsage, IpamView } from './ports.js';

function translate(err: unknown): never {
  if (err instanceof AgentError) throw err;
  if (err instanceof IpamExhaustedError) throw new AgentError('RESOURCE_EXHAUSTED', err.message);
  if (err instanceof IpamError)
    throw new AgentError(/already in use/.test(err.message) ? 'ALREADY_EXISTS' : 'FAILED_PRECONDITION', err.message);
  if (err instanceof DatastoreUnavailableError) throw new AgentError('UNAVAILABLE', err.message);
  throw err;
}

async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    translate(err);
  }
}

const freed = (addresses: string[]): IpamChange => ({ addresses, claimedBlocks: [], releasedBlocks: [] });

export function ipamView(ipam: Ipam, datastore: Datastore, node: string): IpamView {
  /** Pools may be named or given by CIDR (Docker only knows the subnet). */
  const poolNames = async (pools: string[]): Promise<string[]> => {
    if (!pools.some((p) => p.includes('/'))) return pools;
    const all = await datastore.list('IPPool');
    return pools.map((p) => {
      if (!p.includes('/')) return p;
      const found = all.find((x) => x.spec.cidr === p);
      if (!found) throw new AgentError('NOT_FOUND', `no IP pool has the CIDR ${p}`);
      return found.metadata.name;
    });
  };
  return {
    allocate: (req) =>
      guarded(async () => {
        if (req.addresses.length) {
          const done: string[] = [];
          const claimedBlocks: string[] = [];
          try {
            for (const address of req.addresses) {
              const r = await ipam.assignIP({ handle: req.handle, node, address, attrs: req.attrs });
              claimedBlocks.push(...r.claimedBlocks);
              done.push(address);
            }
          } catch (err) {
            if (done.length) await ipam.releaseAddresses(done.map((address) => ({ address, handle: req.handle })));
            throw err;
          }
          return { addresses: done, claimedBlocks, releasedBlocks: [] };
        }
        const pools = await poolNames(req.pools);
        const r = await ipam.autoAssign({
          handle: req.handle,
          node,
          num4: req.ipv4Count,
          num6: req.ipv6Count,
          pools: pools.length ? pools : undefined,
          attrs: req.attrs,
          onChosen: req.onChosen,
          alsoPut: req.alsoPut,
          onClaimed: req.onClaimed,
        });
        return {
          addresses: [...r.ipv4, ...r.ipv6],
          claimedBlocks: r.claimedBlocks,
          releasedBlocks: [],
          ...(r.alsoPutWritten ? { alsoPutWritten: true } : {}),
        };
      }),
    // a release frees addresses only: empty blocks are given back by releaseEmptyBlocks, after their grace
    releaseHandle: (handle) => guarded(async () => freed(await ipam.releaseByHandle(handle))),
    releaseAddresses: (addresses) => guarded(async () => freed(await ipam.releaseAddresses(addresses))),
    addressesOf: (handle) => guarded(() => ipam.addressesOf(handle)),
    routeOwners: () => ipam.routeOwners(),
    affineBlocks: async (n) => (await ipam.affinities(n)).filter((a) => a.state === 'confirmed').map((a) => a.cidr),
    blockUsage: async (n): Promise<BlockUsage[]> =>
      (await ipam.blockUsage(n)).map((b) => ({ cidr: b.cidr, size: b.total, inUse: b.inUse, borrowed: b.borrowed })),
    releaseEmptyBlocks: async (n, graceMs) => ({
      addresses: [],
      claimedBlocks: [],
      releasedBlocks: await ipam.releaseEmptyBlocks(n, graceMs),
    }),
  };
}
