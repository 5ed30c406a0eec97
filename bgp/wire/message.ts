// The common header (RFC 4271 §4.1), KEEPALIVE (§4.4), NOTIFICATION (§4.5, RFC 8203/9003) and
// ROUTE-REFRESH (RFC 2918, RFC 7313).
import { Parser } from 'binary-parser';
import { HEADER_LENGTH, MSG } from './constants.js';
import { CEASE_SUB, ERR, HEADER_SUB, ROUTE_REFRESH_SUB } from './notification.js';
import type { Decoded, NotificationMessage, RouteRefreshMessage } from './types.js';

/** Header + body in one buffer. */
export function frame(type: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  out.fill(0xff, 0, 16);
  out.writeUInt16BE(HEADER_LENGTH + body.length, 16);
  out[18] = type;
  out.set(body, HEADER_LENGTH);
  return out;
}

const notificationParser = new Parser().uint8('code').uint8('subcode');
const routeRefreshParser = new Parser().uint16be('afi').uint8('subtype').uint8('safi');

/** RFC 9003 §2: Cease subcodes that may carry a shutdown communication. */
const carriesCommunication = (code: number, subcode: number) =>
  code === ERR.CEASE && (subcode === CEASE_SUB.ADMIN_SHUTDOWN || subcode === CEASE_SUB.ADMIN_RESET);

export function decodeNotification(body: Buffer): Decoded {
  if (body.length < 2)
    return { action: 'session-reset', notification: badLength(body.length), errors: ['NOTIFICATION too short'] };
  const { code, subcode } = notificationParser.parse(body) as { code: number; subcode: number };
  const data = body.subarray(2);
  const message: NotificationMessage = { type: 'notification', code, subcode, data: data.toString('hex') };
  // RFC 8203 §2 / RFC 9003 §2: one length byte (≤ 255) and that many bytes of UTF-8.
  if (carriesCommunication(code, subcode) && data.length >= 1 && data.length === 1 + data[0]!) {
    const text = data.subarray(1);
    const decoded = new TextDecoder('utf-8', { fatal: false }).decode(text);
    message.shutdownCommunication = decoded;
  }
  return { message, action: 'none', errors: [] };
}

/** RFC 8203: a Cease NOTIFICATION with a shutdown communication (truncated to 255 bytes of UTF-8). */
export function encodeNotification(
  code: number,
  subcode: number,
  data: Uint8Array | string = new Uint8Array(),
): Buffer {
  let bytes: Uint8Array;
  if (typeof data === 'string') {
    let text = Buffer.from(data, 'utf8');
    if (text.length > 255)
      text = Buffer.from(new TextDecoder().decode(text.subarray(0, 255)).replace(/\uFFFD+$/, ''), 'utf8');
    bytes = Buffer.concat([Buffer.from([text.length]), text]);
  } else bytes = data;
  return frame(MSG.NOTIFICATION, Buffer.concat([Buffer.from([code, subcode]), bytes]));
}

const badLength = (len: number) => ({
  code: ERR.HEADER,
  subcode: HEADER_SUB.BAD_LENGTH,
  data: Uint8Array.of((len + HEADER_LENGTH) >> 8, (len + HEADER_LENGTH) & 0xff),
});

export function decodeKeepalive(body: Buffer): Decoded {
  if (body.length !== 0)
    return { action: 'session-reset', notification: badLength(body.length), errors: ['KEEPALIVE with a body'] };
  return { message: { type: 'keepalive' }, action: 'none', errors: [] };
}

export const encodeKeepalive = (): Buffer => frame(MSG.KEEPALIVE, new Uint8Array());

export function decodeRouteRefresh(body: Buffer): Decoded {
  // RFC 7313 §5: a ROUTE-REFRESH of the wrong length is "Invalid Message Length" (code 7, subcode 1).
  if (body.length !== 4)
    return {
      action: 'session-reset',
      notification: { code: ERR.ROUTE_REFRESH, subcode: ROUTE_REFRESH_SUB.INVALID_LENGTH, data: body },
      errors: ['bad ROUTE-REFRESH length'],
    };
  const m = routeRefreshParser.parse(body) as Omit<RouteRefreshMessage, 'type'>;
  return {
    message: { type: 'route-refresh', afi: m.afi, subtype: m.subtype, safi: m.safi },
    action: 'none',
    errors: [],
  };
}

export function encodeRouteRefresh(afi: number, safi: number, subtype = 0): Buffer {
  return frame(MSG.ROUTE_REFRESH, Buffer.from([afi >> 8, afi & 0xff, subtype, safi]));
}
