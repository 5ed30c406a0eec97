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
export { type DownReason, describeDown } from './session/down-reason.js';
export { BgpSpeaker, type BgpSpeakerEvents } from './speaker.js';
export { CEASE_SUB, ERR } from './wire/notification.js';
