// RFC 7606 revised error handling, as a table: UPDATE bytes (hex: withdrawn routes, path attributes,
// NLRI) → the action the RFC prescribes. Each row names the RFC section it checks. Default context:
// iBGP, 4-octet AS numbers negotiated.
import test from 'ava';
import { decodeMessage } from '../../../bgp/wire/decode.js';
import type { Decoded, ErrorAction, UpdateMessage, WireContext } from '../../../bgp/wire/types.js';

// Building blocks (flags, type, length, value).
const ORIGIN = '40010100';
const AS_PATH = '4002060201 0000fde9'; // AS_SEQUENCE [65001], 4-octet
const NEXT_HOP = '400304 0a000001';
const BASE = ORIGIN + AS_PATH + NEXT_HOP;
const NLRI = '18 0a0100'; // 10.1.0.0/24
const MP_REACH_V6 = '900e001c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001'; // 2001:db8:1::/48

interface Row {
  rfc: string;
  what: string;
  withdrawn?: string;
  attrs: string;
  nlri?: string;
  ctx?: Partial<WireContext>;
  action: ErrorAction;
  /** For session-reset: the NOTIFICATION code/subcode. */
  notify?: [number, number];
  check?: (m: UpdateMessage) => boolean;
}

const rows: Row[] = [
  { rfc: 'RFC 4271 §4.3', what: 'well-formed UPDATE', attrs: BASE, nlri: NLRI, action: 'none' },
  // §7.1 ORIGIN
  {
    rfc: 'RFC 7606 §7.1',
    what: 'ORIGIN length 2',
    attrs: `40010200 00${AS_PATH}${NEXT_HOP}`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §7.1',
    what: 'ORIGIN length 0',
    attrs: `400100${AS_PATH}${NEXT_HOP}`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §7.1',
    what: 'ORIGIN undefined value 3',
    attrs: `40010103${AS_PATH}${NEXT_HOP}`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §3 (c)',
    what: 'ORIGIN flagged optional',
    attrs: `c0010100${AS_PATH}${NEXT_HOP}`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  // §7.2 AS_PATH
  {
    rfc: 'RFC 7606 §7.2',
    what: 'AS_PATH segment overruns the attribute',
    attrs: `${ORIGIN}4002060202 0000fde9${NEXT_HOP}`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §7.2',
    what: 'AS_PATH unknown segment type 5',
    attrs: `${ORIGIN}4002060501 0000fde9${NEXT_HOP}`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §7.2',
    what: 'AS_PATH zero-length segment',
    attrs: `${ORIGIN}4002020200${NEXT_HOP}`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §7.2',
    what: 'AS_PATH 2-octet encoding on a 4-octet session (odd length)',
    attrs: `${ORIGIN}4002040201fde9${NEXT_HOP}`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 4271 §5.1.2',
    what: 'empty AS_PATH (iBGP, locally originated) is valid',
    attrs: `${ORIGIN}400200${NEXT_HOP}`,
    nlri: NLRI,
    action: 'none',
  },
  {
    rfc: 'RFC 7606 §3 (c)',
    what: 'AS_PATH flagged optional',
    attrs: `${ORIGIN}c002060201 0000fde9${NEXT_HOP}`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  // §7.3 NEXT_HOP
  {
    rfc: 'RFC 7606 §7.3',
    what: 'NEXT_HOP length 5',
    attrs: `${ORIGIN}${AS_PATH}400305 0a00000100`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §7.3',
    what: 'NEXT_HOP length 0',
    attrs: `${ORIGIN}${AS_PATH}400300`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §3 (c)',
    what: 'NEXT_HOP flagged optional',
    attrs: `${ORIGIN}${AS_PATH}800304 0a000001`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  // §7.4 MED
  {
    rfc: 'RFC 7606 §7.4',
    what: 'MED length 3',
    attrs: `${BASE}800403 000001`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  { rfc: 'RFC 7606 §7.4', what: 'MED length 0', attrs: `${BASE}800400`, nlri: NLRI, action: 'treat-as-withdraw' },
  {
    rfc: 'RFC 7606 §3 (c)',
    what: 'MED flagged transitive',
    attrs: `${BASE}c00404 00000001`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  // §7.5 LOCAL_PREF
  {
    rfc: 'RFC 7606 §7.5',
    what: 'LOCAL_PREF length 2 (iBGP)',
    attrs: `${BASE}400502 0064`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §7.5',
    what: 'LOCAL_PREF from an eBGP peer is discarded',
    attrs: `${BASE}400504 00000064`,
    nlri: NLRI,
    ctx: { ebgp: true },
    action: 'attribute-discard',
    check: (m) => m.attributes.localPref === undefined,
  },
  {
    rfc: 'RFC 7606 §7.5',
    what: 'malformed LOCAL_PREF from an eBGP peer is still only discarded',
    attrs: `${BASE}400502 0064`,
    nlri: NLRI,
    ctx: { ebgp: true },
    action: 'attribute-discard',
  },
  // §7.6 ATOMIC_AGGREGATE
  {
    rfc: 'RFC 7606 §7.6',
    what: 'ATOMIC_AGGREGATE length 1',
    attrs: `${BASE}400601 00`,
    nlri: NLRI,
    action: 'attribute-discard',
    check: (m) => m.attributes.atomicAggregate === undefined,
  },
  {
    rfc: 'RFC 7606 §7.6',
    what: 'ATOMIC_AGGREGATE flagged optional',
    attrs: `${BASE}800600`,
    nlri: NLRI,
    action: 'attribute-discard',
  },
  // §7.7 AGGREGATOR
  {
    rfc: 'RFC 7606 §7.7',
    what: 'AGGREGATOR length 7 (4-octet session)',
    attrs: `${BASE}c00707 0000fde9 0a0000`,
    nlri: NLRI,
    action: 'attribute-discard',
    check: (m) => m.attributes.aggregator === undefined,
  },
  {
    rfc: 'RFC 7606 §7.7',
    what: 'AGGREGATOR 6 bytes on a 4-octet session',
    attrs: `${BASE}c00706 fde9 0a000001`,
    nlri: NLRI,
    action: 'attribute-discard',
  },
  {
    rfc: 'RFC 7606 §7.7',
    what: 'AGGREGATOR well-formed',
    attrs: `${BASE}c00708 0000fde9 0a000001`,
    nlri: NLRI,
    action: 'none',
    check: (m) => m.attributes.aggregator?.asn === 65001,
  },
  // §7.8 COMMUNITIES
  {
    rfc: 'RFC 7606 §7.8',
    what: 'COMMUNITIES length 0',
    attrs: `${BASE}c00800`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §7.8',
    what: 'COMMUNITIES length 5',
    attrs: `${BASE}c00805 fde90001 00`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §3 (c)',
    what: 'COMMUNITIES flagged non-transitive',
    attrs: `${BASE}800804 fde90001`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  // §7.9 ORIGINATOR_ID
  {
    rfc: 'RFC 7606 §7.9',
    what: 'ORIGINATOR_ID length 3 (iBGP)',
    attrs: `${BASE}800903 0a0000`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §7.9',
    what: 'ORIGINATOR_ID from an eBGP peer is discarded',
    attrs: `${BASE}800904 0a000009`,
    nlri: NLRI,
    ctx: { ebgp: true },
    action: 'attribute-discard',
    check: (m) => m.attributes.originatorId === undefined,
  },
  // §7.10 CLUSTER_LIST
  {
    rfc: 'RFC 7606 §7.10',
    what: 'CLUSTER_LIST length 0',
    attrs: `${BASE}800a00`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §7.10',
    what: 'CLUSTER_LIST length 6',
    attrs: `${BASE}800a06 0a0000010a00`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §7.10',
    what: 'CLUSTER_LIST from an eBGP peer is discarded',
    attrs: `${BASE}800a04 0a000001`,
    nlri: NLRI,
    ctx: { ebgp: true },
    action: 'attribute-discard',
  },
  // §7.11 MP_REACH_NLRI
  {
    rfc: 'RFC 4760 §3',
    what: 'IPv6 MP_REACH_NLRI without NEXT_HOP is complete',
    attrs: MP_REACH_V6 + ORIGIN + AS_PATH,
    action: 'none',
    check: (m) => m.attributes.mpReach?.nlri.prefixes[0] === '2001:db8:1::/48',
  },
  {
    rfc: 'RFC 7606 §7.11',
    what: 'IPv6 next hop length 12',
    attrs: `${ORIGIN}${AS_PATH}900e0016 0002 01 0c 20010db80000000000000000 00 30 20010db80001`,
    action: 'session-reset',
    notify: [3, 9],
  },
  {
    rfc: 'RFC 7606 §7.11',
    what: 'IPv4 next hop length 5',
    attrs: `${ORIGIN}${AS_PATH}900e000c 0001 01 05 0a00000100 00 18 0a0100`,
    action: 'session-reset',
    notify: [3, 9],
  },
  {
    rfc: 'RFC 7606 §7.11',
    what: 'next hop runs past the attribute',
    attrs: `${ORIGIN}${AS_PATH}900e0006 0002 01 10 2001`,
    action: 'session-reset',
    notify: [3, 9],
  },
  {
    rfc: 'RFC 7606 §7.11',
    what: 'MP_REACH_NLRI prefix length 129',
    attrs: `${ORIGIN}${AS_PATH}900e0016 0002 01 10 20010db8000000000000000000000001 00 81`,
    action: 'session-reset',
    notify: [3, 9],
  },
  {
    rfc: 'RFC 7606 §7.11',
    what: 'MP_REACH_NLRI prefix overruns',
    attrs: `${ORIGIN}${AS_PATH}900e0018 0002 01 10 20010db8000000000000000000000001 00 40 20010db8`,
    action: 'session-reset',
    notify: [3, 9],
  },
  {
    rfc: 'RFC 7606 §7.11',
    what: 'MP_REACH_NLRI shorter than AFI/SAFI/next hop length/reserved',
    attrs: `900e0003 000201${ORIGIN}${AS_PATH}`,
    action: 'session-reset',
    notify: [3, 9],
  },
  {
    rfc: 'RFC 7606 §3 (c), §7.11',
    what: 'MP_REACH_NLRI flagged transitive',
    attrs: `d00e001c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001${ORIGIN}${AS_PATH}`,
    action: 'session-reset',
  },
  {
    rfc: 'RFC 4760 §3',
    what: 'IPv6 global + link-local next hop (32 bytes)',
    attrs: `900e002c 0002 01 20 20010db8000000000000000000000001 fe800000000000000000000000000001 00 30 20010db80001${ORIGIN}${AS_PATH}`,
    action: 'none',
    check: (m) => m.attributes.mpReach?.linkLocal === 'fe80::1',
  },
  // §7.12 MP_UNREACH_NLRI
  {
    rfc: 'RFC 7606 §7.12',
    what: 'MP_UNREACH_NLRI prefix length 200',
    attrs: '900f0004 000201 c8',
    action: 'session-reset',
    notify: [3, 9],
  },
  {
    rfc: 'RFC 7606 §7.12',
    what: 'MP_UNREACH_NLRI shorter than AFI/SAFI',
    attrs: '900f0002 0002',
    action: 'session-reset',
    notify: [3, 9],
  },
  // §7.14 EXTENDED COMMUNITIES, RFC 8092 LARGE_COMMUNITY, RFC 6793 AS4_*
  {
    rfc: 'RFC 7606 §7.14',
    what: 'EXTENDED_COMMUNITIES length 7',
    attrs: `${BASE}c01007 00020000fde900`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §7.14',
    what: 'EXTENDED_COMMUNITIES length 0',
    attrs: `${BASE}c01000`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 8092 §5',
    what: 'LARGE_COMMUNITY length 11',
    attrs: `${BASE}c0200b 0000fde9000000010000`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 8092 §5',
    what: 'LARGE_COMMUNITY length 0',
    attrs: `${BASE}c02000`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 6793 §6',
    what: 'malformed AS4_PATH (2-octet session) is discarded',
    attrs: `${ORIGIN}4002040201 5ba0${NEXT_HOP}c01106 0202 0000fde9`,
    nlri: NLRI,
    ctx: { fourOctetAs: false },
    action: 'attribute-discard',
    check: (m) => m.attributes.asPath?.[0]?.asns[0] === 23456,
  },
  {
    rfc: 'RFC 6793 §6',
    what: 'AS4_AGGREGATOR length 6 is discarded',
    attrs: `${ORIGIN}4002040201 fde9${NEXT_HOP}c01206 fde9 0a000001`,
    nlri: NLRI,
    ctx: { fourOctetAs: false },
    action: 'attribute-discard',
  },
  {
    rfc: 'RFC 6793 §4.2.3',
    what: 'AS4_PATH merged into a 2-octet AS_PATH',
    attrs: `${ORIGIN}4002060202 fde9 5ba0${NEXT_HOP}c01106 0201 fa56ea01`,
    nlri: NLRI,
    ctx: { fourOctetAs: false },
    action: 'none',
    check: (m) => JSON.stringify(m.attributes.asPath) === '[{"type":2,"asns":[65001,4200000001]}]',
  },
  {
    rfc: 'RFC 6793 §6',
    what: 'AS4_PATH between 4-octet speakers is discarded',
    attrs: `${BASE}c01106 0201 fa56ea01`,
    nlri: NLRI,
    action: 'attribute-discard',
  },
  // §3 whole-message rules
  {
    rfc: 'RFC 7606 §3 (d)',
    what: 'missing ORIGIN',
    attrs: AS_PATH + NEXT_HOP,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §3 (d)',
    what: 'missing AS_PATH',
    attrs: ORIGIN + NEXT_HOP,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §3 (d)',
    what: 'missing NEXT_HOP with IPv4 NLRI',
    attrs: ORIGIN + AS_PATH,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §3 (d)',
    what: 'missing ORIGIN with MP_REACH_NLRI',
    attrs: MP_REACH_V6 + AS_PATH,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §3 (d)',
    what: 'no mandatory attributes needed for a withdrawal only',
    withdrawn: NLRI,
    attrs: '',
    action: 'none',
  },
  {
    rfc: 'RFC 7606 §3 (g)',
    what: 'ORIGIN twice: the first is kept',
    attrs: `${BASE}40010102`,
    nlri: NLRI,
    action: 'attribute-discard',
    check: (m) => m.attributes.origin === 0,
  },
  {
    rfc: 'RFC 7606 §3 (g)',
    what: 'unknown optional attribute twice',
    attrs: `${BASE}c0630101c0630102`,
    nlri: NLRI,
    action: 'attribute-discard',
    check: (m) => m.attributes.unknown?.length === 1,
  },
  {
    rfc: 'RFC 7606 §3 (g)',
    what: 'MP_REACH_NLRI twice',
    attrs: MP_REACH_V6 + MP_REACH_V6 + ORIGIN + AS_PATH,
    action: 'session-reset',
    notify: [3, 1],
  },
  {
    rfc: 'RFC 7606 §3 (g)',
    what: 'MP_UNREACH_NLRI twice',
    attrs: '900f0003000201900f0003000201',
    action: 'session-reset',
    notify: [3, 1],
  },
  {
    rfc: 'RFC 7606 §3 (j), §5.3',
    what: 'NLRI prefix length 33',
    attrs: BASE,
    nlri: '21 0a010000 00',
    action: 'session-reset',
    notify: [3, 10],
  },
  {
    rfc: 'RFC 7606 §3 (j), §5.3',
    what: 'NLRI prefix overruns the message',
    attrs: BASE,
    nlri: '18 0a01',
    action: 'session-reset',
    notify: [3, 10],
  },
  {
    rfc: 'RFC 7606 §5.3',
    what: 'withdrawn routes prefix length 40',
    withdrawn: '28 0a010000 00',
    attrs: '',
    action: 'session-reset',
    notify: [3, 10],
  },
  {
    rfc: 'RFC 7606 §4',
    what: 'last attribute runs past the attribute field (NLRI present)',
    attrs: `${BASE}c00808 fde90001`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §4',
    what: 'fewer than 3 bytes left for an attribute header',
    attrs: `${BASE}c008`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §4',
    what: 'attribute overrun and no NLRI to withdraw',
    attrs: `${ORIGIN}4002ff02`,
    action: 'session-reset',
    notify: [3, 1],
  },
  {
    rfc: 'RFC 4271 §6.3',
    what: 'unrecognized well-known attribute',
    attrs: `${BASE}40630100`,
    nlri: NLRI,
    action: 'session-reset',
    notify: [3, 2],
  },
  {
    rfc: 'RFC 4271 §5',
    what: 'unknown optional transitive is kept with the Partial bit',
    attrs: `${BASE}c0630101`,
    nlri: NLRI,
    action: 'none',
    check: (m) => m.attributes.unknown?.[0]?.flags === 0xe0,
  },
  {
    rfc: 'RFC 4271 §5',
    what: 'unknown optional non-transitive is dropped quietly',
    attrs: `${BASE}80630101`,
    nlri: NLRI,
    action: 'none',
    check: (m) => m.attributes.unknown === undefined,
  },
  // §2: several errors, the strongest action wins.
  {
    rfc: 'RFC 7606 §2',
    what: 'attribute-discard + treat-as-withdraw → treat-as-withdraw',
    attrs: `40010103${AS_PATH}${NEXT_HOP}400601 00`,
    nlri: NLRI,
    action: 'treat-as-withdraw',
  },
  {
    rfc: 'RFC 7606 §2',
    what: 'treat-as-withdraw + session reset → session reset',
    attrs: `40010103${AS_PATH}900f0003000201900f0003000201`,
    nlri: NLRI,
    action: 'session-reset',
    notify: [3, 1],
  },
];

function update(row: Row): Buffer {
  const w = Buffer.from((row.withdrawn ?? '').replace(/ /g, ''), 'hex');
  const a = Buffer.from(row.attrs.replace(/ /g, ''), 'hex');
  const n = Buffer.from((row.nlri ?? '').replace(/ /g, ''), 'hex');
  const body = Buffer.concat([
    Buffer.from([w.length >> 8, w.length & 0xff]),
    w,
    Buffer.from([a.length >> 8, a.length & 0xff]),
    a,
    n,
  ]);
  const header = Buffer.alloc(19, 0xff);
  header.writeUInt16BE(19 + body.length, 16);
  header[18] = 2;
  return Buffer.concat([header, body]);
}

for (const row of rows) {
  test(`${row.rfc}: ${row.what} → ${row.action}`, (t) => {
    const ctx: WireContext = { fourOctetAs: true, ebgp: false, ...row.ctx };
    let d: Decoded | undefined;
    t.notThrows(() => {
      d = decodeMessage(update(row), ctx);
    });
    t.is(d!.action, row.action, d!.errors.join('; '));
    if (row.action === 'session-reset') {
      t.is(d!.message, undefined);
      t.truthy(d!.notification);
      if (row.notify) t.deepEqual([d!.notification!.code, d!.notification!.subcode], row.notify);
    } else {
      t.is(d!.message?.type, 'update');
      if (row.action !== 'none') t.true(d!.errors.length > 0);
    }
    if (row.check) t.true(row.check(d!.message as UpdateMessage), JSON.stringify(d!.message));
  });
}

test('RFC 7606 §5.2 (a session-wide check): a message length that does not match the header resets', (t) => {
  const m = update({ rfc: '', what: '', attrs: BASE, nlri: NLRI, action: 'none' });
  const d = decodeMessage(m.subarray(0, m.length - 1), { fourOctetAs: true, ebgp: false });
  t.is(d.action, 'session-reset');
});
