// RFC 8654 and RFC 7911 negotiation rules, and the framer limits that follow from them. (The effect at
// a real router is proven in test/bgp/interop/extended-messages.test.ts and add-path.test.ts.)
import test from 'ava';
import { CapabilityOffer } from '../../../bgp/session/capabilities.js';
import type { OpenCapabilities } from '../../../bgp/session/messages.js';
import { checkHeader } from '../../../bgp/wire/framer.js';

const theirs = (extra: Partial<OpenCapabilities>): OpenCapabilities => ({
  families: ['ipv4', 'ipv6'],
  routeRefresh: true,
  enhancedRouteRefresh: false,
  fourOctetAs: 65002,
  ...extra,
});

test('extended messages hold only when both sides offer them', (t) => {
  const on = new CapabilityOffer({ asn: 65001, families: ['ipv4'], extendedMessages: true });
  const off = new CapabilityOffer({ asn: 65001, families: ['ipv4'] });
  t.true(on.offer().extendedMessage);
  t.false(off.offer().extendedMessage);
  t.true(on.negotiate(theirs({ extendedMessage: true })).extendedMessage);
  t.false(on.negotiate(theirs({})).extendedMessage);
  t.false(off.negotiate(theirs({ extendedMessage: true })).extendedMessage);
});

test('ADD-PATH: we receive where we said receive and they said send, and the mirror image (RFC 7911 §4)', (t) => {
  const both = new CapabilityOffer({ asn: 65001, families: ['ipv4', 'ipv6'], addPaths: 'both' });
  t.deepEqual(both.offer().addPath, [
    { family: 'ipv4', mode: 'both' },
    { family: 'ipv6', mode: 'both' },
  ]);
  const n = both.negotiate(
    theirs({
      addPath: [
        { family: 'ipv4', mode: 'send' },
        { family: 'ipv6', mode: 'receive' },
      ],
    }),
  );
  t.deepEqual(n.addPathReceive, ['ipv4']);
  t.deepEqual(n.addPathSend, ['ipv6']);
  const rx = new CapabilityOffer({ asn: 65001, families: ['ipv4'], addPaths: 'receive' });
  const r = rx.negotiate(theirs({ addPath: [{ family: 'ipv4', mode: 'receive' }] }));
  t.deepEqual([r.addPathReceive, r.addPathSend], [[], []], 'receive meets receive: nothing');
  const none = new CapabilityOffer({ asn: 65001, families: ['ipv4'] });
  t.is(none.offer().addPath, undefined, 'not configured: not offered');
  t.deepEqual(none.negotiate(theirs({ addPath: [{ family: 'ipv4', mode: 'both' }] })).addPathReceive, []);
});

test('a peer that refuses ADD-PATH or extended messages (2/7) gets an OPEN without them', (t) => {
  const o = new CapabilityOffer({ asn: 65001, families: ['ipv4'], addPaths: 'both', extendedMessages: true });
  t.true(o.refused(7, Uint8Array.from([69, 4, 0, 1, 1, 3, 6, 0])));
  t.is(o.offer().addPath, undefined);
  t.false(o.offer().extendedMessage);
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
