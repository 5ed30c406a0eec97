// The speaker's Codec (bgp/session/codec.ts) on top of this wire codec: the session layer switches to
// it in bgp/session/wire-codec.ts and sees no other change.
import type { AddPathMode, AddressFamily } from '../config.js';
import type { AttrSet, Origin, PathAttributes } from '../rib/attributes.js';
import type { Codec, Framer, OpenToSend, UpdateBatch } from '../session/codec.js';
import type {
  DecodeError,
  DecodeResult,
  OpenCapabilities,
  PrefixTarget,
  ReceivedPrefixes,
  SessionCodecContext,
} from '../session/messages.js';
import {
  AFI_IPV4,
  AFI_IPV6,
  AS_TRANS,
  ATTR,
  FLAG_OPTIONAL,
  FLAG_TRANSITIVE,
  MAX_EXTENDED_MESSAGE,
  MAX_MESSAGE,
  SAFI_UNICAST,
} from './constants.js';
import { decodeMessage } from './decode.js';
import { MessageFramer } from './framer.js';
import { encodeKeepalive, encodeNotification, encodeRouteRefresh } from './message.js';
import { familyOf } from './mp-reach.js';
import { readPrefixAt } from './nlri.js';
import { encodeOpen } from './open.js';
import type { Attributes, Capability, Family, Nlri, Notify, OpenMessage, UpdateMessage, WireNlri } from './types.js';
import { nlriCount } from './update-decode.js';
import { encodeEndOfRib, packPrefixes } from './update-encode.js';

const afiOf = (f: AddressFamily) => (f === 'ipv4' ? AFI_IPV4 : AFI_IPV6);

/** RFC 7911 §4 Send/Receive values: 1 receive, 2 send, 3 both. */
const ADD_PATH_MODES: readonly (AddPathMode | undefined)[] = [undefined, 'receive', 'send', 'both'];
const addPathValue = (m: AddPathMode) => ADD_PATH_MODES.indexOf(m);

const toError = (n: Notify | undefined, reason: string): DecodeError => ({
  type: 'error',
  code: n?.code ?? 6,
  subcode: n?.subcode ?? 0,
  data: n?.data,
  reason,
});

function openToSession(m: OpenMessage) {
  const caps: OpenCapabilities = { families: [], routeRefresh: false, enhancedRouteRefresh: false };
  let sawMp = false;
  for (const c of m.capabilities) {
    if (c.kind === 'multiprotocol') {
      sawMp = true;
      const f = familyOf(c.afi, c.safi);
      if (f && !caps.families.includes(f)) caps.families.push(f);
    } else if (c.kind === 'route-refresh') caps.routeRefresh = true;
    else if (c.kind === 'enhanced-route-refresh') caps.enhancedRouteRefresh = true;
    else if (c.kind === 'four-octet-as') caps.fourOctetAs = c.asn;
    else if (c.kind === 'extended-message') caps.extendedMessage = true;
    else if (c.kind === 'add-path') {
      const list = caps.addPath ?? [];
      caps.addPath = list;
      for (const f of c.families) {
        const family = familyOf(f.afi, f.safi);
        const mode = ADD_PATH_MODES[f.mode];
        if (family && mode) list.push({ family, mode });
      }
    } else if (c.kind === 'graceful-restart')
      caps.gracefulRestart = {
        restarting: c.restarting,
        restartTime: c.restartTime,
        families: c.families.flatMap((f) => {
          const family = familyOf(f.afi, f.safi);
          return family ? [{ family, forwarding: f.forwarding }] : [];
        }),
      };
  }
  // RFC 4760 §8: no multiprotocol capability means IPv4 unicast only.
  if (!sawMp) caps.families.push('ipv4');
  return {
    version: m.version,
    asn: caps.fourOctetAs ?? m.myAs,
    holdTime: m.holdTime,
    routerId: m.bgpId,
    capabilities: caps,
  };
}

function attrsToSession(a: Attributes): PathAttributes {
  const out: PathAttributes = { origin: (a.origin ?? 0) as Origin, asPath: a.asPath ?? [] };
  const mpNh = a.mpReach && nlriCount(a.mpReach.nlri) > 0 ? a.mpReach : undefined;
  if (mpNh) {
    out.nextHop = mpNh.nextHop;
    if (mpNh.linkLocal) out.nextHopLinkLocal = mpNh.linkLocal;
  } else if (a.nextHop) out.nextHop = a.nextHop;
  if (a.med !== undefined) out.med = a.med;
  if (a.localPref !== undefined) out.localPref = a.localPref;
  if (a.atomicAggregate) out.atomicAggregate = true;
  if (a.aggregator) out.aggregator = a.aggregator;
  if (a.communities) out.communities = a.communities;
  if (a.largeCommunities) out.largeCommunities = a.largeCommunities;
  if (a.originatorId) out.originatorId = a.originatorId;
  if (a.clusterList) out.clusterList = a.clusterList;
  const opaque = (a.unknown ?? []).map((u) => ({ ...u }));
  // The RIB has no field for extended communities: they ride as an opaque transitive attribute.
  if (a.extendedCommunities)
    opaque.push({
      flags: FLAG_OPTIONAL | FLAG_TRANSITIVE,
      type: ATTR.EXTENDED_COMMUNITIES,
      value: a.extendedCommunities.join(''),
    });
  if (opaque.length) out.opaque = opaque;
  return out;
}

/** A field's prefixes read straight from the message bytes (they were checked when decoded). */
class WirePrefixes implements ReceivedPrefixes {
  constructor(private readonly w: WireNlri) {}

  get family(): Family {
    return this.w.family;
  }

  get count(): number {
    return this.w.count;
  }

  get addPath(): boolean {
    return this.w.addPath;
  }

  forEach(into: PrefixTarget, each: () => void): void {
    const w = this.w;
    let off = w.start;
    for (let i = 0; i < w.count; i++) {
      off = readPrefixAt(w, off, into);
      each();
    }
  }
}

/** The fields of `m` that hold prefixes, as readers. */
function fields(...ns: (Nlri | undefined)[]): ReceivedPrefixes[] {
  const out: ReceivedPrefixes[] = [];
  for (const n of ns) if (n?.wire && n.wire.count > 0) out.push(new WirePrefixes(n.wire));
  return out;
}

function updateToSession(m: UpdateMessage, treatAsWithdraw: boolean, problem: string | undefined): DecodeResult {
  const a = m.attributes;
  const withdrawn = fields(m.withdrawn, a.mpUnreach?.withdrawn);
  const announced = fields(m.nlri, a.mpReach?.nlri);
  const onlyMpUnreach = Object.keys(a).length === 1 && a.mpUnreach !== undefined;
  // RFC 4724 §2: End-of-RIB is an empty UPDATE (IPv4) or one holding only an empty MP_UNREACH_NLRI.
  if (!withdrawn.length && !announced.length) {
    if (Object.keys(a).length === 0)
      return { type: 'update', update: { withdrawn: [], announced: [], endOfRib: 'ipv4' } };
    if (onlyMpUnreach) {
      const f = familyOf(a.mpUnreach!.afi, a.mpUnreach!.safi);
      if (f) return { type: 'update', update: { withdrawn: [], announced: [], endOfRib: f } };
    }
  }
  return {
    type: 'update',
    update: {
      withdrawn,
      announced,
      attrs: attrsToSession(a),
      ...(treatAsWithdraw ? { treatAsWithdraw: true } : {}),
      ...(problem ? { problem } : {}),
    },
  };
}

function sessionAttrs(a: AttrSet, ebgp: boolean): Attributes {
  const out: Attributes = { origin: a.origin, asPath: a.asPath.map((s) => ({ type: s.type, asns: [...s.asns] })) };
  if (a.med !== undefined) out.med = a.med;
  // RFC 4271 §5.1.5, RFC 4456 §8: LOCAL_PREF and reflection attributes stay inside the AS.
  if (a.localPref !== undefined && !ebgp) out.localPref = a.localPref;
  if (a.atomicAggregate) out.atomicAggregate = true;
  if (a.aggregator) out.aggregator = { ...a.aggregator };
  if (a.communities?.length) out.communities = [...a.communities];
  if (a.originatorId && !ebgp) out.originatorId = a.originatorId;
  if (a.clusterList?.length && !ebgp) out.clusterList = [...a.clusterList];
  if (a.largeCommunities?.length) out.largeCommunities = [...a.largeCommunities];
  if (a.opaque?.length) out.unknown = a.opaque.map((o) => ({ ...o }));
  return out;
}

export const sessionCodec: Codec = {
  framer(): Framer {
    const f = new MessageFramer();
    return {
      push(chunk) {
        const r = f.push(chunk);
        return Array.isArray(r) ? r : toError(r.notification, r.error);
      },
      setExtended(on) {
        f.maxLength = on ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE;
      },
    };
  },

  decode(message: Buffer, ctx: SessionCodecContext): DecodeResult {
    const rx = ctx.addPathReceive;
    const d = decodeMessage(message, {
      fourOctetAs: ctx.fourOctetAs,
      ebgp: ctx.ebgp,
      extendedMessage: ctx.extendedMessage,
      wireNlri: true,
      addPath: rx?.length ? { ipv4: rx.includes('ipv4'), ipv6: rx.includes('ipv6') } : undefined,
    });
    const problem = d.errors.length ? d.errors.join('; ') : undefined;
    if (d.action === 'session-reset' || !d.message) return toError(d.notification, problem ?? 'session reset');
    const m = d.message;
    switch (m.type) {
      case 'open':
        return { type: 'open', open: openToSession(m) };
      case 'update':
        return updateToSession(m, d.action === 'treat-as-withdraw', problem);
      case 'notification':
        return {
          type: 'notification',
          notification: {
            code: m.code,
            subcode: m.subcode,
            data: Buffer.from(m.data, 'hex'),
            text: m.shutdownCommunication,
          },
        };
      case 'keepalive':
        return { type: 'keepalive' };
      case 'route-refresh':
        return { type: 'route-refresh', family: familyOf(m.afi, m.safi), subtype: m.subtype };
    }
  },

  encodeOpen(open: OpenToSend): Buffer {
    const c = open.capabilities;
    const caps: Capability[] = c.bare
      ? []
      : c.families.map((f) => ({ kind: 'multiprotocol', afi: afiOf(f), safi: SAFI_UNICAST }));
    if (c.routeRefresh) caps.push({ kind: 'route-refresh' });
    if (c.enhancedRouteRefresh) caps.push({ kind: 'enhanced-route-refresh' });
    if (c.extendedMessage) caps.push({ kind: 'extended-message' });
    if (c.fourOctetAs !== undefined) caps.push({ kind: 'four-octet-as', asn: c.fourOctetAs });
    if (c.addPath?.length)
      caps.push({
        kind: 'add-path',
        families: c.addPath.map((a) => ({ afi: afiOf(a.family), safi: SAFI_UNICAST, mode: addPathValue(a.mode) })),
      });
    if (c.gracefulRestart)
      caps.push({
        kind: 'graceful-restart',
        restarting: c.gracefulRestart.restarting,
        notification: false,
        restartTime: c.gracefulRestart.restartTime,
        families: c.gracefulRestart.families.map((f) => ({
          afi: afiOf(f.family),
          safi: SAFI_UNICAST,
          forwarding: f.forwarding,
        })),
      });
    return encodeOpen({
      myAs: open.asn > 0xffff ? AS_TRANS : open.asn,
      holdTime: open.holdTime,
      bgpId: open.routerId,
      capabilities: caps,
    });
  },

  encodeKeepalive,
  encodeNotification: (code, subcode, data) => encodeNotification(code, subcode, data ?? new Uint8Array()),
  encodeRouteRefresh: (family, subtype = 0) => encodeRouteRefresh(afiOf(family), SAFI_UNICAST, subtype),

  encodeUpdates(batch: UpdateBatch, ctx: SessionCodecContext): Buffer[] {
    // RFC 8654 §4: UPDATEs up to 65535 bytes only once both sides have the capability. (With ADD-PATH
    // the batch's prefix writers put each path ID in front of its prefix themselves.)
    const wctx = {
      fourOctetAs: ctx.fourOctetAs,
      ebgp: ctx.ebgp,
      maxMessage: ctx.extendedMessage ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE,
    };
    return packPrefixes(
      batch.family,
      batch.withdraw,
      batch.announce.map((g) => ({
        attributes: sessionAttrs(g.attrs, ctx.ebgp),
        nextHop: g.attrs.nextHop,
        linkLocal: g.attrs.nextHopLinkLocal,
        prefixes: g.prefixes,
      })),
      wctx,
    );
  },

  encodeEndOfRib: (family) => encodeEndOfRib(afiOf(family), SAFI_UNICAST),
};
