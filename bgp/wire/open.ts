// OPEN (RFC 4271 §4.2) with capabilities (RFC 5492) and the RFC 9072 extended parameters length.
import { Parser } from 'binary-parser';
import { bytesToIpv4, ipv4ToBytes } from '../prefix.js';
import { CAP, EXTENDED_OPT_PARAMS, MSG } from './constants.js';
import { frame } from './message.js';
import { ERR, OPEN_SUB } from './notification.js';
import type { Capability, Decoded, OpenMessage } from './types.js';

/** The fixed part of the OPEN body, parsed once per message by a parser built once. */
const openFixed = new Parser()
  .uint8('version')
  .uint16be('myAs')
  .uint16be('holdTime')
  .array('bgpId', { type: 'uint8', length: 4 })
  .uint8('optLen');

const reset = (subcode: number, error: string, data?: Uint8Array): Decoded => ({
  action: 'session-reset',
  notification: { code: ERR.OPEN, subcode, data },
  errors: [error],
});

function decodeCapability(code: number, v: Buffer): Capability | undefined {
  switch (code) {
    case CAP.MULTIPROTOCOL:
      return v.length === 4 ? { kind: 'multiprotocol', afi: v.readUInt16BE(0), safi: v[3]! } : undefined;
    case CAP.ROUTE_REFRESH:
      return v.length === 0 ? { kind: 'route-refresh' } : undefined;
    case CAP.ENHANCED_ROUTE_REFRESH:
      return v.length === 0 ? { kind: 'enhanced-route-refresh' } : undefined;
    case CAP.EXTENDED_MESSAGE:
      return v.length === 0 ? { kind: 'extended-message' } : undefined;
    case CAP.EXTENDED_NEXT_HOP: {
      // RFC 8950 §3: triples of NLRI AFI (2 bytes), NLRI SAFI (2), Nexthop AFI (2).
      if (v.length === 0 || v.length % 6 !== 0) return undefined;
      const entries = [];
      for (let i = 0; i < v.length; i += 6)
        entries.push({ afi: v.readUInt16BE(i), safi: v.readUInt16BE(i + 2), nextHopAfi: v.readUInt16BE(i + 4) });
      return { kind: 'extended-next-hop', entries };
    }
    case CAP.FOUR_OCTET_AS:
      return v.length === 4 ? { kind: 'four-octet-as', asn: v.readUInt32BE(0) } : undefined;
    case CAP.GRACEFUL_RESTART: {
      if (v.length < 2 || (v.length - 2) % 4 !== 0) return undefined;
      const head = v.readUInt16BE(0);
      const families = [];
      for (let i = 2; i < v.length; i += 4)
        families.push({ afi: v.readUInt16BE(i), safi: v[i + 2]!, forwarding: (v[i + 3]! & 0x80) !== 0 });
      return {
        kind: 'graceful-restart',
        restarting: (head & 0x8000) !== 0,
        notification: (head & 0x4000) !== 0,
        restartTime: head & 0x0fff,
        families,
      };
    }
    case CAP.ADD_PATH: {
      if (v.length % 4 !== 0) return undefined;
      const families = [];
      for (let i = 0; i < v.length; i += 4) families.push({ afi: v.readUInt16BE(i), safi: v[i + 2]!, mode: v[i + 3]! });
      return { kind: 'add-path', families };
    }
    case CAP.FQDN: {
      if (v.length < 1 || v.length < 2 + v[0]!) return undefined;
      const hl = v[0]!;
      const dl = v[1 + hl]!;
      if (v.length !== 2 + hl + dl) return undefined;
      return {
        kind: 'fqdn',
        hostname: v.subarray(1, 1 + hl).toString('utf8'),
        domain: v.subarray(2 + hl).toString('utf8'),
      };
    }
    default:
      return undefined;
  }
}

/** Decodes an OPEN body (after the header). Errors are NOTIFICATION data, never exceptions. */
export function decodeOpen(body: Buffer): Decoded {
  if (body.length < 10) return reset(0, 'OPEN too short');
  const fixed = openFixed.parse(body) as {
    version: number;
    myAs: number;
    holdTime: number;
    bgpId: number[];
    optLen: number;
  };
  // RFC 4271 §6.2: the data is the largest version we support.
  if (fixed.version !== 4) return reset(OPEN_SUB.UNSUPPORTED_VERSION, `version ${fixed.version}`, Uint8Array.of(0, 4));
  // RFC 4271 §6.2: hold time 1 or 2 is unacceptable.
  if (fixed.holdTime === 1 || fixed.holdTime === 2)
    return reset(OPEN_SUB.UNACCEPTABLE_HOLD_TIME, `hold time ${fixed.holdTime}`);
  const bgpId = bytesToIpv4(Uint8Array.from(fixed.bgpId));
  // RFC 6286 §2.2: any non-zero 32-bit value is a valid identifier.
  if (bgpId === '0.0.0.0') return reset(OPEN_SUB.BAD_BGP_ID, 'BGP identifier 0.0.0.0');
  let start = 10;
  let end = 10 + fixed.optLen;
  let wide = false;
  // RFC 9072 §2: Non-Ext OP Len non-zero and Non-Ext OP Type 255 → 2-byte lengths follow.
  if (fixed.optLen > 0 && body[10] === EXTENDED_OPT_PARAMS) {
    if (body.length < 13) return reset(0, 'extended optional parameters length overrun');
    wide = true;
    start = 13;
    end = 13 + body.readUInt16BE(11);
  }
  if (end !== body.length) return reset(0, `optional parameters length ${end - 10} vs ${body.length - 10} bytes`);
  const capabilities: Capability[] = [];
  const otherParams: { type: number; value: string }[] = [];
  let off = start;
  while (off < end) {
    const head = wide ? 3 : 2;
    if (off + head > end) return reset(0, 'optional parameter header overrun');
    const ptype = body[off]!;
    const plen = wide ? body.readUInt16BE(off + 1) : body[off + 1]!;
    const pv = body.subarray(off + head, off + head + plen);
    off += head + plen;
    if (off > end) return reset(0, 'optional parameter overrun');
    // RFC 5492: parameter 2 holds capabilities; others we do not know are an Unsupported Optional Parameter.
    if (ptype !== 2) {
      otherParams.push({ type: ptype, value: pv.toString('hex') });
      continue;
    }
    let c = 0;
    while (c < pv.length) {
      if (c + 2 > pv.length) return reset(0, 'capability header overrun');
      const code = pv[c]!;
      const clen = pv[c + 1]!;
      if (c + 2 + clen > pv.length) return reset(0, `capability ${code} overrun`);
      const v = pv.subarray(c + 2, c + 2 + clen);
      c += 2 + clen;
      capabilities.push(decodeCapability(code, v) ?? { kind: 'unknown', code, value: v.toString('hex') });
    }
  }
  const message: OpenMessage = {
    type: 'open',
    version: 4,
    myAs: fixed.myAs,
    holdTime: fixed.holdTime,
    bgpId,
    capabilities,
  };
  if (otherParams.length) {
    message.otherParams = otherParams;
    return {
      message,
      action: 'session-reset',
      notification: { code: ERR.OPEN, subcode: OPEN_SUB.UNSUPPORTED_PARAMETER },
      errors: [`unsupported optional parameter ${otherParams[0]!.type}`],
    };
  }
  return { message, action: 'none', errors: [] };
}

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

function capabilityValue(c: Capability): [number, Buffer] {
  switch (c.kind) {
    case 'multiprotocol':
      return [CAP.MULTIPROTOCOL, Buffer.from([...u16(c.afi), 0, c.safi])];
    case 'route-refresh':
      return [CAP.ROUTE_REFRESH, Buffer.alloc(0)];
    case 'enhanced-route-refresh':
      return [CAP.ENHANCED_ROUTE_REFRESH, Buffer.alloc(0)];
    case 'extended-message':
      return [CAP.EXTENDED_MESSAGE, Buffer.alloc(0)];
    case 'extended-next-hop':
      return [
        CAP.EXTENDED_NEXT_HOP,
        Buffer.from(c.entries.flatMap((e) => [...u16(e.afi), ...u16(e.safi), ...u16(e.nextHopAfi)])),
      ];
    case 'four-octet-as': {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(c.asn >>> 0);
      return [CAP.FOUR_OCTET_AS, b];
    }
    case 'graceful-restart':
      return [
        CAP.GRACEFUL_RESTART,
        Buffer.from([
          ...u16((c.restarting ? 0x8000 : 0) | (c.notification ? 0x4000 : 0) | (c.restartTime & 0x0fff)),
          ...c.families.flatMap((f) => [...u16(f.afi), f.safi, f.forwarding ? 0x80 : 0]),
        ]),
      ];
    case 'add-path':
      return [CAP.ADD_PATH, Buffer.from(c.families.flatMap((f) => [...u16(f.afi), f.safi, f.mode]))];
    case 'fqdn': {
      const h = Buffer.from(c.hostname, 'utf8');
      const d = Buffer.from(c.domain, 'utf8');
      return [CAP.FQDN, Buffer.concat([Buffer.from([h.length]), h, Buffer.from([d.length]), d])];
    }
    case 'unknown':
      return [c.code, Buffer.from(c.value, 'hex')];
  }
}

/**
 * Encodes an OPEN: all capabilities in one Capabilities parameter; the RFC 9072 form only when the
 * parameters would not fit the one-byte length.
 */
export function encodeOpen(m: Omit<OpenMessage, 'type' | 'version'>): Buffer {
  const caps = Buffer.concat(
    m.capabilities.map((c) => {
      const [code, v] = capabilityValue(c);
      return Buffer.concat([Buffer.from([code, v.length]), v]);
    }),
  );
  const params: { type: number; value: Buffer }[] = [];
  if (caps.length) params.push({ type: 2, value: caps });
  for (const p of m.otherParams ?? []) params.push({ type: p.type, value: Buffer.from(p.value, 'hex') });
  const wide = params.some((p) => p.value.length > 255) || params.reduce((n, p) => n + 2 + p.value.length, 0) > 255;
  const opt = Buffer.concat(
    params.map((p) =>
      Buffer.concat([Buffer.from(wide ? [p.type, ...u16(p.value.length)] : [p.type, p.value.length]), p.value]),
    ),
  );
  const head = Buffer.from([4, ...u16(m.myAs), ...u16(m.holdTime), ...ipv4ToBytes(m.bgpId)]);
  const len = wide ? Buffer.from([255, 255, ...u16(opt.length)]) : Buffer.from([opt.length]);
  return frame(MSG.OPEN, Buffer.concat([head, len, opt]));
}
