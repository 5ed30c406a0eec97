// RFC 7606 case tables: shared building blocks and the runner. A row is UPDATE bytes (hex: withdrawn
// routes, path attributes, NLRI) → the action the RFC prescribes, with the section it checks.
// Default context: iBGP, 4-octet AS numbers negotiated.
import test from 'ava';
import { decodeMessage } from '../../../bgp/wire/decode.js';
import type { Decoded, ErrorAction, UpdateMessage, WireContext } from '../../../bgp/wire/types.js';

// Building blocks (flags, type, length, value).
export const ORIGIN = '40010100';
export const AS_PATH = '4002060201 0000fde9'; // AS_SEQUENCE [65001], 4-octet
export const NEXT_HOP = '400304 0a000001';
export const BASE = ORIGIN + AS_PATH + NEXT_HOP;
export const NLRI = '18 0a0100'; // 10.1.0.0/24
export const MP_REACH_V6 = '900e001c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001'; // 2001:db8:1::/48

export interface Row {
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

export function update(row: Row): Buffer {
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

/** One ava test per row. */
export function runTable(rows: Row[]): void {
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
}
