// NOTIFICATION error codes and subcodes, each with the RFC section that defines it, their names for
// people reading status and logs, and the one shape every "refuse with a NOTIFICATION" takes
// (Refusal): the framer, the decoders, the OPEN checks and the session all hand one over.

/** RFC 4271 §4.5 error codes; RFC 7313 §5 adds ROUTE-REFRESH Message Error. */
export const ERR = {
  HEADER: 1,
  OPEN: 2,
  UPDATE: 3,
  HOLD_TIMER: 4,
  FSM: 5,
  CEASE: 6,
  ROUTE_REFRESH: 7,
} as const;

/** RFC 4271 §6.1 Message Header Error subcodes. */
export const HEADER_SUB = { NOT_SYNCHRONIZED: 1, BAD_LENGTH: 2, BAD_TYPE: 3 } as const;

/** RFC 4271 §6.2 OPEN Message Error subcodes; 7 is RFC 5492 §5. */
export const OPEN_SUB = {
  UNSUPPORTED_VERSION: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_ID: 3,
  UNSUPPORTED_PARAMETER: 4,
  UNACCEPTABLE_HOLD_TIME: 6,
  UNSUPPORTED_CAPABILITY: 7,
} as const;

/** RFC 4271 §6.3 UPDATE Message Error subcodes. */
export const UPDATE_SUB = {
  MALFORMED_ATTRIBUTE_LIST: 1,
  UNRECOGNIZED_WELL_KNOWN: 2,
  MISSING_WELL_KNOWN: 3,
  ATTRIBUTE_FLAGS: 4,
  ATTRIBUTE_LENGTH: 5,
  INVALID_ORIGIN: 6,
  INVALID_NEXT_HOP: 8,
  OPTIONAL_ATTRIBUTE: 9,
  INVALID_NETWORK_FIELD: 10,
  MALFORMED_AS_PATH: 11,
} as const;

/** RFC 6608 §4 Finite State Machine Error subcodes: the state the unexpected message arrived in. */
export const FSM_SUB = { UNSPECIFIED: 0, IN_OPENSENT: 1, IN_OPENCONFIRM: 2, IN_ESTABLISHED: 3 } as const;

/** RFC 4486 §4 Cease subcodes (9 is RFC 8538 §5); 2 and 4 may carry a shutdown communication (RFC 9003). */
export const CEASE_SUB = {
  MAX_PREFIXES: 1,
  ADMIN_SHUTDOWN: 2,
  PEER_DECONFIGURED: 3,
  ADMIN_RESET: 4,
  CONNECTION_REJECTED: 5,
  OTHER_CONFIG_CHANGE: 6,
  COLLISION: 7,
  OUT_OF_RESOURCES: 8,
  HARD_RESET: 9,
} as const;

/** RFC 7313 §5 ROUTE-REFRESH Message Error subcodes. */
export const ROUTE_REFRESH_SUB = { INVALID_LENGTH: 1 } as const;

/** A NOTIFICATION to send (or one received): code, subcode and the data field. */
export interface Notify {
  code: number;
  subcode: number;
  data?: Uint8Array;
}

/** A refusal: the NOTIFICATION that answers it and, for logs, what was wrong. */
export interface Refusal {
  notification: Notify;
  error: string;
}

/** RFC 4486 names of the Cease subcodes, for people reading status and logs. */
const CEASE_NAMES: Record<number, string> = {
  [CEASE_SUB.MAX_PREFIXES]: 'maximum number of prefixes reached',
  [CEASE_SUB.ADMIN_SHUTDOWN]: 'administrative shutdown',
  [CEASE_SUB.PEER_DECONFIGURED]: 'peer de-configured',
  [CEASE_SUB.ADMIN_RESET]: 'administrative reset',
  [CEASE_SUB.CONNECTION_REJECTED]: 'connection rejected',
  [CEASE_SUB.OTHER_CONFIG_CHANGE]: 'other configuration change',
  [CEASE_SUB.COLLISION]: 'connection collision resolution',
};

/** `received NOTIFICATION 6/2 (administrative shutdown): "maintenance"`, with the shutdown text as sent. */
export function notificationReason(
  code: number,
  subcode: number,
  text?: string,
  direction: 'sent' | 'received' = 'received',
): string {
  const name = code === ERR.CEASE ? CEASE_NAMES[subcode] : undefined;
  let reason = `${direction} NOTIFICATION ${code}/${subcode}`;
  if (name) reason += ` (${name})`;
  if (text) reason += `: ${JSON.stringify(text)}`;
  return reason;
}
