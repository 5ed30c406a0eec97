// Docker's IpamDriver (libnetwork remote IPAM) onto the agent: pools map onto tsroute pools,
// addresses come from the agent's IPAM under a handle per address, and are released by that handle.
import { randomBytes } from 'node:crypto';
import { bareAddress, type Family, GATEWAY_IPV4, GATEWAY_IPV6 } from '../model/index.js';
import type { DockerBackend } from './backend.js';
import {
  GATEWAY_REQUEST,
  type ReleaseAddressRequest,
  type RequestAddressRequest,
  type RequestAddressResponse,
  type RequestPoolRequest,
  type RequestPoolResponse,
} from './protocol.js';
import type { DriverState } from './state.js';

/** Our address spaces: Docker only needs them to be names no other IPAM driver uses. */
export const LOCAL_ADDRESS_SPACE = 'tsroute-local';
export const GLOBAL_ADDRESS_SPACE = 'tsroute-global';

/** `docker network create --ipam-opt tsroute.pool=NAME` restricts the network to one tsroute pool. */
export const POOL_OPTION = 'tsroute.pool';

interface PoolRef {
  family: Family;
  /** A tsroute pool name or CIDR to allocate from; empty: any enabled pool of this node. */
  selector: string;
}

// PoolID = "tsroute/v4/<selector>": Docker hands the PoolID back on every call, so it carries all
// we need and survives a plugin restart.
const encodePoolId = (ref: PoolRef) => `tsroute/v${ref.family === 'ipv4' ? 4 : 6}/${ref.selector}`;

export function decodePoolId(poolId: string): PoolRef {
  const m = /^tsroute\/v([46])\/(.*)$/.exec(poolId);
  if (!m) throw new Error(`pool "${poolId}" was not made by the tsroute IPAM driver`);
  return { family: m[1] === '4' ? 'ipv4' : 'ipv6', selector: m[2]! };
}

export class IpamDriver {
  constructor(
    private readonly backend: DockerBackend,
    private readonly state: DriverState,
  ) {}

  getCapabilities() {
    return { RequiresMACAddress: false, RequiresRequestReplay: false };
  }

  getDefaultAddressSpaces() {
    return { LocalDefaultAddressSpace: LOCAL_ADDRESS_SPACE, GlobalDefaultAddressSpace: GLOBAL_ADDRESS_SPACE };
  }

  requestPool(req: RequestPoolRequest): RequestPoolResponse {
    if (req.SubPool) {
      throw new Error('tsroute does not support --ip-range: make a tsroute pool for the range (tsroute ippool create)');
    }
    const family: Family = req.V6 ? 'ipv6' : 'ipv4';
    const byName = req.Options?.[POOL_OPTION] ?? '';
    // Docker wants a CIDR back. Without --subnet the network spans every tsroute pool, so it is the
    // whole address family; addresses still come only from the pools the agent allows.
    const anywhere = family === 'ipv4' ? '0.0.0.0/0' : '::/0';
    return {
      PoolID: encodePoolId({ family, selector: byName || req.Pool || '' }),
      Pool: req.Pool || anywhere,
      Data: {},
    };
  }

  releasePool(): Record<string, never> {
    return {};
  }

  async requestAddress(req: RequestAddressRequest): Promise<RequestAddressResponse> {
    const pool = decodePoolId(req.PoolID);
    // The gateway Docker asks for once per network: every tsroute container routes through the same
    // link-local next hop (the model's GATEWAY_IPV4/IPV6), so it is never allocated.
    if (req.Options?.RequestAddressType === GATEWAY_REQUEST) {
      return { Address: pool.family === 'ipv4' ? `${GATEWAY_IPV4}/32` : `${GATEWAY_IPV6}/128`, Data: {} };
    }
    const handleId = `docker.${randomBytes(8).toString('hex')}`;
    const address = await this.backend.allocate({
      handleId,
      family: pool.family,
      address: req.Address ? bareAddress(req.Address) : undefined,
      pools: pool.selector ? [pool.selector] : [],
      attributes: { runtime: 'docker', pool: req.PoolID },
    });
    this.state.setHandle(address, handleId);
    return { Address: address, Data: {} };
  }

  async releaseAddress(req: ReleaseAddressRequest): Promise<Record<string, never>> {
    const address = bareAddress(req.Address);
    if (address === GATEWAY_IPV4 || address === GATEWAY_IPV6) return {};
    const handleId = this.state.handleOf(address);
    // By handle, so a release can never free the address after someone else got it; by address only
    // when this plugin lost its state (and then the agent checks the address is still allocated).
    await this.backend.release(handleId ? { handleId } : { addresses: [address] });
    this.state.forgetAddress(address);
    return {};
  }
}
