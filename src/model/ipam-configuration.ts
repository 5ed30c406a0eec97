// IPAMConfiguration "default": cluster-wide IPAM behaviour (Calico's IPAMConfig).
import type { Schema } from './fields.js';
import { type Resource, ValidationError } from './resource.js';

export interface IPAMConfigurationSpec {
  /** Never borrow from another host's block: a host only uses blocks affine to it. */
  strictAffinity?: boolean;
  /** At most this many blocks per host and family; 0 = no limit. */
  maxBlocksPerHost?: number;
}
export type IPAMConfiguration = Resource<'IPAMConfiguration', IPAMConfigurationSpec>;

export const ipamConfigurationSchema: Schema = {
  strictAffinity: { type: 'bool' },
  maxBlocksPerHost: { type: 'int', min: 0 },
};

export function ipamConfigurationDefaults(c: IPAMConfiguration): void {
  c.spec.strictAffinity ??= false;
  c.spec.maxBlocksPerHost ??= 0;
}

export function validateIPAMConfiguration(c: IPAMConfiguration): void {
  if (c.metadata.name !== 'default')
    throw new ValidationError(`ipamconfiguration "${c.metadata.name}": the name must be "default"`);
}
