// The Codec the speaker uses. Interim: built on this folder's own encoder/decoder until the shared
// codec in bgp/wire lands; then this file becomes the adapter onto it and nothing else changes.
import type { Codec } from './codec.js';
import { createFramer, decodeMessage } from './codec-decode.js';
import {
  encodeEndOfRib,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  encodeRouteRefresh,
  encodeUpdates,
} from './codec-encode.js';

export const wireCodec: Codec = {
  framer: createFramer,
  decode: decodeMessage,
  encodeOpen,
  encodeKeepalive,
  encodeNotification,
  encodeRouteRefresh,
  encodeUpdates,
  encodeEndOfRib,
};
