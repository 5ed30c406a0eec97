// RFC 5880 §4.1 control packet codec and the packet-only reception checks of §6.8.6.
import test from 'ava';
import { BfdState, decodeControl, encodeControl, type PacketFields } from '../../src/bfd/packet.js';

const base: PacketFields = {
  diag: 3,
  state: BfdState.Up,
  poll: true,
  final: false,
  detectMult: 3,
  myDiscriminator: 0xdeadbeef,
  yourDiscriminator: 7,
  desiredMinTxInterval: 100_000,
  requiredMinRxInterval: 300_000,
};

test('encode lays out the RFC 5880 §4.1 fields bit by bit', (t) => {
  const b = encodeControl(base);
  t.is(b.length, 24);
  t.is(b[0], 0x23); // version 1 << 5 | diag 3
  t.is(b[1], 0xe0); // state Up (3) << 6 | P
  t.is(b[2], 3);
  t.is(b[3], 24);
  t.is(b.readUInt32BE(4), 0xdeadbeef);
  t.is(b.readUInt32BE(8), 7);
  t.is(b.readUInt32BE(12), 100_000);
  t.is(b.readUInt32BE(16), 300_000);
  t.is(b.readUInt32BE(20), 0);
  const f = encodeControl({ ...base, poll: false, final: true, state: BfdState.Init });
  t.is(f[1], 0x90);
});

test('decode returns what encode wrote', (t) => {
  const r = decodeControl(encodeControl(base));
  if (!r.ok) return t.fail(r.reason);
  t.like(r.packet, { ...base, version: 1, length: 24, authPresent: false, demand: false, multipoint: false });
});

// Each row breaks one §6.8.6 rule; the packet must be refused with a reason naming it.
/** A copy of the good packet with `edit` applied. */
const edited = (edit: (b: Buffer) => void) => (b: Buffer) => {
  const c = Buffer.from(b);
  edit(c);
  return c;
};
const bad: [string, (b: Buffer) => Buffer, RegExp][] = [
  ['too short', (b) => b.subarray(0, 23), /short/],
  [
    'version 2',
    edited((b) => {
      b[0] = (2 << 5) | 3;
    }),
    /version 2/,
  ],
  [
    'length field < 24',
    edited((b) => {
      b[3] = 20;
    }),
    /length field 20/,
  ],
  [
    'length field > datagram',
    edited((b) => {
      b[3] = 40;
    }),
    /> datagram/,
  ],
  [
    'detect multiplier 0',
    edited((b) => {
      b[2] = 0;
    }),
    /multiplier 0/,
  ],
  [
    'multipoint bit',
    edited((b) => {
      b[1] = b[1]! | 0x01;
    }),
    /multipoint/,
  ],
  [
    'my discriminator 0',
    edited((b) => {
      b.writeUInt32BE(0, 4);
    }),
    /my discriminator 0/,
  ],
  [
    'your discriminator 0 while Up',
    edited((b) => {
      b.writeUInt32BE(0, 8);
    }),
    /your discriminator 0 in state Up/,
  ],
  [
    'authentication bit (no auth configured)',
    (b) => {
      const c = Buffer.concat([b, Buffer.alloc(4)]);
      c[1] = c[1]! | 0x04;
      c[3] = 28;
      return c;
    },
    /authentication/,
  ],
];
for (const [name, mangle, reason] of bad) {
  test(`decode refuses: ${name}`, (t) => {
    const r = decodeControl(mangle(encodeControl(base)));
    t.false(r.ok);
    if (!r.ok) t.regex(r.reason, reason);
  });
}

test('your discriminator 0 is fine in Down (the first packets of a session)', (t) => {
  const r = decodeControl(encodeControl({ ...base, state: BfdState.Down, yourDiscriminator: 0 }));
  t.true(r.ok);
});
