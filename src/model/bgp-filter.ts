// BGPFilter: import/export rules a BGPPeer names, first match wins (Calico's BGPFilter shape).
import { parseCidr } from './cidr.js';
import type { Schema } from './fields.js';
import { type Resource, ValidationError } from './resource.js';

export interface BGPFilterRule {
  cidr?: string;
  matchOperator?: 'Equal' | 'NotEqual' | 'In' | 'NotIn';
  /** Only routes from this source (RemotePeers: learned by BGP, not our own). */
  source?: 'RemotePeers';
  action: 'Accept' | 'Reject';
}
export interface BGPFilterSpec {
  exportV4?: BGPFilterRule[];
  importV4?: BGPFilterRule[];
  exportV6?: BGPFilterRule[];
  importV6?: BGPFilterRule[];
}
export type BGPFilter = Resource<'BGPFilter', BGPFilterSpec>;

const rule: Schema = {
  cidr: { type: 'string' },
  matchOperator: { type: 'string', enum: ['Equal', 'NotEqual', 'In', 'NotIn'] },
  source: { type: 'string', enum: ['RemotePeers'] },
  action: { type: 'string', required: true, enum: ['Accept', 'Reject'] },
};
export const bgpFilterSchema: Schema = {
  exportV4: { type: 'list', item: rule },
  importV4: { type: 'list', item: rule },
  exportV6: { type: 'list', item: rule },
  importV6: { type: 'list', item: rule },
};

export function validateBGPFilter(f: BGPFilter): void {
  const who = `bgpfilter "${f.metadata.name}"`;
  for (const list of ['exportV4', 'importV4', 'exportV6', 'importV6'] as const) {
    const family = list.endsWith('V4') ? 4 : 6;
    for (const [i, r] of (f.spec[list] ?? []).entries()) {
      const at = `spec.${list}[${i}]`;
      if (r.cidr === undefined) {
        if (r.matchOperator) throw new ValidationError(`${who}: ${at}.matchOperator needs a cidr`);
        continue;
      }
      const c = parseCidr(r.cidr);
      if (!c.ok) throw new ValidationError(`${who}: ${at}.cidr ${c.reason}`);
      if (c.cidr.family !== family) throw new ValidationError(`${who}: ${at}.cidr ${r.cidr} is not IPv${family}`);
      if (!r.matchOperator) throw new ValidationError(`${who}: ${at}.matchOperator is required with a cidr`);
    }
  }
}
