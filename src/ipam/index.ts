// IPAM's public face.
export { addressAt, ordinalOf } from './block.js';
export type { IpamProblem, IpamReport, LeakCheckResult, LeakedAddress, PoolUsage } from './check.js';
export type { ClaimHooks } from './claim-block.js';
export { IpamContentionError, IpamError, IpamExhaustedError } from './errors.js';
export {
  type AddressInfo,
  type AutoAssignRequest,
  type AutoAssignResult,
  type BlockInfo,
  Ipam,
  type IpamOptions,
  type RouteOwners,
} from './ipam.js';
