// UPDATE decoding (RFC 4271 §4.3, RFC 4760, RFC 6793, RFC 7911) with RFC 7606 revised error handling:
// every error found becomes data — an action (attribute discard < treat-as-withdraw < session reset,
// the strongest wins) and, for a reset, the NOTIFICATION to send. What each attribute's value means,
// and what its errors call for, is in the attribute table (attributes.ts); this file walks the fields.
import { mergeAs4Path } from './as-path.js';
import { ATTRIBUTE_SPECS, type AttrDecoding } from './attributes.js';
import { AS_TRANS, ATTR, FLAG_EXTENDED, FLAG_OPTIONAL, FLAG_PARTIAL, FLAG_TRANSITIVE } from './constants.js';
import { familyOf } from './mp-reach.js';
import { readNlri } from './nlri.js';
import { ERR, UPDATE_SUB } from './notification.js';
import type {
  Attributes,
  Decoded,
  ErrorAction,
  Family,
  Nlri,
  Notify,
  UpdateMessage,
  WireContext,
  WireNlri,
} from './types.js';

const RANK: Record<ErrorAction, number> = {
  none: 0,
  'attribute-discard': 1,
  'treat-as-withdraw': 2,
  'session-reset': 3,
};

class Errors {
  action: ErrorAction = 'none';
  notification?: Notify;
  list: string[] = [];
  add(action: ErrorAction, error: string, notification?: Notify): void {
    this.list.push(error);
    if (RANK[action] > RANK[this.action]) {
      this.action = action;
      if (notification) this.notification = notification;
    }
    if (action === 'session-reset' && !this.notification) this.notification = notification;
  }
  result(message: UpdateMessage): Decoded {
    if (this.action === 'session-reset')
      return {
        action: 'session-reset',
        notification: this.notification ?? { code: ERR.UPDATE, subcode: UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST },
        errors: this.list,
      };
    return { message, action: this.action, errors: this.list };
  }
}

const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;

/** Prefixes in a field, whether read as text or left in wire form. */
export const nlriCount = (n: Nlri): number => (n.wire ? n.wire.count : n.prefixes.length);

/** The message of an UPDATE that could not be read (only built when that happens). */
const emptyUpdate = (): UpdateMessage => ({
  type: 'update',
  withdrawn: { prefixes: [] },
  attributes: {},
  nlri: { prefixes: [] },
});
const malformedList = (): Notify => ({ code: ERR.UPDATE, subcode: UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST });

/**
 * The attribute types seen in the UPDATE being decoded: `seen[type] === mark`. A stamp per UPDATE
 * instead of a Set per UPDATE (tables with a new attribute set every few prefixes bring many UPDATEs).
 */
const seen = new Uint32Array(256);
let mark = 0;

/** Decodes an UPDATE body (after the 19-byte header). Never throws on any input. */
export function decodeUpdate(b: Buffer, ctx: WireContext): Decoded {
  const errs = new Errors();
  // RFC 7606 §4: the lengths must fit the message, else the NLRI cannot be located → reset.
  if (b.length < 4) {
    errs.add('session-reset', 'UPDATE too short', malformedList());
    return errs.result(emptyUpdate());
  }
  const wlen = u16(b, 0);
  if (2 + wlen + 2 > b.length) {
    errs.add('session-reset', 'withdrawn routes length overrun', malformedList());
    return errs.result(emptyUpdate());
  }
  const alen = u16(b, 2 + wlen);
  const aStart = 4 + wlen;
  const aEnd = aStart + alen;
  if (aEnd > b.length) {
    errs.add('session-reset', 'total path attribute length overrun', malformedList());
    return errs.result(emptyUpdate());
  }
  // RFC 7606 §5.3: an unparseable NLRI or withdrawn field → session reset.
  const withdrawn = readNlri(b, 2, 2 + wlen, 'ipv4', ctx.addPath?.ipv4, ctx.wireNlri);
  const nlri = readNlri(b, aEnd, b.length, 'ipv4', ctx.addPath?.ipv4, ctx.wireNlri);
  if (!withdrawn || !nlri) {
    errs.add('session-reset', `unparseable ${withdrawn ? 'NLRI' : 'withdrawn routes'}`, {
      code: ERR.UPDATE,
      subcode: UPDATE_SUB.INVALID_NETWORK_FIELD,
    });
    return errs.result(emptyUpdate());
  }
  const message: UpdateMessage = { type: 'update', withdrawn, attributes: {}, nlri };
  const a: Attributes = message.attributes;
  const d: AttrDecoding = {
    ctx,
    attrs: a,
    discard: (error) => errs.add('attribute-discard', error),
  };
  if (mark === 0xffffffff) {
    seen.fill(0);
    mark = 0;
  }
  const m = ++mark;
  let off = aStart;
  while (off < aEnd) {
    // RFC 7606 §4: an attribute header or value running past the attribute field.
    const ext = (b[off]! & FLAG_EXTENDED) !== 0;
    const hl = ext ? 4 : 3;
    if (off + hl > aEnd || off + hl + (ext ? u16(b, off + 2) : b[off + 2]!) > aEnd) {
      overrun(errs, message, m);
      break;
    }
    const flags = b[off]!;
    const type = b[off + 1]!;
    const len = ext ? u16(b, off + 2) : b[off + 2]!;
    const vs = off + hl;
    const v = b.subarray(vs, vs + len);
    const at = off;
    off = vs + len;
    // RFC 7606 §3 (g): a repeated MP_REACH/MP_UNREACH resets; other repeats: all but the first are discarded.
    if (seen[type] === m) {
      if (type === ATTR.MP_REACH || type === ATTR.MP_UNREACH)
        errs.add('session-reset', `repeated attribute ${type}`, malformedList());
      else errs.add('attribute-discard', `repeated attribute ${type}`);
      continue;
    }
    seen[type] = m;
    const spec = ATTRIBUTE_SPECS[type];
    if (!spec) {
      // RFC 4271 §6.3: an unrecognized well-known attribute is an error; optional ones pass on,
      // transitive with the Partial bit set (RFC 4271 §5), non-transitive quietly dropped.
      if ((flags & FLAG_OPTIONAL) === 0) {
        errs.add('session-reset', `unrecognized well-known attribute ${type}`, {
          code: ERR.UPDATE,
          subcode: UPDATE_SUB.UNRECOGNIZED_WELL_KNOWN,
          data: b.subarray(at, vs + len),
        });
        continue;
      }
      if (flags & FLAG_TRANSITIVE) {
        const unknown = a.unknown ?? [];
        a.unknown = unknown;
        unknown.push({ flags: (flags | FLAG_PARTIAL) & ~FLAG_EXTENDED, type, value: v.toString('hex') });
      }
      continue;
    }
    // RFC 7606 §3 (c): wrong Optional/Transitive bits → the attribute's own malformed handling.
    if ((flags & (FLAG_OPTIONAL | FLAG_TRANSITIVE)) !== spec.flags) {
      errs.add(
        spec.onError,
        `${spec.name} flags 0x${flags.toString(16)}`,
        resetNotify(spec.onError, UPDATE_SUB.ATTRIBUTE_FLAGS, b, at, off),
      );
      continue;
    }
    if (spec.ibgpOnly && ctx.ebgp) {
      errs.add('attribute-discard', `${spec.name} from an eBGP peer`);
      continue;
    }
    const bad = spec.decode(v, d);
    if (bad !== undefined)
      errs.add(
        spec.onError,
        `${spec.name}: ${bad}`,
        resetNotify(spec.onError, UPDATE_SUB.OPTIONAL_ATTRIBUTE, b, at, off),
      );
  }
  if (ctx.wireNlri) message.rawAttributes = b.subarray(aStart, aEnd);
  let { as4Path } = d;
  const { as4Aggregator } = d;
  // RFC 6793 §6: between two 4-octet speakers AS4_PATH/AS4_AGGREGATOR are discarded.
  if (ctx.fourOctetAs) {
    if (as4Path || as4Aggregator) errs.add('attribute-discard', 'AS4_PATH/AS4_AGGREGATOR from a 4-octet speaker');
  } else {
    // RFC 6793 §4.2.3: an AGGREGATOR that is not AS_TRANS means AS4_* came from an old speaker: ignore them.
    if (as4Aggregator && a.aggregator && a.aggregator.asn !== AS_TRANS) {
      as4Path = undefined;
    } else if (as4Aggregator && a.aggregator) a.aggregator = as4Aggregator;
    if (as4Path && a.asPath) a.asPath = mergeAs4Path(a.asPath, as4Path);
  }
  checkMandatory(message, m, ctx, errs);
  return errs.result(message);
}

/**
 * RFC 4271 §6.3: the NOTIFICATION for an attribute error that resets the session — Attribute Flags
 * Error or Optional Attribute Error, the data being the whole attribute.
 */
function resetNotify(action: ErrorAction, subcode: number, b: Buffer, start: number, end: number): Notify | undefined {
  return action === 'session-reset' ? { code: ERR.UPDATE, subcode, data: b.subarray(start, end) } : undefined;
}

/** RFC 7606 §4: attribute parsing cannot go on; treat-as-withdraw if the NLRI can still be found, else reset. */
function overrun(errs: Errors, m: UpdateMessage, mark: number): void {
  const located =
    nlriCount(m.nlri) > 0 ||
    nlriCount(m.withdrawn) > 0 ||
    seen[ATTR.MP_REACH] === mark ||
    seen[ATTR.MP_UNREACH] === mark;
  if (located) errs.add('treat-as-withdraw', 'attribute runs past the attribute field');
  else
    errs.add('session-reset', 'attribute runs past the attribute field and no NLRI can be located', {
      code: ERR.UPDATE,
      subcode: UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST,
    });
}

/** RFC 7606 §3 (d): a missing well-known mandatory attribute when NLRI are announced → treat-as-withdraw. */
function checkMandatory(m: UpdateMessage, mark: number, ctx: WireContext, errs: Errors): void {
  const mp = m.attributes.mpReach;
  const reach = nlriCount(m.nlri) > 0 || (mp ? nlriCount(mp.nlri) : 0) > 0;
  if (!reach) return;
  const missing: string[] = [];
  if (seen[ATTR.ORIGIN] !== mark) missing.push('ORIGIN');
  if (seen[ATTR.AS_PATH] !== mark) missing.push('AS_PATH');
  // RFC 4760 §3: NEXT_HOP is needed only for NLRI in the IPv4 field.
  if (nlriCount(m.nlri) > 0 && seen[ATTR.NEXT_HOP] !== mark) missing.push('NEXT_HOP');
  // RFC 4271 §5.1.5: LOCAL_PREF is mandatory on iBGP, but RFC 7606 §7.5 does not make its absence an error.
  void ctx;
  if (missing.length) errs.add('treat-as-withdraw', `missing well-known attribute ${missing.join(', ')}`);
}

/** The withdrawn fields (IPv4 and MP_UNREACH_NLRI) of an UPDATE decoded in wire form, those not empty. */
export function withdrawnFields(m: UpdateMessage): WireNlri[] {
  const out: WireNlri[] = [];
  const w = m.withdrawn.wire;
  if (w && w.count > 0) out.push(w);
  const mp = m.attributes.mpUnreach?.withdrawn.wire;
  if (mp && mp.count > 0) out.push(mp);
  return out;
}

/** The announced fields (IPv4 NLRI and MP_REACH_NLRI) of an UPDATE decoded in wire form, those not empty. */
export function announcedFields(m: UpdateMessage): WireNlri[] {
  const out: WireNlri[] = [];
  const n = m.nlri.wire;
  if (n && n.count > 0) out.push(n);
  const mp = m.attributes.mpReach?.nlri.wire;
  if (mp && mp.count > 0) out.push(mp);
  return out;
}

/**
 * RFC 4724 §2: the family an End-of-RIB marker stands for — an UPDATE with nothing in it (IPv4) or
 * holding only an empty MP_UNREACH_NLRI — or undefined for any other UPDATE.
 */
export function endOfRibFamily(m: UpdateMessage): Family | undefined {
  if (nlriCount(m.withdrawn) > 0 || nlriCount(m.nlri) > 0) return undefined;
  const a = m.attributes;
  let keys = 0;
  for (const k in a) if (a[k as keyof Attributes] !== undefined) keys++;
  if (keys === 0) return 'ipv4';
  if (keys === 1 && a.mpUnreach && nlriCount(a.mpUnreach.withdrawn) === 0)
    return familyOf(a.mpUnreach.afi, a.mpUnreach.safi);
  return undefined;
}
