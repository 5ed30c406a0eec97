// The datastore's public face.
export * from './connect.js';
export * from './datastore.js';
export * from './errors.js';
export * from './keys.js';
export { type Compare, Kv, type Op, prefixEnd, type TxnResult, type Versioned, type WatchEvent } from './kv.js';
export * from './lease.js';
export * from './node-status.js';
