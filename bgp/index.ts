// The public face of the BGP speaker. Everything the agent (or any other user) needs is here; the
// folders behind it (session/, rib/, policy/, wire/) are free to change.
export type {
  AddPathMode,
  AddressFamily,
  BestPathEvent,
  LocalRouteAttributes,
  Logger,
  MaxPrefix,
  NegotiatedCapabilities,
  PeerOptions,
  PeerStateEvent,
  PeerStateName,
  PeerStatus,
  RouteView,
  SessionSocketOptions,
  SocketOptionsHook,
  SpeakerOptions,
} from './config.js';
export type { AsPathMatch, Policy, PolicyActions, PolicyMatch, PolicyRule, PrefixMatch } from './policy/policy.js';
export { canonicalPrefix } from './prefix.js';
export type { NextHopMode } from './rib/propagation.js';
export {
  CEASE_ADMIN_RESET,
  CEASE_ADMIN_SHUTDOWN,
  CEASE_COLLISION,
  CEASE_CONNECTION_REJECTED,
  CEASE_MAX_PREFIX,
  CEASE_PEER_DECONFIGURED,
} from './session/fsm.js';
export { BgpSpeaker, type BgpSpeakerEvents } from './speaker.js';
