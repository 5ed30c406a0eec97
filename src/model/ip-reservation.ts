// IPReservation: addresses inside pools that IPAM never hands out (gateways, VIPs, static hosts).
import { parseCidr } from './cidr.js';
import type { Schema } from './fields.js';
import type { Resource } from './resource.js';

export interface IPReservationSpec {
  reservedCIDRs: string[];
}
export type IPReservation = Resource<'IPReservation', IPReservationSpec>;

export const ipReservationSchema: Schema = {
  reservedCIDRs: {
    type: 'stringList',
    required: true,
    check: (v) => {
      const r = parseCidr(v.includes('/') ? v : `${v}/${v.includes(':') ? 128 : 32}`);
      return r.ok ? undefined : r.reason;
    },
  },
};

export function ipReservationDefaults(r: IPReservation): void {
  r.spec.reservedCIDRs = r.spec.reservedCIDRs.map((v) => (v.includes('/') ? v : `${v}/${v.includes(':') ? 128 : 32}`));
}
