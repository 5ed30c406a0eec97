// The model's public face: resource types, validation and defaults, address arithmetic.
export * from './bgp-configuration.js';
export * from './bgp-filter.js';
export * from './bgp-peer.js';
export * from './bgp-values.js';
export * from './cidr.js';
export * from './ip-reservation.js';
export * from './ipam-configuration.js';
export * from './ipam-records.js';
export * from './ippool.js';
export * from './kinds.js';
export * from './labels.js';
export * from './manifest.js';
export * from './node.js';
export * from './peer-conflict.js';
export * from './resource.js';
export * from './selector.js';
export * from './workload-endpoint.js';
