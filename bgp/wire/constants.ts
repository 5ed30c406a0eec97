// Protocol numbers of the BGP wire format, each with the RFC that defines it. NOTIFICATION codes
// and subcodes are in notification.ts.

/** RFC 4271 §4.1: 16-byte marker, 2-byte length, 1-byte type. */
export const HEADER_LENGTH = 19;
/** RFC 4271 §4.1 maximum message size; RFC 8654 raises it once extended messages are negotiated. */
export const MAX_MESSAGE = 4096;
export const MAX_EXTENDED_MESSAGE = 65535;

/** RFC 4271 §4.1, RFC 2918 §3 message types. */
export const MSG = { OPEN: 1, UPDATE: 2, NOTIFICATION: 3, KEEPALIVE: 4, ROUTE_REFRESH: 5 } as const;

/** RFC 4271 §4.3 attribute flags. */
export const FLAG_OPTIONAL = 0x80;
export const FLAG_TRANSITIVE = 0x40;
export const FLAG_PARTIAL = 0x20;
export const FLAG_EXTENDED = 0x10;

/** Path attribute type codes: RFC 4271 §5, RFC 1997, RFC 4456, RFC 4760, RFC 4360, RFC 6793, RFC 8092. */
export const ATTR = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MED: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8,
  ORIGINATOR_ID: 9,
  CLUSTER_LIST: 10,
  MP_REACH: 14,
  MP_UNREACH: 15,
  EXTENDED_COMMUNITIES: 16,
  AS4_PATH: 17,
  AS4_AGGREGATOR: 18,
  LARGE_COMMUNITY: 32,
} as const;

/** Capability codes (IANA "Capability Codes" registry). */
export const CAP = {
  MULTIPROTOCOL: 1, // RFC 4760
  ROUTE_REFRESH: 2, // RFC 2918
  EXTENDED_NEXT_HOP: 5, // RFC 8950
  EXTENDED_MESSAGE: 6, // RFC 8654
  GRACEFUL_RESTART: 64, // RFC 4724
  FOUR_OCTET_AS: 65, // RFC 6793
  ADD_PATH: 69, // RFC 7911
  ENHANCED_ROUTE_REFRESH: 70, // RFC 7313
  FQDN: 73, // draft-walton-bgp-hostname-capability
} as const;

/** RFC 4760 AFI/SAFI. */
export const AFI_IPV4 = 1;
export const AFI_IPV6 = 2;
export const SAFI_UNICAST = 1;
/** RFC 6793 §9 */
export const AS_TRANS = 23456;
/** RFC 4271 §4.3 and RFC 5065 §3 AS_PATH segment types. */
export const SEG = { AS_SET: 1, AS_SEQUENCE: 2, CONFED_SEQUENCE: 3, CONFED_SET: 4 } as const;
/** RFC 9072 §2: Non-Ext OP Type marking the extended optional parameters length form. */
export const EXTENDED_OPT_PARAMS = 255;
/** RFC 7313 §3.2 ROUTE-REFRESH subtypes. */
export const RR_SUBTYPE = { REQUEST: 0, BORR: 1, EORR: 2 } as const;
