// The etcd key layout: everything tsroute stores lives under one prefix, so a cluster's state can be
// listed, backed up or wiped with one range. Documented in docs/datastore.md — keep them in step.
import type { Kind } from '../model/index.js';
import { KINDS } from '../model/index.js';

export const PREFIX = '/tsroute/v1/';

/** /tsroute/v1/<plural>/<name>, e.g. /tsroute/v1/ippools/default-ipv4. */
export const resourceKey = (kind: Kind, name: string): string => `${PREFIX}${KINDS[kind].plural}/${name}`;
export const resourcePrefix = (kind: Kind): string => `${PREFIX}${KINDS[kind].plural}/`;

// Block CIDRs contain "/", which would read as a path level; keys use "-" instead: 10.65.0.0-26.
export const blockKeyName = (cidr: string): string => cidr.replace('/', '-');

export const IPAM_PREFIX = `${PREFIX}ipam/`;
export const BLOCKS_PREFIX = `${IPAM_PREFIX}blocks/`;
export const blockKey = (cidr: string): string => `${BLOCKS_PREFIX}${blockKeyName(cidr)}`;
export const AFFINITY_PREFIX = `${IPAM_PREFIX}affinities/`;
export const affinityPrefix = (node: string): string => `${AFFINITY_PREFIX}${node}/`;
export const affinityKey = (node: string, cidr: string): string => `${affinityPrefix(node)}${blockKeyName(cidr)}`;
export const HANDLES_PREFIX = `${IPAM_PREFIX}handles/`;
export const handleKey = (handle: string): string => `${HANDLES_PREFIX}${encodeURIComponent(handle)}`;
export const LEAKS_PREFIX = `${IPAM_PREFIX}leaks/`;
export const leakKey = (address: string): string => `${LEAKS_PREFIX}${address}`;

// Live state, not configuration: each agent's status under its own etcd lease (gone when the agent
// is), and the elections agents hold among themselves. Outside PREFIX on purpose: the agents' watch
// of every resource covers PREFIX, and N heartbeats streamed to N agents would be N² messages for
// nothing; `/tsroute/` still holds all of tsroute's keys.
export const LIVE_PREFIX = '/tsroute/live/v1/';
export const STATUS_PREFIX = `${LIVE_PREFIX}status/`;
export const statusKey = (node: string): string => `${STATUS_PREFIX}${node}`;
export const ELECTION_NAMESPACE = LIVE_PREFIX;
