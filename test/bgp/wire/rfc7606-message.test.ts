// RFC 7606 §2–§5 whole-message rules: missing well-known attributes, repeated attributes and MP
// attributes, unparseable NLRI, attribute overruns, and the strongest action winning (see rfc7606-table.ts).
import test from 'ava';
import { decodeMessage } from '../../../bgp/wire/decode.js';
import { AS_PATH, BASE, MP_REACH_V6, NEXT_HOP, NLRI, ORIGIN, type Row, runTable, update } from './rfc7606-table.js';

const rows: Row[] = [
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

runTable(rows);

test('RFC 7606 §5.2 (a session-wide check): a message length that does not match the header resets', (t) => {
  const m = update({ rfc: '', what: '', attrs: BASE, nlri: NLRI, action: 'none' });
  const d = decodeMessage(m.subarray(0, m.length - 1), { fourOctetAs: true, ebgp: false });
  t.is(d.action, 'session-reset');
});
