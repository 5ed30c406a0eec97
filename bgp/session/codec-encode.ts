// Encoding of the messages this speaker sends, with UPDATE packing: one attribute block per attribute
// set, then as many prefixes as fit the 4096-byte message (RFC 4271 §4.3, RFC 4760, RFC 6793).
// Interim: stands in until bgp/wire (the shared codec) is in; see wire-codec.ts.
import type { AddressFamily } from '../config.js';
import type { AsPathSegment, AttrSet } from '../rib/attributes.js';
import { ipv4ToBytes, ipv6ToBytes, parsePrefix } from '../rib/prefix.js';
import type { OpenToSend, UpdateBatch } from './codec.js';
import {
  ATTR,
  CAP,
  HEADER_LENGTH,
  MAX_MESSAGE,
  MSG_KEEPALIVE,
  MSG_NOTIFICATION,
  MSG_OPEN,
  MSG_ROUTE_REFRESH,
  MSG_UPDATE,
} from './codec-decode.js';
import { AS_TRANS, familyAfi, SAFI_UNICAST, type SessionCodecContext } from './messages.js';

const FLAG_OPTIONAL = 0x80;
const FLAG_TRANSITIVE = 0x40;
const FLAG_EXTENDED = 0x10;

function message(type: number, body: Uint8Array): Buffer {
  const out = Buffer.alloc(HEADER_LENGTH + body.length, 0xff);
  out.writeUInt16BE(HEADER_LENGTH + body.length, 16);
  out[18] = type;
  out.set(body, HEADER_LENGTH);
  return out;
}

export function encodeOpen(open: OpenToSend): Buffer {
  const caps: Buffer[] = [];
  const cap = (code: number, value: Uint8Array = new Uint8Array()) =>
    caps.push(Buffer.concat([Buffer.from([code, value.length]), value]));
  for (const f of open.capabilities.families) {
    const v = Buffer.alloc(4);
    v.writeUInt16BE(familyAfi(f), 0);
    v[3] = SAFI_UNICAST;
    cap(CAP.MP, v);
  }
  if (open.capabilities.routeRefresh) cap(CAP.ROUTE_REFRESH);
  if (open.capabilities.enhancedRouteRefresh) cap(CAP.ENHANCED_RR);
  const as4 = Buffer.alloc(4);
  as4.writeUInt32BE(open.asn >>> 0, 0);
  cap(CAP.AS4, as4);
  const gr = open.capabilities.gracefulRestart;
  if (gr) {
    const v = Buffer.alloc(2 + gr.families.length * 4);
    v.writeUInt16BE((gr.restarting ? 0x8000 : 0) | (gr.restartTime & 0x0fff), 0);
    gr.families.forEach((f, i) => {
      v.writeUInt16BE(familyAfi(f.family), 2 + i * 4);
      v[2 + i * 4 + 2] = SAFI_UNICAST;
      v[2 + i * 4 + 3] = f.forwarding ? 0x80 : 0;
    });
    cap(CAP.GRACEFUL_RESTART, v);
  }
  // One Capabilities optional parameter per capability (RFC 5492 allows either; this is what BIRD does).
  const params = Buffer.concat(caps.map((c) => Buffer.concat([Buffer.from([2, c.length]), c])));
  const body = Buffer.alloc(10);
  body[0] = 4;
  body.writeUInt16BE(open.asn > 0xffff ? AS_TRANS : open.asn, 1);
  body.writeUInt16BE(open.holdTime, 3);
  body.set(ipv4ToBytes(open.routerId), 5);
  body[9] = params.length;
  return message(MSG_OPEN, Buffer.concat([body, params]));
}

export const encodeKeepalive = (): Buffer => message(MSG_KEEPALIVE, new Uint8Array());

export function encodeNotification(code: number, subcode: number, data: Uint8Array = new Uint8Array()): Buffer {
  return message(MSG_NOTIFICATION, Buffer.concat([Buffer.from([code, subcode]), data]));
}

export function encodeRouteRefresh(family: AddressFamily, subtype = 0): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(familyAfi(family), 0);
  b[2] = subtype;
  b[3] = SAFI_UNICAST;
  return message(MSG_ROUTE_REFRESH, b);
}

function attr(flags: number, type: number, value: Uint8Array): Buffer {
  if (value.length > 255) {
    const h = Buffer.from([flags | FLAG_EXTENDED, type, 0, 0]);
    h.writeUInt16BE(value.length, 2);
    return Buffer.concat([h, value]);
  }
  return Buffer.concat([Buffer.from([flags, type, value.length]), value]);
}

function asPathBytes(segs: readonly AsPathSegment[], four: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const s of segs) {
    // A segment holds at most 255 ASes (RFC 4271 §4.3): split longer ones.
    for (let i = 0; i < s.asns.length; i += 255) {
      const chunk = s.asns.slice(i, i + 255);
      const b = Buffer.alloc(2 + chunk.length * (four ? 4 : 2));
      b[0] = s.type;
      b[1] = chunk.length;
      chunk.forEach((asn, j) => {
        if (four) b.writeUInt32BE(asn >>> 0, 2 + j * 4);
        else b.writeUInt16BE(asn > 0xffff ? AS_TRANS : asn, 2 + j * 2);
      });
      parts.push(b);
    }
  }
  return Buffer.concat(parts);
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
};

/**
 * Writes `prefix` as NLRI (length byte + the significant bytes) at `off` in `out`; returns the new
 * offset. IPv4 text is parsed by character codes: this runs once per prefix per peer, so it must not
 * allocate.
 */
export function writePrefix(out: Buffer, off: number, prefix: string): number {
  if (prefix.includes(':')) {
    const p = parsePrefix(prefix);
    const n = (p.length + 7) >> 3;
    out[off] = p.length;
    out.set(p.bytes.subarray(0, n), off + 1);
    return off + 1 + n;
  }
  const slash = prefix.indexOf('/');
  let len = 0;
  for (let i = slash + 1; i < prefix.length; i++) len = len * 10 + prefix.charCodeAt(i) - 48;
  const n = (len + 7) >> 3;
  out[off] = len;
  let octet = 0;
  let k = 0;
  for (let i = 0; i <= slash && k < n; i++) {
    const c = prefix.charCodeAt(i);
    if (c === 46 || i === slash) {
      out[off + 1 + k++] = octet;
      octet = 0;
    } else octet = octet * 10 + c - 48;
  }
  return off + 1 + n;
}

/** NLRI bytes of one prefix, at most 17. */
export function prefixLength(prefix: string): number {
  if (prefix.includes(':')) return 1 + ((parsePrefix(prefix).length + 7) >> 3);
  return 1 + ((Number(prefix.slice(prefix.indexOf('/') + 1)) + 7) >> 3);
}

/** The attribute block for `a` (without MP_REACH, which carries per-message NLRI). */
function attributeBlock(a: AttrSet, family: AddressFamily, ctx: SessionCodecContext): Buffer[] {
  const out: Buffer[] = [];
  out.push(attr(FLAG_TRANSITIVE, ATTR.ORIGIN, Buffer.from([a.origin])));
  out.push(attr(FLAG_TRANSITIVE, ATTR.AS_PATH, asPathBytes(a.asPath, ctx.fourOctetAs)));
  if (!ctx.fourOctetAs && a.asPath.some((s) => s.asns.some((x) => x > 0xffff)))
    out.push(attr(FLAG_OPTIONAL | FLAG_TRANSITIVE, ATTR.AS4_PATH, asPathBytes(a.asPath, true)));
  if (family === 'ipv4' && a.nextHop) out.push(attr(FLAG_TRANSITIVE, ATTR.NEXT_HOP, ipv4ToBytes(a.nextHop)));
  if (a.med !== undefined) out.push(attr(FLAG_OPTIONAL, ATTR.MED, u32(a.med)));
  if (a.localPref !== undefined && !ctx.ebgp) out.push(attr(FLAG_TRANSITIVE, ATTR.LOCAL_PREF, u32(a.localPref)));
  if (a.atomicAggregate) out.push(attr(FLAG_TRANSITIVE, ATTR.ATOMIC_AGGREGATE, new Uint8Array()));
  if (a.aggregator) {
    const asn = a.aggregator.asn;
    const v = ctx.fourOctetAs ? u32(asn) : Buffer.from([(asn > 0xffff ? AS_TRANS : asn) >> 8, asn & 0xff]);
    out.push(
      attr(FLAG_OPTIONAL | FLAG_TRANSITIVE, ATTR.AGGREGATOR, Buffer.concat([v, ipv4ToBytes(a.aggregator.address)])),
    );
  }
  if (a.communities?.length)
    out.push(attr(FLAG_OPTIONAL | FLAG_TRANSITIVE, ATTR.COMMUNITIES, Buffer.concat(a.communities.map(u32))));
  if (a.originatorId && !ctx.ebgp) out.push(attr(FLAG_OPTIONAL, ATTR.ORIGINATOR_ID, ipv4ToBytes(a.originatorId)));
  if (a.clusterList?.length && !ctx.ebgp)
    out.push(
      attr(FLAG_OPTIONAL, ATTR.CLUSTER_LIST, Buffer.concat(a.clusterList.map((c) => Buffer.from(ipv4ToBytes(c))))),
    );
  if (a.largeCommunities?.length)
    out.push(
      attr(
        FLAG_OPTIONAL | FLAG_TRANSITIVE,
        ATTR.LARGE_COMMUNITY,
        Buffer.concat(a.largeCommunities.map((c) => Buffer.concat(c.split(':').map((x) => u32(Number(x)))))),
      ),
    );
  for (const o of a.opaque ?? []) out.push(attr(o.flags & ~FLAG_EXTENDED, o.type, Buffer.from(o.value, 'hex')));
  return out;
}

function ipv6NextHop(a: AttrSet): Buffer {
  const nh = a.nextHop ?? '::';
  const global = nh.includes(':') ? ipv6ToBytes(nh) : ipv6ToBytes(`::ffff:${nh}`);
  return a.nextHopLinkLocal ? Buffer.concat([global, ipv6ToBytes(a.nextHopLinkLocal)]) : Buffer.from(global);
}

const scratch = Buffer.alloc(MAX_MESSAGE);

/** Fills messages with prefixes: `room` bytes of NLRI each; `emit` gets a view it must copy. */
function pack(prefixes: string[], room: number, emit: (nlri: Buffer[]) => void): void {
  let used = 0;
  for (const p of prefixes) {
    // 17 bytes is the longest NLRI (an IPv6 /128): flush before a prefix could overrun.
    if (used + 17 > room && used > 0 && used + prefixLength(p) > room) {
      emit([scratch.subarray(0, used)]);
      used = 0;
    }
    used = writePrefix(scratch, used, p);
  }
  if (used) emit([scratch.subarray(0, used)]);
}

function updateMessage(withdrawn: Buffer, attrs: Buffer, nlri: Buffer): Buffer {
  const body = Buffer.alloc(4 + withdrawn.length + attrs.length + nlri.length);
  body.writeUInt16BE(withdrawn.length, 0);
  withdrawn.copy(body, 2);
  body.writeUInt16BE(attrs.length, 2 + withdrawn.length);
  attrs.copy(body, 4 + withdrawn.length);
  nlri.copy(body, 4 + withdrawn.length + attrs.length);
  return message(MSG_UPDATE, body);
}

export function encodeUpdates(batch: UpdateBatch, ctx: SessionCodecContext): Buffer[] {
  const out: Buffer[] = [];
  const max = MAX_MESSAGE - HEADER_LENGTH - 4;
  const afiSafi = Buffer.alloc(3);
  afiSafi.writeUInt16BE(familyAfi(batch.family), 0);
  afiSafi[2] = SAFI_UNICAST;
  if (batch.withdraw.length) {
    if (batch.family === 'ipv4')
      pack(batch.withdraw, max, (n) => out.push(updateMessage(Buffer.concat(n), Buffer.alloc(0), Buffer.alloc(0))));
    else
      pack(batch.withdraw, max - 4 - 3, (n) =>
        out.push(
          updateMessage(
            Buffer.alloc(0),
            attr(FLAG_OPTIONAL, ATTR.MP_UNREACH, Buffer.concat([afiSafi, ...n])),
            Buffer.alloc(0),
          ),
        ),
      );
  }
  for (const { attrs, prefixes } of batch.announce) {
    const block = Buffer.concat(attributeBlock(attrs, batch.family, ctx));
    if (batch.family === 'ipv4') {
      pack(prefixes, max - block.length, (n) => out.push(updateMessage(Buffer.alloc(0), block, Buffer.concat(n))));
    } else {
      const nh = ipv6NextHop(attrs);
      const mpHead = Buffer.concat([afiSafi, Buffer.from([nh.length]), nh, Buffer.from([0])]);
      pack(prefixes, max - block.length - 4 - mpHead.length, (n) => {
        const mp = attr(FLAG_OPTIONAL, ATTR.MP_REACH, Buffer.concat([mpHead, ...n]));
        out.push(updateMessage(Buffer.alloc(0), Buffer.concat([mp, block]), Buffer.alloc(0)));
      });
    }
  }
  return out;
}

/** RFC 4724 §2: an empty UPDATE (IPv4) or an empty MP_UNREACH_NLRI (other families). */
export function encodeEndOfRib(family: AddressFamily): Buffer {
  if (family === 'ipv4') return updateMessage(Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0));
  const v = Buffer.alloc(3);
  v.writeUInt16BE(familyAfi(family), 0);
  v[2] = SAFI_UNICAST;
  return updateMessage(Buffer.alloc(0), attr(FLAG_OPTIONAL, ATTR.MP_UNREACH, v), Buffer.alloc(0));
}
