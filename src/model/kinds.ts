// Every resource kind in one table: its schema, defaults, rules, and which spec fields are frozen
// once created. The datastore, the CLI and `apply` all go through it.
import {
  type BGPConfiguration,
  bgpConfigurationDefaults,
  bgpConfigurationSchema,
  validateBGPConfiguration,
} from './bgp-configuration.js';
import { type BGPFilter, bgpFilterSchema, validateBGPFilter } from './bgp-filter.js';
import { type BGPPeer, bgpPeerDefaults, bgpPeerSchema, validateBGPPeer } from './bgp-peer.js';
import type { Schema } from './fields.js';
import { type IPReservation, ipReservationDefaults, ipReservationSchema } from './ip-reservation.js';
import {
  type IPAMConfiguration,
  ipamConfigurationDefaults,
  ipamConfigurationSchema,
  validateIPAMConfiguration,
} from './ipam-configuration.js';
import { type IPPool, ippoolDefaults, ippoolSchema, validateIPPool } from './ippool.js';
import { type Node, nodeSchema, validateNode } from './node.js';
import type { Resource } from './resource.js';
import { type WorkloadEndpoint, workloadEndpointDefaults, workloadEndpointSchema } from './workload-endpoint.js';

export interface KindMap {
  IPPool: IPPool;
  BGPConfiguration: BGPConfiguration;
  BGPPeer: BGPPeer;
  BGPFilter: BGPFilter;
  Node: Node;
  WorkloadEndpoint: WorkloadEndpoint;
  IPAMConfiguration: IPAMConfiguration;
  IPReservation: IPReservation;
}
export type Kind = keyof KindMap;
export type AnyResource = KindMap[Kind];

export interface KindInfo {
  kind: Kind;
  /** The etcd key segment and the plural the CLI accepts. */
  plural: string;
  /** Other spellings the CLI accepts (`tsroute get pool`). */
  aliases: string[];
  schema: Schema;
  defaults?: (r: Resource) => void;
  validate?: (r: Resource) => void;
  /** Spec fields that cannot change once the resource exists. */
  immutable: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: each entry is typed by its own kind; the table erases it.
const as = (f: (r: any) => void) => f as (r: Resource) => void;

export const KINDS: Record<Kind, KindInfo> = {
  IPPool: {
    kind: 'IPPool',
    plural: 'ippools',
    aliases: ['ippool', 'pool', 'pools'],
    schema: ippoolSchema,
    defaults: as(ippoolDefaults),
    validate: as(validateIPPool),
    immutable: ['cidr', 'blockSize'],
  },
  BGPConfiguration: {
    kind: 'BGPConfiguration',
    plural: 'bgpconfigurations',
    aliases: ['bgpconfiguration', 'bgpconfig', 'bgpconfigs'],
    schema: bgpConfigurationSchema,
    defaults: as(bgpConfigurationDefaults),
    validate: as(validateBGPConfiguration),
    immutable: [],
  },
  BGPPeer: {
    kind: 'BGPPeer',
    plural: 'bgppeers',
    aliases: ['bgppeer', 'peer', 'peers'],
    schema: bgpPeerSchema,
    defaults: as(bgpPeerDefaults),
    validate: as(validateBGPPeer),
    immutable: [],
  },
  BGPFilter: {
    kind: 'BGPFilter',
    plural: 'bgpfilters',
    aliases: ['bgpfilter', 'filter', 'filters'],
    schema: bgpFilterSchema,
    validate: as(validateBGPFilter),
    immutable: [],
  },
  Node: {
    kind: 'Node',
    plural: 'nodes',
    aliases: ['node', 'no'],
    schema: nodeSchema,
    validate: as(validateNode),
    immutable: [],
  },
  WorkloadEndpoint: {
    kind: 'WorkloadEndpoint',
    plural: 'workloadendpoints',
    aliases: ['workloadendpoint', 'wep', 'weps', 'endpoint', 'endpoints'],
    schema: workloadEndpointSchema,
    defaults: as(workloadEndpointDefaults),
    immutable: ['node'],
  },
  IPAMConfiguration: {
    kind: 'IPAMConfiguration',
    plural: 'ipamconfigurations',
    aliases: ['ipamconfiguration', 'ipamconfig'],
    schema: ipamConfigurationSchema,
    defaults: as(ipamConfigurationDefaults),
    validate: as(validateIPAMConfiguration),
    immutable: [],
  },
  IPReservation: {
    kind: 'IPReservation',
    plural: 'ipreservations',
    aliases: ['ipreservation', 'reservation', 'reservations'],
    schema: ipReservationSchema,
    defaults: as(ipReservationDefaults),
    immutable: [],
  },
};

/** The kind a user typed (`ippool`, `IPPools`, `bgpconfig`…), or undefined. */
export function kindByName(text: string): KindInfo | undefined {
  const t = text.toLowerCase();
  return Object.values(KINDS).find((k) => k.kind.toLowerCase() === t || k.plural === t || k.aliases.includes(t));
}
