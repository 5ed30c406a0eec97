// RFC 8654 and RFC 7911 negotiation rules, and the framer limits that follow from them. (The effect at
// a real router is proven in test/bgp/interop/extended-messages.test.ts and add-path.test.ts.)
import test from 'ava';
import { CapabilityOffer } from '../../../bgp/session/capabilities.js';
import { decodeMessage } from '../../../bgp/wire/decode.js';
import { checkHeader } from '../../../bgp/wire/framer.js';
import { encodeOpen } from '../../../bgp/wire/open.js';
import type { Capability } from '../../../bgp/wire/types.js';

/** The peer's OPEN capabilities: IPv4 and IPv6 unicast, route refresh, 4-octet AS, and `extra`. */
const theirs = (...extra: Capability[]): Capability[] => [
  { kind: 'multiprotocol', afi: 1, safi: 1 },
  { kind: 'multiprotocol', afi: 2, safi: 1 },
  { kind: 'route-refresh' },
  { kind: 'four-octet-as', asn: 65002 },
  ...extra,
];
/** RFC 7911 §4 modes: 1 receive, 2 send, 3 both. */
const addPath = (...families: [afi: number, mode: number][]): Capability => ({
  kind: 'add-path',
  families: families.map(([afi, mode]) => ({ afi, safi: 1, mode })),
});
const offered = (caps: Capability[], kind: Capability['kind']) => caps.find((c) => c.kind === kind);

test('extended messages hold only when both sides offer them', (t) => {
  const on = new CapabilityOffer({ asn: 65001, families: ['ipv4'], extendedMessages: true });
  const off = new CapabilityOffer({ asn: 65001, families: ['ipv4'] });
  t.truthy(offered(on.offer(), 'extended-message'));
  t.falsy(offered(off.offer(), 'extended-message'));
  t.true(on.negotiate(theirs({ kind: 'extended-message' })).extendedMessage);
  t.false(on.negotiate(theirs()).extendedMessage);
  t.false(off.negotiate(theirs({ kind: 'extended-message' })).extendedMessage);
});

test('ADD-PATH: we receive where we said receive and they said send, and the mirror image (RFC 7911 §4)', (t) => {
  const both = new CapabilityOffer({ asn: 65001, families: ['ipv4', 'ipv6'], addPaths: 'both' });
  t.deepEqual(offered(both.offer(), 'add-path'), addPath([1, 3], [2, 3]));
  const n = both.negotiate(theirs(addPath([1, 2], [2, 1])));
  t.deepEqual(n.addPathReceive, ['ipv4']);
  t.deepEqual(n.addPathSend, ['ipv6']);
  const rx = new CapabilityOffer({ asn: 65001, families: ['ipv4'], addPaths: 'receive' });
  const r = rx.negotiate(theirs(addPath([1, 1])));
  t.deepEqual([r.addPathReceive, r.addPathSend], [[], []], 'receive meets receive: nothing');
  const none = new CapabilityOffer({ asn: 65001, families: ['ipv4'] });
  t.is(offered(none.offer(), 'add-path'), undefined, 'not configured: not offered');
  t.deepEqual(none.negotiate(theirs(addPath([1, 3]))).addPathReceive, []);
});

test('a peer that refuses ADD-PATH or extended messages (2/7) gets an OPEN without them', (t) => {
  const o = new CapabilityOffer({ asn: 65001, families: ['ipv4'], addPaths: 'both', extendedMessages: true });
  t.true(o.refused(7, Uint8Array.from([69, 4, 0, 1, 1, 3, 6, 0])));
  t.is(offered(o.offer(), 'add-path'), undefined);
  t.is(offered(o.offer(), 'extended-message'), undefined);
});

test('no multiprotocol capability from the peer means IPv4 unicast only (RFC 4760 §8)', (t) => {
  const o = new CapabilityOffer({ asn: 65001, families: ['ipv4', 'ipv6'] });
  t.deepEqual(o.negotiate([{ kind: 'route-refresh' }]).families, ['ipv4']);
  t.deepEqual(o.negotiate(theirs()).families, ['ipv4', 'ipv6']);
});

function header(type: number, len: number): Uint8Array {
  const b = new Uint8Array(19).fill(0xff);
  b[16] = len >> 8;
  b[17] = len & 0xff;
  b[18] = type;
  return b;
}

test('framer: 65535-byte UPDATEs only once extended, an OPEN never above 4096 (RFC 8654 §4)', (t) => {
  t.truthy(checkHeader(header(2, 6000), 0, 4096), 'UPDATE of 6000 refused without extended messages');
  t.is(checkHeader(header(2, 6000), 0, 65535), undefined, 'accepted with them');
  t.is(checkHeader(header(5, 6000), 0, 65535), undefined, 'ROUTE-REFRESH too');
  t.truthy(checkHeader(header(1, 5000), 0, 65535), 'an OPEN above 4096 is a Bad Message Length all the same');
});

test('RFC 8950 extended next hop: offered for IPv4 only when asked, holds only when both sides offer it; OPEN bytes', (t) => {
  const enhe: Capability = { kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] };
  const on = new CapabilityOffer({ asn: 65001, families: ['ipv4', 'ipv6'], extendedNextHop: true });
  t.deepEqual(offered(on.offer(), 'extended-next-hop'), enhe);
  t.is(offered(new CapabilityOffer({ asn: 65001, families: ['ipv4'] }).offer(), 'extended-next-hop'), undefined);
  // nothing to offer on a session without IPv4
  const v6 = new CapabilityOffer({ asn: 65001, families: ['ipv6'], extendedNextHop: true });
  t.is(offered(v6.offer(), 'extended-next-hop'), undefined);
  t.true(on.negotiate(theirs(enhe)).extendedNextHop);
  t.false(on.negotiate(theirs()).extendedNextHop);
  // §3: capability code 5, one triple NLRI AFI 1 / SAFI 1 / next hop AFI 2, and back
  const open = encodeOpen({ myAs: 65001, holdTime: 90, bgpId: '10.0.0.1', capabilities: [enhe] });
  t.true(open.toString('hex').includes('0506000100010002'));
  const back = decodeMessage(open, { fourOctetAs: false, ebgp: true });
  t.deepEqual(back.message?.type === 'open' ? back.message.capabilities : undefined, [enhe]);
});
