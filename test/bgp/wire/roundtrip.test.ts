// Property tests: for generated messages of every type, decode(encode(m)) deep-equals m; and the
// framer returns the same messages however the byte stream is cut.
import test from 'ava';
import fc from 'fast-check';
import { bytesToIpv4, bytesToIpv6 } from '../../../bgp/prefix.js';
import { keyText, newScratch } from '../../../bgp/rib/prefix-key.js';
import { CAP } from '../../../bgp/wire/constants.js';
import { decodeMessage } from '../../../bgp/wire/decode.js';
import { MessageFramer } from '../../../bgp/wire/framer.js';
import { encodeKeepalive, encodeNotification, encodeRouteRefresh } from '../../../bgp/wire/message.js';
import { readPrefixAt } from '../../../bgp/wire/nlri.js';
import { encodeOpen } from '../../../bgp/wire/open.js';
import { checkOpen } from '../../../bgp/wire/open-check.js';
import type { Attributes, Capability, Nlri, OpenMessage, UpdateMessage, WireContext } from '../../../bgp/wire/types.js';
import { encodeEndOfRib, encodeUpdate } from '../../../bgp/wire/update-encode.js';

const RUNS = { numRuns: 300 };
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => bytesToIpv4(b));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => bytesToIpv6(b));

function prefix(bits: number) {
  return fc
    .tuple(fc.uint8Array({ minLength: bits / 8, maxLength: bits / 8 }), fc.integer({ min: 0, max: bits }))
    .map(([b, len]) => {
      const bytes = Uint8Array.from(b);
      for (let i = 0; i < bytes.length; i++) {
        const keep = Math.max(0, Math.min(8, len - i * 8));
        bytes[i]! &= (0xff << (8 - keep)) & 0xff;
      }
      return `${bits === 32 ? bytesToIpv4(bytes) : bytesToIpv6(bytes)}/${len}`;
    });
}

const nlri = (bits: number, addPath: boolean, max: number): fc.Arbitrary<Nlri> =>
  addPath
    ? fc
        .array(fc.tuple(prefix(bits), u32), { maxLength: max })
        .map((xs) => ({ prefixes: xs.map((x) => x[0]), pathIds: xs.map((x) => x[1]) }))
    : fc.array(prefix(bits), { maxLength: max }).map((prefixes) => ({ prefixes }));

// Codes the decoder reads into their own kind: an 'unknown' one must not use them (from the table, so
// a capability added later is excluded too; RFC 8950's 5 once slipped through a literal list).
const KNOWN_CAPS = new Set<number>(Object.values(CAP));
const capability: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({ kind: fc.constant('multiprotocol' as const), afi: u16, safi: fc.integer({ min: 0, max: 255 }) }),
  fc.constant({ kind: 'route-refresh' as const }),
  fc.constant({ kind: 'enhanced-route-refresh' as const }),
  fc.constant({ kind: 'extended-message' as const }),
  fc.record({ kind: fc.constant('four-octet-as' as const), asn: u32 }),
  fc.record({
    kind: fc.constant('graceful-restart' as const),
    restarting: fc.boolean(),
    notification: fc.boolean(),
    restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(fc.record({ afi: u16, safi: fc.integer({ min: 0, max: 255 }), forwarding: fc.boolean() }), {
      maxLength: 4,
    }),
  }),
  fc.record({
    kind: fc.constant('add-path' as const),
    families: fc.array(
      fc.record({ afi: u16, safi: fc.integer({ min: 0, max: 255 }), mode: fc.integer({ min: 1, max: 3 }) }),
      { minLength: 1, maxLength: 4 },
    ),
  }),
  fc.record({
    kind: fc.constant('fqdn' as const),
    hostname: fc.stringMatching(/^[a-z0-9.-]{0,30}$/),
    domain: fc.stringMatching(/^[a-z0-9.-]{0,30}$/),
  }),
  fc.record({
    kind: fc.constant('unknown' as const),
    code: fc.integer({ min: 0, max: 255 }).filter((c) => !KNOWN_CAPS.has(c)),
    value: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('hex')),
  }),
);

const open: fc.Arbitrary<OpenMessage> = fc.record({
  type: fc.constant('open' as const),
  version: fc.constant(4),
  myAs: u16,
  holdTime: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 0xffff })),
  bgpId: ipv4.filter((a) => a !== '0.0.0.0'),
  // Up to 30 capabilities: past 255 bytes the RFC 9072 extended form is used.
  capabilities: fc.array(capability, { maxLength: 30 }),
});

test('OPEN: decode(encode(m)) equals m (incl. RFC 9072 extended parameters)', (t) => {
  fc.assert(
    fc.property(open, (m) => {
      const d = decodeMessage(encodeOpen(m), { fourOctetAs: true, ebgp: false });
      t.deepEqual(d.message, m);
      return d.action === 'none';
    }),
    RUNS,
  );
  t.pass();
});

const segment = (four: boolean, types: number[]) =>
  fc.record({
    type: fc.constantFrom(...types),
    asns: fc.array(four ? u32 : fc.integer({ min: 1, max: 0xffff }), { minLength: 1, maxLength: 8 }),
  });

const KNOWN_ATTRS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32]);

function attributes(ctx: WireContext): fc.Arbitrary<Attributes> {
  const six = ctx.addPath?.ipv6 ?? false;
  // Toward a 2-octet speaker, ASNs above 65535 travel in AS4_PATH, which has no confederation segments.
  const segTypes = ctx.fourOctetAs ? [1, 2, 3, 4] : [1, 2];
  return fc.record(
    {
      origin: fc.integer({ min: 0, max: 2 }),
      asPath: fc.array(segment(true, segTypes), { maxLength: 5 }),
      nextHop: ipv4,
      med: u32,
      localPref: u32,
      atomicAggregate: fc.constant(true),
      aggregator: fc.record({ asn: u32, address: ipv4 }),
      communities: fc.array(u32, { minLength: 1, maxLength: 10 }),
      originatorId: ipv4,
      clusterList: fc.array(ipv4, { minLength: 1, maxLength: 5 }),
      extendedCommunities: fc.array(
        fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b).toString('hex')),
        { minLength: 1, maxLength: 5 },
      ),
      largeCommunities: fc.array(
        fc.tuple(u32, u32, u32).map((x) => x.join(':')),
        { minLength: 1, maxLength: 10 },
      ),
      mpReach: fc.record(
        { afi: fc.constant(2), safi: fc.constant(1), nextHop: ipv6, linkLocal: ipv6, nlri: nlri(128, six, 25) },
        { requiredKeys: ['afi', 'safi', 'nextHop', 'nlri'] },
      ),
      mpUnreach: fc.record({ afi: fc.constant(2), safi: fc.constant(1), withdrawn: nlri(128, six, 25) }),
      unknown: fc
        .uniqueArray(
          fc.record({
            flags: fc.constant(0xe0),
            type: fc.integer({ min: 19, max: 255 }).filter((x) => !KNOWN_ATTRS.has(x)),
            value: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('hex')),
          }),
          { selector: (u) => u.type, maxLength: 3 },
        )
        .filter((u) => u.length > 0),
    },
    { requiredKeys: [] },
  );
}

/** UPDATEs with every attribute and IPv4 NLRI (with path IDs when the context has ADD-PATH). */
function updates(ctx: WireContext): fc.Arbitrary<UpdateMessage> {
  const four = ctx.addPath?.ipv4 ?? false;
  return fc.record({
    type: fc.constant('update' as const),
    withdrawn: nlri(32, four, 30),
    attributes: attributes(ctx),
    nlri: nlri(32, four, 30),
  });
}

for (const ctx of [
  { fourOctetAs: true, ebgp: false },
  { fourOctetAs: false, ebgp: false },
  { fourOctetAs: true, ebgp: false, addPath: { ipv4: true, ipv6: true } },
] as WireContext[]) {
  test(`UPDATE: decode(encode(m)) equals m (${JSON.stringify(ctx)})`, (t) => {
    const update = updates(ctx);
    fc.assert(
      fc.property(update, (m) => {
        const bytes = encodeUpdate(m, ctx);
        const d = decodeMessage(bytes, ctx);
        t.not(d.action, 'session-reset', d.errors.join('; '));
        t.deepEqual(d.message, m);
      }),
      RUNS,
    );
    t.pass();
  });
}

test("UPDATE in wire form (the speaker's path): each field reads back the prefixes text decoding gives", (t) => {
  const target = newScratch();
  for (const ctx of [
    { fourOctetAs: true, ebgp: false },
    { fourOctetAs: true, ebgp: false, addPath: { ipv4: true, ipv6: true } },
  ] as WireContext[]) {
    const update = updates(ctx);
    fc.assert(
      fc.property(update, (m) => {
        const bytes = encodeUpdate(m, ctx);
        const text = decodeMessage(bytes, ctx).message as UpdateMessage;
        const wire = decodeMessage(bytes, { ...ctx, wireNlri: true }).message as UpdateMessage;
        const read = (n: Nlri) => {
          const out: string[] = [];
          let off = n.wire!.start;
          target.family = n.wire!.family === 'ipv4' ? 0 : 1;
          for (let i = 0; i < n.wire!.count; i++) {
            off = readPrefixAt(n.wire!, off, target);
            out.push(keyText(target));
          }
          return out;
        };
        t.deepEqual(read(wire.withdrawn), text.withdrawn.prefixes);
        t.deepEqual(read(wire.nlri), text.nlri.prefixes);
        if (text.attributes.mpReach)
          t.deepEqual(read(wire.attributes.mpReach!.nlri), text.attributes.mpReach.nlri.prefixes);
        if (text.attributes.mpUnreach)
          t.deepEqual(read(wire.attributes.mpUnreach!.withdrawn), text.attributes.mpUnreach.withdrawn.prefixes);
      }),
      RUNS,
    );
  }
  t.pass();
});

test('End-of-RIB (RFC 4724 §2) for IPv4 and IPv6 decode to empty UPDATEs', (t) => {
  const ctx = { fourOctetAs: true, ebgp: false };
  t.deepEqual(decodeMessage(encodeEndOfRib(1, 1), ctx).message, {
    type: 'update',
    withdrawn: { prefixes: [] },
    attributes: {},
    nlri: { prefixes: [] },
  });
  t.deepEqual(decodeMessage(encodeEndOfRib(2, 1), ctx).message, {
    type: 'update',
    withdrawn: { prefixes: [] },
    attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: { prefixes: [] } } },
    nlri: { prefixes: [] },
  });
});

test('NOTIFICATION: decode(encode(m)) equals m; Cease shutdown communication (RFC 8203/9003) as text', (t) => {
  const ctx = { fourOctetAs: true, ebgp: false };
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ maxLength: 100 }),
      (code, subcode, data) => {
        const d = decodeMessage(encodeNotification(code, subcode, data), ctx);
        t.deepEqual(d.message, { type: 'notification', code, subcode, data: Buffer.from(data).toString('hex') });
      },
    ),
    RUNS,
  );
  fc.assert(
    fc.property(fc.constantFrom(2, 4), fc.string({ unit: 'grapheme', maxLength: 20 }), (subcode, text) => {
      const d = decodeMessage(encodeNotification(6, subcode, text), ctx);
      t.like(d.message, { type: 'notification', code: 6, subcode, shutdownCommunication: text });
    }),
    RUNS,
  );
  t.pass();
});

test('KEEPALIVE and ROUTE-REFRESH (with RFC 7313 BoRR/EoRR): decode(encode(m)) equals m', (t) => {
  const ctx = { fourOctetAs: true, ebgp: false };
  t.deepEqual(decodeMessage(encodeKeepalive(), ctx).message, { type: 'keepalive' });
  fc.assert(
    fc.property(u16, fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 255 }), (afi, subtype, safi) => {
      t.deepEqual(decodeMessage(encodeRouteRefresh(afi, safi, subtype), ctx).message, {
        type: 'route-refresh',
        afi,
        subtype,
        safi,
      });
    }),
    RUNS,
  );
  t.pass();
});

test('framer: the same messages however the stream is cut', (t) => {
  const msgs = [
    encodeKeepalive(),
    encodeNotification(6, 2, 'bye'),
    encodeEndOfRib(2, 1),
    encodeRouteRefresh(1, 1, 1),
    encodeKeepalive(),
  ];
  const stream = Buffer.concat(msgs);
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 10 }), (cuts) => {
      const f = new MessageFramer();
      const got: Buffer[] = [];
      let from = 0;
      for (const c of [...cuts.sort((a, b) => a - b), stream.length]) {
        const r = f.push(Buffer.from(stream.subarray(from, c)));
        if (!Array.isArray(r)) throw new Error(r.error);
        got.push(...r);
        from = c;
      }
      t.deepEqual(
        got.map((g) => g.toString('hex')),
        msgs.map((m) => m.toString('hex')),
      );
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test('framer: RFC 4271 §6.1 header errors', (t) => {
  const bad = (hex: string) => {
    const r = new MessageFramer().push(Buffer.from(hex, 'hex'));
    return Array.isArray(r)
      ? undefined
      : [r.notification.code, r.notification.subcode, Buffer.from(r.notification.data ?? []).toString('hex')];
  };
  const ff = 'ff'.repeat(16);
  t.deepEqual(bad(`${'ff'.repeat(15)}fe001304`), [1, 1, '']);
  t.deepEqual(bad(`${ff}001206`.padEnd(38, '0')), [1, 3, '06']);
  t.deepEqual(bad(`${ff}001204`), [1, 2, '0012']);
  t.deepEqual(bad(`${ff}001404`), [1, 2, '0014'], 'KEEPALIVE must be exactly 19');
  t.deepEqual(bad(`${ff}100102`), [1, 2, '1001'], 'over 4096 without extended messages');
  t.deepEqual(bad(`${ff}001c01`), [1, 2, '001c'], 'OPEN below 29');
  const ext = new MessageFramer();
  ext.enableExtendedMessages();
  t.true(Array.isArray(ext.push(Buffer.from(`${ff}100102`, 'hex'))), 'RFC 8654 allows up to 65535');
});

test('OPEN errors carry RFC 4271 §6.2 subcodes', (t) => {
  const ctx = { fourOctetAs: true, ebgp: false };
  const base = { myAs: 65001, holdTime: 90, bgpId: '1.1.1.1', capabilities: [] };
  const withByte = (i: number, v: number) => {
    const b = encodeOpen(base);
    b[19 + i] = v;
    return b;
  };
  const sub = (b: Buffer) => decodeMessage(b, ctx).notification?.subcode;
  t.is(sub(withByte(0, 3)), 1, 'unsupported version');
  t.is(sub(encodeOpen({ ...base, holdTime: 2 })), 6, 'unacceptable hold time');
  t.is(sub(encodeOpen({ ...base, bgpId: '0.0.0.0' })), 3, 'bad BGP identifier');
  t.is(sub(encodeOpen({ ...base, otherParams: [{ type: 1, value: '00' }] })), 4, 'unsupported optional parameter');
});

test('OPEN checks that need configuration: Bad Peer AS (2) and Unsupported Capability (7)', (t) => {
  const open = (myAs: number, capabilities: Capability[]): OpenMessage => ({
    type: 'open',
    version: 4,
    myAs,
    holdTime: 90,
    bgpId: '1.1.1.1',
    capabilities,
  });
  t.is(checkOpen(open(65001, []), { peerAs: 65001 }), undefined);
  t.like(checkOpen(open(65001, []), { peerAs: 65002 })?.notification, { code: 2, subcode: 2 });
  t.is(checkOpen(open(23456, [{ kind: 'four-octet-as', asn: 4200000001 }]), { peerAs: 4200000001 }), undefined);
  t.like(checkOpen(open(23456, []), {})?.notification, { code: 2, subcode: 2 });
  const missing = checkOpen(open(65001, [{ kind: 'route-refresh' }]), { required: [2, 65] });
  t.like(missing?.notification, { code: 2, subcode: 7 });
  t.deepEqual([...(missing?.notification.data ?? [])], [65, 0]);
});
