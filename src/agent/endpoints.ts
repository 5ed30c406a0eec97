// Container endpoints on this host: allocate addresses (IPAM), wire the veth (dataplane), record the
// WorkloadEndpoint (etcd) — and undo the earlier steps when a later one fails, so a failed add leaves
// nothing behind. Add, delete and check are idempotent per (container ID, interface).
import { createHash, randomBytes } from 'node:crypto';
import { AgentError, type Endpoint } from '../api/types.js';
import { AlreadyExistsError, type Datastore, NotFoundError } from '../datastore/index.js';
import {
  API_VERSION,
  bareAddress,
  GATEWAY_IPV4,
  GATEWAY_IPV6,
  hostPrefix,
  type WorkloadEndpoint,
} from '../model/index.js';
import type { Logger } from './logger.js';

/**
 * What one IPAM call changed for this node: the addresses it handed out or freed, and the blocks
 * it claimed or gave back. The agent derives its announcements and blackholes from these alone.
 */
export interface IpamChange {
  /** Bare ("10.65.3.7"). */
  addresses: string[];
  claimedBlocks: string[];
  releasedBlocks: string[];
}

export const NO_IPAM_CHANGE: IpamChange = Object.freeze({
  addresses: [],
  claimedBlocks: [],
  releasedBlocks: [],
}) as IpamChange;

/** What the agent needs from IPAM. Addresses are bare ("10.65.3.7"). */
export interface AddressAllocator {
  allocate(req: {
    handle: string;
    ipv4Count: number;
    ipv6Count: number;
    addresses: string[];
    pools: string[];
    attrs: Record<string, string>;
    /** The addresses, chosen but not yet recorded (see src/ipam AutoAssignRequest.onChosen). */
    onChosen?: (addresses: string[]) => void;
    /** Keys to record in the allocation's own transaction (AutoAssignRequest.alsoPut). */
    alsoPut?: (addresses: string[]) => { key: string; value: unknown }[];
    /** A block claimed on the way is confirmed in etcd. */
    onClaimed?: (cidr: string) => void;
  }): Promise<IpamChange & { alsoPutWritten?: boolean }>;
  releaseHandle(handle: string): Promise<IpamChange>;
  releaseAddresses(addresses: string[]): Promise<IpamChange>;
  /** Addresses currently held by `handle` (empty when none). */
  addressesOf(handle: string): Promise<string[]>;
}

export interface WiringSpec {
  containerId: string;
  /** The container interface's MAC (chosen here so the record can be written while wiring). */
  mac?: string;
  ifName: string;
  /** The container's namespace; empty = leave the container end in our namespace (Docker moves it). */
  netnsPath: string;
  hostIfName: string;
  addresses: string[];
  mtu?: number;
}

/** What the agent needs from the dataplane. */
export interface EndpointWiring {
  add(spec: WiringSpec): Promise<{ mac: string; containerIfindex: number }>;
  /** True when there was something to remove. */
  remove(spec: { hostIfName: string; addresses: string[] }): Promise<boolean>;
  /** What is wrong with the endpoint in the kernel; empty when nothing is. */
  check(spec: WiringSpec): Promise<string[]>;
}

/** A random locally administered unicast MAC for a container's interface. */
export function containerMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** "tsr" + 11 hex characters: unique per (container, interface), within IFNAMSIZ (15). */
export function hostInterfaceName(containerId: string, ifName: string): string {
  return `tsr${createHash('sha256').update(`${containerId}.${ifName}`).digest('hex').slice(0, 11)}`;
}

/** The WorkloadEndpoint's name: readable when possible, always a valid resource name. */
export function endpointName(node: string, containerId: string, ifName: string): string {
  const raw = `${node}.${containerId}.${ifName}`.toLowerCase();
  if (/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(raw) && raw.length <= 253) return raw;
  return `${node}.${createHash('sha256').update(`${containerId}.${ifName}`).digest('hex').slice(0, 32)}`;
}

/** Label on endpoints whose addresses the runtime allocated (and releases) itself. */
const PREALLOCATED = 'tsroute.io/preallocated';

const key = (containerId: string, ifName: string) => `${containerId}/${ifName}`;

export interface AddRequest {
  containerId: string;
  ifName: string;
  netnsPath: string;
  handle?: string;
  ipv4Count: number;
  ipv6Count: number;
  addresses: string[];
  pools: string[];
  mtu?: number;
  workload?: string;
  labels?: Record<string, string>;
}

export class EndpointManager {
  private readonly endpoints = new Map<string, Endpoint>();
  /** Handles whose release failed (etcd away): retried by `retryPending`. */
  private readonly pendingRelease = new Set<string>();
  private readonly pendingRecordDelete = new Set<string>();
  /** Serialises operations per endpoint, so a CNI ADD racing its own DEL cannot interleave. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly node: string,
    private readonly datastore: Datastore,
    private readonly ipam: AddressAllocator,
    private readonly wiring: EndpointWiring,
    private readonly log: Logger,
    /** After each add and delete, with what IPAM changed on the way (nothing for a pre-allocated one). */
    private readonly onChange: (kind: 'added' | 'deleted', e: Endpoint, ipam: IpamChange) => void,
    /** What IPAM changed on a failed add (a block claimed on the way stays this node's). */
    private readonly onIpamOnly: (ipam: IpamChange) => void = () => {},
  ) {}

  /** Loads this node's endpoints from etcd (after an agent restart the kernel still has them). */
  async load(): Promise<void> {
    const all = await this.datastore.list('WorkloadEndpoint');
    for (const w of all) {
      if (w.spec.node !== this.node) continue;
      const e = fromRecord(w);
      this.endpoints.set(key(e.containerId, e.interface), e);
    }
  }

  list(): Endpoint[] {
    return [...this.endpoints.values()];
  }

  get(containerId: string, ifName: string): Endpoint | undefined {
    return this.endpoints.get(key(containerId, ifName));
  }

  /** Every address our endpoints hold, for the announcement of borrowed ones. */
  addresses(): string[] {
    return this.list().flatMap((e) => e.addresses.map(bareAddress));
  }

  private serial<T>(k: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(k) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.locks.set(k, next);
    void next
      .finally(() => {
        if (this.locks.get(k) === next) this.locks.delete(k);
      })
      .catch(() => {});
    return next;
  }

  add(req: AddRequest): Promise<Endpoint> {
    if (!req.containerId) throw new AgentError('INVALID_ARGUMENT', 'container_id is required');
    return this.serial(key(req.containerId, req.ifName), () => this.addLocked(req));
  }

  private async addLocked(req: AddRequest): Promise<Endpoint> {
    const existing = this.endpoints.get(key(req.containerId, req.ifName));
    const hostIfName = hostInterfaceName(req.containerId, req.ifName);
    if (existing) {
      if (existing.netns !== req.netnsPath)
        throw new AgentError(
          'ALREADY_EXISTS',
          `${req.containerId}/${req.ifName} is already wired into ${existing.netns || 'the agent namespace'}; delete it first`,
        );
      const problems = await this.wiring.check(this.spec(existing));
      if (problems.length === 0) return existing;
      // The record exists but the kernel lost part of it (a reboot, someone's `ip link del`): re-wire.
      this.log.warn({ endpoint: key(req.containerId, req.ifName), problems }, 're-wiring a damaged endpoint');
      await this.wiring.remove({ hostIfName, addresses: existing.addresses });
      const wired = await this.wiring.add(this.spec(existing));
      const repaired = { ...existing, mac: wired.mac, containerIfindex: wired.containerIfindex };
      this.endpoints.set(key(req.containerId, req.ifName), repaired);
      return repaired;
    }

    const t0 = performance.now();
    const handle = req.handle || `${req.containerId}.${req.ifName}`;
    const preAllocated = req.addresses.length > 0 && req.handle !== undefined && req.handle !== '';
    const mac = containerMac();
    const createdUnixMs = Date.now();
    const specFor = (addresses: string[]): WiringSpec => ({
      containerId: req.containerId,
      ifName: req.ifName,
      netnsPath: req.netnsPath,
      hostIfName,
      addresses,
      mac,
      mtu: req.mtu,
    });
    const endpointFor = (addresses: string[]): Endpoint => ({
      containerId: req.containerId,
      interface: req.ifName,
      netns: req.netnsPath,
      handleId: handle,
      addresses: addresses.map(hostPrefix),
      hostInterface: hostIfName,
      mac,
      containerIfindex: 0,
      gatewayIpv4: addresses.some((a) => !a.includes(':')) ? GATEWAY_IPV4 : '',
      gatewayIpv6: addresses.some((a) => a.includes(':')) ? GATEWAY_IPV6 : '',
      node: this.node,
      workload: req.workload ?? '',
      labels: { ...(req.labels ?? {}), ...(preAllocated ? { [PREALLOCATED]: 'true' } : {}) },
      createdUnixMs,
    });
    let addresses: string[];
    let allocated: IpamChange & { alsoPutWritten?: boolean } = NO_IPAM_CHANGE;
    /**
     * The wiring started while IPAM's transaction is in flight, with the addresses IPAM chose (see
     * onChosen below). Nothing is handed out before that transaction has recorded them: the caller
     * hears of them only when this call returns. If this process dies before etcd answers, etcd holds
     * neither the addresses nor the record (one transaction), so nothing is lost or held twice there;
     * the veth left behind goes with the container's namespace, or with the runtime's DEL (see
     * `delete`), and an address handed out again gets its host route with `replace`.
     */
    const early: { current?: EarlyWiring } = {};
    const undoEarly = async () => {
      const e = early.current;
      if (!e) return;
      early.current = undefined;
      await e.wired;
      await this.wiring.remove({ hostIfName, addresses: e.addresses }).catch(() => {});
    };
    if (preAllocated) {
      // Docker's flow: IPAM gave the addresses earlier under this handle; check they are really its.
      const held = new Set(await this.ipam.addressesOf(handle));
      const bare = req.addresses.map(bareAddress);
      const missing = bare.filter((a) => !held.has(a));
      if (missing.length)
        throw new AgentError('FAILED_PRECONDITION', `${missing.join(', ')} not allocated to handle "${handle}"`);
      addresses = bare;
    } else {
      try {
        allocated = await this.ipam.allocate({
          handle,
          ipv4Count: req.ipv4Count,
          ipv6Count: req.ipv6Count,
          addresses: req.addresses.map(bareAddress),
          pools: req.pools,
          attrs: { node: this.node, container: req.containerId, interface: req.ifName },
          // The kernel work needs only the addresses: it runs while etcd records them, and is undone
          // if etcd does not (or records others after losing a race). Only the first choice is wired
          // early; the veth's name is the endpoint's, so a second wiring waits for the first's undo.
          onChosen: (chosen) => {
            early.current ??= { addresses: chosen, wired: settled(this.wiring.add(specFor(chosen))) };
          },
          // the endpoint's record goes in the allocation's own transaction: both or neither
          alsoPut: (chosen) => [this.datastore.createPut(toRecord(endpointFor(chosen)))],
          // a new block is announced as soon as it is ours, not after this endpoint is done
          onClaimed: (cidr) => this.onIpamOnly({ ...NO_IPAM_CHANGE, claimedBlocks: [cidr] }),
        });
      } catch (err) {
        await undoEarly();
        throw err;
      }
      addresses = allocated.addresses;
    }
    const undoAllocation = async () => {
      if (!preAllocated) await this.ipam.releaseHandle(handle).catch((err) => this.rememberRelease(handle, err));
      // a block claimed on the way stays ours (empty blocks are given back after their grace)
      if (allocated.claimedBlocks.length)
        this.onIpamOnly({ ...NO_IPAM_CHANGE, claimedBlocks: allocated.claimedBlocks });
    };
    if (addresses.length === 0) {
      await undoEarly();
      throw new AgentError(
        'RESOURCE_EXHAUSTED',
        'no address could be allocated: no enabled pool for this node has room',
      );
    }

    const endpoint = endpointFor(addresses);
    const t1 = performance.now();
    // The kernel work and the etcd record are independent: do both at once, undo both if either fails.
    let wireMs = 0;
    let recordMs = 0;
    const since = (t: number) => +(performance.now() - t).toFixed(1);
    const wiredEarly = early.current && sameList(early.current.addresses, addresses) ? early.current : undefined;
    if (!wiredEarly) await undoEarly();
    const wiring = wiredEarly ? wiredEarly.wired.then(unsettle) : this.wiring.add(specFor(addresses));
    const recordedWithAllocation = allocated.alsoPutWritten === true;
    const [wired, recorded] = await Promise.allSettled([
      wiring.finally(() => {
        wireMs = since(t1);
      }),
      (recordedWithAllocation ? Promise.resolve() : this.record(endpoint)).finally(() => {
        recordMs = since(t1);
      }),
    ]);
    if (wired.status === 'rejected' || recorded.status === 'rejected') {
      await this.wiring.remove({ hostIfName, addresses }).catch(() => {});
      if (recorded.status === 'fulfilled')
        await this.datastore
          .delete('WorkloadEndpoint', endpointName(this.node, req.containerId, req.ifName))
          .catch(() => {});
      await undoAllocation();
      if (wired.status === 'rejected')
        throw new AgentError(
          'INTERNAL',
          `wiring ${req.containerId}/${req.ifName} failed: ${(wired.reason as Error).message}`,
        );
      throw new AgentError(
        'UNAVAILABLE',
        `recording the endpoint in etcd failed: ${((recorded as PromiseRejectedResult).reason as Error).message}`,
      );
    }
    endpoint.containerIfindex = wired.value.containerIfindex;
    const t2 = performance.now();
    this.endpoints.set(key(req.containerId, req.ifName), endpoint);
    this.onChange('added', endpoint, allocated);
    const t3 = performance.now();
    this.log.debug(
      {
        endpoint: key(req.containerId, req.ifName),
        ipamMs: +(t1 - t0).toFixed(1),
        wiredEarly: wiredEarly !== undefined,
        recordedWithAllocation,
        wireMs,
        recordMs,
        wireAndRecordMs: +(t2 - t1).toFixed(1),
        totalMs: +(t3 - t0).toFixed(1),
      },
      'endpoint added',
    );
    return endpoint;
  }

  delete(containerId: string, ifName: string): Promise<{ existed: boolean; released: string[] }> {
    return this.serial(key(containerId, ifName), async () => {
      const e = this.endpoints.get(key(containerId, ifName));
      if (!e) {
        // An add that failed part-way in a run that then died can leave the veth (its wiring runs
        // while etcd records the addresses): the runtime's DEL after the failed ADD removes it.
        await this.wiring
          .remove({ hostIfName: hostInterfaceName(containerId, ifName), addresses: [] })
          .catch(() => false);
        return { existed: false, released: [] };
      }
      const bare = e.addresses.map(bareAddress);
      await this.wiring.remove({ hostIfName: e.hostInterface, addresses: bare });
      this.endpoints.delete(key(containerId, ifName));
      let released = NO_IPAM_CHANGE;
      // Addresses allocated by the runtime's IPAM call (Docker) are released by the runtime.
      if (e.labels[PREALLOCATED] !== 'true') {
        try {
          released = await this.ipam.releaseHandle(e.handleId);
        } catch (err) {
          this.rememberRelease(e.handleId, err);
        }
      }
      const name = endpointName(this.node, containerId, ifName);
      try {
        await this.datastore.delete('WorkloadEndpoint', name);
      } catch (err) {
        if (!(err instanceof NotFoundError)) this.pendingRecordDelete.add(name);
      }
      this.onChange('deleted', e, released);
      return { existed: true, released: released.addresses };
    });
  }

  async check(containerId: string, ifName: string): Promise<{ ok: boolean; problems: string[]; endpoint?: Endpoint }> {
    const e = this.endpoints.get(key(containerId, ifName));
    if (!e) return { ok: false, problems: [`no endpoint ${containerId}/${ifName} on this node`] };
    const problems = await this.wiring.check(this.spec(e));
    const held = new Set(await this.ipam.addressesOf(e.handleId).catch(() => [] as string[]));
    for (const a of e.addresses) {
      const bare = bareAddress(a);
      if (!held.has(bare)) problems.push(`${bare} is not allocated to handle "${e.handleId}" in IPAM`);
    }
    return { ok: problems.length === 0, problems, endpoint: e };
  }

  /** Retries releases and record deletions that failed while etcd was away. */
  async retryPending(): Promise<void> {
    for (const handle of [...this.pendingRelease]) {
      try {
        await this.ipam.releaseHandle(handle);
        this.pendingRelease.delete(handle);
      } catch {
        return;
      }
    }
    for (const name of [...this.pendingRecordDelete]) {
      try {
        await this.datastore.delete('WorkloadEndpoint', name);
      } catch (err) {
        if (!(err instanceof NotFoundError)) return;
      }
      this.pendingRecordDelete.delete(name);
    }
  }

  /**
   * Writes the endpoint's record: a create (one etcd transaction), and a whole apply only when a
   * record is already there (left by a run that crashed between wiring and clean-up).
   */
  private async record(endpoint: Endpoint): Promise<void> {
    const record = toRecord(endpoint);
    try {
      await this.datastore.create(record);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      await this.datastore.apply(record);
    }
  }

  private rememberRelease(handle: string, err: unknown): void {
    this.log.warn({ handle, err: (err as Error).message }, 'address release failed; will retry');
    this.pendingRelease.add(handle);
  }

  private spec(e: Endpoint): WiringSpec {
    return {
      containerId: e.containerId,
      ifName: e.interface,
      netnsPath: e.netns,
      hostIfName: e.hostInterface,
      addresses: e.addresses.map(bareAddress),
    };
  }
}

/** A wiring started with the addresses IPAM chose, before its transaction recorded them. */
interface EarlyWiring {
  addresses: string[];
  wired: Promise<PromiseSettledResult<{ mac: string; containerIfindex: number }>>;
}

/** A promise's outcome as a value, so that awaiting it later never throws (and nothing is unhandled). */
function settled<T>(p: Promise<T>): Promise<PromiseSettledResult<T>> {
  return p.then(
    (value): PromiseSettledResult<T> => ({ status: 'fulfilled', value }),
    (reason: unknown): PromiseSettledResult<T> => ({ status: 'rejected', reason }),
  );
}

function unsettle<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function toRecord(e: Endpoint): WorkloadEndpoint {
  return {
    apiVersion: API_VERSION,
    kind: 'WorkloadEndpoint',
    metadata: {
      name: endpointName(e.node, e.containerId, e.interface),
      labels: e.labels,
    },
    spec: {
      node: e.node,
      containerId: e.containerId,
      interface: e.interface,
      hostInterface: e.hostInterface,
      addresses: e.addresses.map(bareAddress),
      ipamHandle: e.handleId,
      mac: e.mac,
      netns: e.netns,
      workload: e.workload,
    },
  };
}

function fromRecord(w: WorkloadEndpoint): Endpoint {
  const addresses = (w.spec.addresses ?? []).map(hostPrefix);
  return {
    containerId: w.spec.containerId,
    interface: w.spec.interface ?? 'eth0',
    netns: w.spec.netns ?? '',
    handleId: w.spec.ipamHandle ?? '',
    addresses,
    hostInterface: w.spec.hostInterface ?? hostInterfaceName(w.spec.containerId, w.spec.interface ?? 'eth0'),
    mac: w.spec.mac ?? '',
    containerIfindex: 0,
    gatewayIpv4: addresses.some((a) => !a.includes(':')) ? GATEWAY_IPV4 : '',
    gatewayIpv6: addresses.some((a) => a.includes(':')) ? GATEWAY_IPV6 : '',
    node: w.spec.node,
    workload: w.spec.workload ?? '',
    labels: w.metadata.labels ?? {},
    createdUnixMs: w.metadata.creationTimestamp ? Date.parse(w.metadata.creationTimestamp) : 0,
  };
}
