// One whole message (header included, as the framer hands it over) → typed message or error action.
import { HEADER_LENGTH, MAX_EXTENDED_MESSAGE, MAX_MESSAGE, MSG } from './constants.js';
import { checkHeader } from './framer.js';
import { decodeKeepalive, decodeNotification, decodeRouteRefresh } from './message.js';
import { ERR, HEADER_SUB } from './notification.js';
import { decodeOpen } from './open.js';
import type { Decoded, WireContext } from './types.js';
import { decodeUpdate } from './update-decode.js';

export function decodeMessage(msg: Buffer, ctx: WireContext): Decoded {
  if (msg.length < HEADER_LENGTH)
    return {
      action: 'session-reset',
      notification: { code: ERR.HEADER, subcode: HEADER_SUB.BAD_LENGTH },
      errors: ['shorter than a header'],
    };
  const bad = checkHeader(msg, 0, ctx.extendedMessage ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE);
  if (bad) return { action: 'session-reset', notification: bad.notification, errors: [bad.error] };
  if (msg.readUInt16BE(16) !== msg.length)
    return {
      action: 'session-reset',
      notification: { code: ERR.HEADER, subcode: HEADER_SUB.BAD_LENGTH, data: msg.subarray(16, 18) },
      errors: ['length field differs from the message'],
    };
  const body = msg.subarray(HEADER_LENGTH);
  switch (msg[18]) {
    case MSG.OPEN:
      return decodeOpen(body);
    case MSG.UPDATE:
      return decodeUpdate(body, ctx);
    case MSG.NOTIFICATION:
      return decodeNotification(body);
    case MSG.KEEPALIVE:
      return decodeKeepalive(body);
    default:
      return decodeRouteRefresh(body);
  }
}
