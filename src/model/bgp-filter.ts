// BGPFilter: import/export rules a BGPPeer names, first matching rule wins (Calico's BGPFilter shape).
// A rule matches when every condition it names holds; its operations change the route, then its
// action decides. A route no rule matches is accepted.
import { type Family, familyBits, familyName, parseCidr } from './cidr.js';
import type { Schema } from './fields.js';
import { type Resource, ValidationError } from './resource.js';

export type MatchOperator = 'Equal' | 'NotEqual' | 'In' | 'NotIn';

export interface BGPFilterOperation {
  /** Add this community (AS:value, or large AS:value1:value2). */
  addCommunity?: { value: string };
  /** Put these ASes in front of the AS path (on export behind our own AS, which stays first). */
  prependASPath?: { prefix: number[] };
  /** LOCAL_PREF for the route (higher wins the decision process, RFC 4271 §9.1.1). */
  setPriority?: { value: number };
}

export interface BGPFilterRule {
  cidr?: string;
  matchOperator?: MatchOperator;
  /** The route's prefix length lies within these bounds (inclusive). */
  prefixLength?: { min?: number; max?: number };
  /** Only routes learned from BGP peers, never this node's own blocks and addresses. */
  source?: 'RemotePeers';
  /** Not supported: tsroute originates its routes itself rather than from kernel interfaces. */
  interface?: string;
  /** The route carries at least one of these communities. */
  communities?: { values: string[] };
  /** The AS path contains this AS, and/or was originated by this AS (its last AS). */
  asPath?: { contains?: number; originAS?: number };
  operations?: BGPFilterOperation[];
  action: 'Accept' | 'Reject';
}
export interface BGPFilterSpec {
  exportV4?: BGPFilterRule[];
  importV4?: BGPFilterRule[];
  exportV6?: BGPFilterRule[];
  importV6?: BGPFilterRule[];
}
export type BGPFilter = Resource<'BGPFilter', BGPFilterSpec>;

export const FILTER_LISTS = ['exportV4', 'importV4', 'exportV6', 'importV6'] as const;

const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;
/** RFC 6793 §2: AS_TRANS stands in for a 4-octet AS on old speakers; it is never a real AS. */
const AS_TRANS = 23456;

/** RFC 1997 community "AS:value" (two 16-bit halves) or RFC 8092 large "a:b:c" (three 32-bit parts). */
function communityProblem(v: string): string | undefined {
  const parts = v.split(':');
  const max = parts.length === 2 ? MAX_U16 : parts.length === 3 ? MAX_U32 : -1;
  if (max < 0 || parts.some((p) => !/^\d{1,10}$/.test(p) || Number(p) > max))
    return `"${v}" is not a community (AS:value with both parts 0-65535, or large a:b:c with parts 0-4294967295)`;
  return undefined;
}

const asNumber = { type: 'int', min: 1, max: MAX_U32 } as const;

const rule: Schema = {
  cidr: { type: 'string' },
  matchOperator: { type: 'string', enum: ['Equal', 'NotEqual', 'In', 'NotIn'] },
  prefixLength: { type: 'object', fields: { min: { type: 'int', min: 0 }, max: { type: 'int', min: 0 } } },
  source: { type: 'string', enum: ['RemotePeers'] },
  interface: {
    type: 'string',
    check: () =>
      'matching by interface is not supported: tsroute announces its blocks and borrowed addresses itself, ' +
      'not from kernel routes; match them with cidr/matchOperator or source: RemotePeers instead',
  },
  communities: {
    type: 'object',
    fields: { values: { type: 'stringList', required: true, check: communityProblem } },
  },
  asPath: { type: 'object', fields: { contains: asNumber, originAS: asNumber } },
  operations: {
    type: 'list',
    item: {
      addCommunity: {
        type: 'object',
        fields: { value: { type: 'string', required: true, check: communityProblem } },
      },
      prependASPath: {
        type: 'object',
        fields: { prefix: { type: 'intList', required: true, min: 1, max: MAX_U32, maxItems: 16 } },
      },
      setPriority: { type: 'object', fields: { value: { type: 'int', required: true, min: 0, max: MAX_U32 } } },
    },
  },
  action: { type: 'string', required: true, enum: ['Accept', 'Reject'] },
};
export const bgpFilterSchema: Schema = {
  exportV4: { type: 'list', item: rule },
  importV4: { type: 'list', item: rule },
  exportV6: { type: 'list', item: rule },
  importV6: { type: 'list', item: rule },
};

function validateRule(r: BGPFilterRule, family: Family, fail: (msg: string) => never): void {
  if (r.cidr === undefined) {
    if (r.matchOperator) fail('matchOperator needs a cidr');
  } else {
    const c = parseCidr(r.cidr);
    if (!c.ok) fail(`cidr ${c.reason}`);
    else if (c.cidr.family !== family) fail(`cidr ${r.cidr} is not ${familyName(family)}`);
    if (!r.matchOperator) fail('matchOperator is required with a cidr');
  }
  const bits = familyBits(family);
  const { min, max } = r.prefixLength ?? {};
  if (min !== undefined && min > bits)
    fail(`prefixLength.min ${min} is longer than an ${familyName(family)} prefix (${bits})`);
  if (max !== undefined && max > bits)
    fail(`prefixLength.max ${max} is longer than an ${familyName(family)} prefix (${bits})`);
  if (min !== undefined && max !== undefined && min > max) fail(`prefixLength.min ${min} is above max ${max}`);
  if (r.communities && r.communities.values.length === 0) fail('communities.values is empty: it would match nothing');
  if (r.asPath && r.asPath.contains === undefined && r.asPath.originAS === undefined)
    fail('asPath needs contains or originAS');
  for (const asn of [r.asPath?.contains, r.asPath?.originAS])
    if (asn === AS_TRANS) fail(`asPath: ${AS_TRANS} is AS_TRANS (RFC 6793), never a real AS`);
  for (const [i, op] of (r.operations ?? []).entries()) {
    const named = Object.keys(op).length;
    if (named !== 1)
      fail(`operations[${i}] must name exactly one of addCommunity, prependASPath, setPriority (got ${named})`);
    if (op.prependASPath?.prefix.length === 0) fail(`operations[${i}].prependASPath.prefix is empty`);
    if (op.prependASPath?.prefix.includes(AS_TRANS))
      fail(`operations[${i}].prependASPath: ${AS_TRANS} is AS_TRANS (RFC 6793), never a real AS`);
  }
  if (r.operations?.length && r.action === 'Reject') fail('operations on a Reject rule would never be seen');
}

export function validateBGPFilter(f: BGPFilter): void {
  const who = `bgpfilter "${f.metadata.name}"`;
  for (const list of FILTER_LISTS) {
    const family: Family = list.endsWith('V4') ? 'ipv4' : 'ipv6';
    for (const [i, r] of (f.spec[list] ?? []).entries()) {
      validateRule(r, family, (msg) => {
        throw new ValidationError(`${who}: spec.${list}[${i}].${msg}`);
      });
    }
  }
}
