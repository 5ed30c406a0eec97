// Why a session went down (or a setup attempt failed), as data: the FSM decides it, the speaker
// passes it on in its peer-state events, and describeDown renders it for status and logs.
import { ERR, notificationReason } from '../wire/notification.js';

export type DownReason =
  /**
   * ManualStop: removed, shut down, BFD Down or the speaker stopping; `cease` is the Cease subcode
   * sent when the session had got as far as OpenSent.
   */
  | { kind: 'admin-stop'; message?: string; cease?: number }
  /** We sent this NOTIFICATION: an error in what the peer sent, or a Cease the speaker decided. */
  | { kind: 'notification-sent'; code: number; subcode: number; text?: string }
  /** The peer sent this NOTIFICATION (with its RFC 8203/9003 shutdown communication, if any). */
  | { kind: 'notification-received'; code: number; subcode: number; text?: string }
  /** RFC 4271 §6.5: nothing from the peer within the hold time (we sent 4/0). */
  | { kind: 'hold-timer-expired' }
  /** RFC 6608: a message the state does not expect (we sent 5/subcode). */
  | { kind: 'unexpected-message'; message: 'OPEN' | 'KEEPALIVE' | 'UPDATE'; state: string; subcode: number }
  /** The TCP connection closed without a NOTIFICATION. */
  | { kind: 'connection-closed' };

/** The NOTIFICATION that went with the session's end, if one did. */
export function downNotification(r: DownReason): { code: number; subcode: number; sent: boolean } | undefined {
  switch (r.kind) {
    case 'admin-stop':
      return r.cease === undefined ? undefined : { code: ERR.CEASE, subcode: r.cease, sent: true };
    case 'notification-sent':
      return { code: r.code, subcode: r.subcode, sent: true };
    case 'notification-received':
      return { code: r.code, subcode: r.subcode, sent: false };
    case 'hold-timer-expired':
      return { code: ERR.HOLD_TIMER, subcode: 0, sent: true };
    case 'unexpected-message':
      return { code: ERR.FSM, subcode: r.subcode, sent: true };
    default:
      return undefined;
  }
}

/** For people: `received NOTIFICATION 6/2 (administrative shutdown): "maintenance"`, `connection closed by peer`... */
export function describeDown(r: DownReason): string {
  switch (r.kind) {
    case 'admin-stop':
      return r.message ? `administratively stopped: ${JSON.stringify(r.message)}` : 'administratively stopped';
    case 'notification-sent':
      return notificationReason(r.code, r.subcode, r.text, 'sent');
    case 'notification-received':
      return notificationReason(r.code, r.subcode, r.text, 'received');
    case 'hold-timer-expired':
      return 'hold timer expired (sent NOTIFICATION 4/0)';
    case 'unexpected-message':
      return `unexpected ${r.message} in ${r.state}`;
    case 'connection-closed':
      return 'connection closed by peer';
  }
}
