// The BGP wire codec: bytes ⇄ typed messages, RFC 7606 error actions as data.

export { mergeAs4Path } from './as-path.js';
export { ATTRIBUTE_SPECS, type AttrSpec } from './attributes.js';
export * from './constants.js';
export { decodeMessage } from './decode.js';
export { checkHeader, type FrameError, MessageFramer } from './framer.js';
export {
  decodeKeepalive,
  decodeNotification,
  decodeRouteRefresh,
  encodeKeepalive,
  encodeNotification,
  encodeRouteRefresh,
  frame,
} from './message.js';
export { familyOf } from './mp-reach.js';
export { nlriSize, readNlri, writePrefix, writePrefix4 } from './nlri.js';
export * from './notification.js';
export { decodeOpen, encodeOpen } from './open.js';
export { capabilityCode, checkOpen, peerAsOf } from './open-check.js';
export type * from './types.js';
export { decodeUpdate } from './update-decode.js';
export {
  type AnnounceGroup,
  encodeAttributes,
  encodeEndOfRib,
  encodeUpdate,
  type PackedUpdates,
  type PackOptions,
  type PrefixWriter,
  packBatch,
  packPrefixes,
  packUpdates,
  splitMessages,
  textPrefixes,
  writeAttributes,
} from './update-encode.js';
