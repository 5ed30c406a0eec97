// IPReservation: addresses inside pools that IPAM never hands out (gateways, VIPs, static hosts).
import { hostPrefix, parseCidr } from './cidr.js';
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
      const r = parseCidr(v.includes('/') ? v : hostPrefix(v));
      return r.ok ? undefined : r.reason;
    },
  },
};

export function ipReservationDefaults(r: IPReservation): void {
  r.spec.reservedCIDRs = r.spec.reservedCIDRs.map((v) => (v.includes('/') ? v : hostPrefix(v)));
}
