// BGPConfiguration: "default" for the cluster, "node.<name>" to override it for one node.
import { asNumberField, communityProblem } from './bgp-values.js';
import { parseCidr } from './cidr.js';
import type { Schema } from './fields.js';
import { type Resource, ValidationError } from './resource.js';

export interface Community {
  name: string;
  /** "AS:value" (RFC 1997) or "AS:value1:value2" (large, RFC 8092). */
  value: string;
}
export interface PrefixAdvertisement {
  cidr: string;
  /** Community names from `communities`, or literal values. */
  communities: string[];
}
/**
 * BFD for a BGP session (RFC 5880/5881, BGP as its client per RFC 5882), in milliseconds with
 * MetalLB BFDProfile's names. On BGPConfiguration: `enabled` turns it on for the node-to-node mesh and
 * the intervals are the defaults of every session; on BGPPeer: that peer's sessions.
 */
export interface BfdSettings {
  enabled?: boolean;
  transmitInterval?: number;
  receiveInterval?: number;
  detectMultiplier?: number;
}

/** MetalLB BFDProfile's defaults. */
export const DEFAULT_BFD = { transmitInterval: 300, receiveInterval: 300, detectMultiplier: 3 } as const;

export const bfdSchema: Schema = {
  enabled: { type: 'bool' },
  transmitInterval: { type: 'int', min: 10, max: 60000 },
  receiveInterval: { type: 'int', min: 10, max: 60000 },
  detectMultiplier: { type: 'int', min: 2, max: 255 },
};

export interface BGPConfigurationSpec {
  asNumber?: number;
  nodeToNodeMeshEnabled?: boolean;
  listenPort?: number;
  /** Seconds; RFC 4271 §4.4 (keepalive) and §4.2 (hold time: 0 or at least 3). */
  keepaliveTime?: number;
  holdTime?: number;
  /** Seconds between connection attempts to a peer that is not up (RFC 4271 §8 ConnectRetryTimer). */
  connectRetryTime?: number;
  /** Seconds a restarting peer's routes are kept (RFC 4724 §4.2). */
  gracefulRestartTime?: number;
  communities?: Community[];
  prefixAdvertisements?: PrefixAdvertisement[];
  logSeverity?: string;
  /**
   * How hosts learn each other's blocks: `BGP` (the speaker, sessions) or `Static` (no BGP: kernel
   * routes via each node's address, computed from etcd; hosts must share one L2 segment).
   * Cluster-wide: only the "default" BGPConfiguration may set it.
   */
  routingMode?: RoutingMode;
  bfd?: BfdSettings;
}
export const ROUTING_MODES = ['BGP', 'Static'] as const;
export type RoutingMode = (typeof ROUTING_MODES)[number];
export type BGPConfiguration = Resource<'BGPConfiguration', BGPConfigurationSpec>;

export const DEFAULT_AS_NUMBER = 64512;
export const DEFAULT_BGP_CONFIGURATION: Required<
  Pick<
    BGPConfigurationSpec,
    | 'asNumber'
    | 'nodeToNodeMeshEnabled'
    | 'listenPort'
    | 'keepaliveTime'
    | 'holdTime'
    | 'connectRetryTime'
    | 'gracefulRestartTime'
  >
> = {
  asNumber: DEFAULT_AS_NUMBER,
  nodeToNodeMeshEnabled: true,
  // RFC 4271 §10 suggested values: hold 90 s, keepalive a third of it.
  listenPort: 179,
  keepaliveTime: 30,
  holdTime: 90,
  // Shorter than RFC 4271 §10's 120 s: hosts of a cluster come and go, and a retry is one SYN.
  connectRetryTime: 1,
  gracefulRestartTime: 120,
};

export const bgpConfigurationSchema: Schema = {
  asNumber: asNumberField,
  nodeToNodeMeshEnabled: { type: 'bool' },
  listenPort: { type: 'int', min: 1, max: 65535 },
  keepaliveTime: { type: 'int', min: 1, max: 21845 },
  holdTime: { type: 'int', min: 0, max: 65535 },
  connectRetryTime: { type: 'int', min: 1, max: 65535 },
  gracefulRestartTime: { type: 'int', min: 0, max: 4095 },
  communities: {
    type: 'list',
    item: {
      name: { type: 'string', required: true },
      value: { type: 'string', required: true, check: communityProblem },
    },
  },
  prefixAdvertisements: {
    type: 'list',
    item: { cidr: { type: 'string', required: true }, communities: { type: 'stringList', required: true } },
  },
  logSeverity: { type: 'string', enum: ['debug', 'info', 'warn', 'error'] },
  routingMode: { type: 'string', enum: [...ROUTING_MODES] },
  bfd: { type: 'object', fields: bfdSchema },
};

/** RFC 4271 §4.2 / §10: hold time 0 or ≥ 3 s, keepalive at most a third of it (BGPConfiguration and BGPPeer). */
export function timerProblem(who: string, t: { holdTime?: number; keepaliveTime?: number }): void {
  const { holdTime, keepaliveTime } = t;
  if (holdTime !== undefined && holdTime !== 0 && holdTime < 3) {
    throw new ValidationError(`${who}: spec.holdTime must be 0 or at least 3 seconds (RFC 4271 §4.2)`);
  }
  if (holdTime && keepaliveTime && keepaliveTime > holdTime / 3) {
    throw new ValidationError(`${who}: spec.keepaliveTime should be at most a third of spec.holdTime`);
  }
}

export function bgpConfigurationDefaults(c: BGPConfiguration): void {
  if (c.metadata.name !== 'default') return;
  c.spec = { ...DEFAULT_BGP_CONFIGURATION, ...c.spec };
}

export function validateBGPConfiguration(c: BGPConfiguration): void {
  const who = `bgpconfiguration "${c.metadata.name}"`;
  if (c.metadata.name !== 'default' && !c.metadata.name.startsWith('node.')) {
    throw new ValidationError(`${who}: the name must be "default" or "node.<node name>"`);
  }
  timerProblem(who, c.spec);
  // one mode per cluster: a BGP node would never learn a static node's blocks (no session to it)
  if (c.metadata.name !== 'default' && c.spec.routingMode !== undefined) {
    throw new ValidationError(`${who}: spec.routingMode is cluster-wide: set it in the "default" BGPConfiguration`);
  }
  const names = new Set((c.spec.communities ?? []).map((x) => x.name));
  for (const [i, adv] of (c.spec.prefixAdvertisements ?? []).entries()) {
    const r = parseCidr(adv.cidr);
    if (!r.ok) throw new ValidationError(`${who}: spec.prefixAdvertisements[${i}].cidr ${r.reason}`);
    for (const com of adv.communities) {
      if (names.has(com)) continue;
      const problem = communityProblem(com);
      if (!problem) continue;
      // digits and colons are a community with a bad number; anything else a name that is not defined
      if (/^[\d:]+$/.test(com)) throw new ValidationError(`${who}: spec.prefixAdvertisements[${i}]: ${problem}`);
      throw new ValidationError(
        `${who}: spec.prefixAdvertisements[${i}]: "${com}" is neither a named community nor AS:value`,
      );
    }
  }
}
