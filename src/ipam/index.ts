// IPAM's public face.
export { addressAt, ordinalOf } from './block.js';
export type { IpamProblem, IpamReport, LeakCheckResult, LeakedAddress, PoolUsage } from './check.js';
export type { ClaimHooks } from './claim-block.js';
export { IpamContentionError, IpamError, IpamExhaustedError } from './errors.js';
export { Ipam, type IpamOptions } from './ipam.js';
export type {
  AddressInfo,
  AutoAssignRequest,
  AutoAssignResult,
  BlockInfo,
  NodeBlockUsage,
  RouteOwners,
} from './types.js';
