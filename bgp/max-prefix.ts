// What a peer's prefix count means against its max-prefix setting (RFC 4486 §4 Cease/1): nothing,
// a warning once the count crosses the warning threshold, or a trip that closes the session.
import type { MaxPrefix } from './config.js';

export type MaxPrefixVerdict = 'ok' | 'warn' | 'trip';

export function maxPrefixConfig(mp: number | MaxPrefix | undefined): MaxPrefix | undefined {
  return typeof mp === 'number' ? { limit: mp } : mp;
}

/**
 * The verdict for `count` prefixes. `warned` says whether the warning was already given for this
 * climb, so a warning is logged once per crossing, not once per UPDATE.
 */
export function maxPrefixVerdict(conf: MaxPrefix, count: number, warned: boolean): MaxPrefixVerdict {
  if (count > conf.limit) return conf.action === 'warn' ? (warned ? 'ok' : 'warn') : 'trip';
  if (conf.warningPercent === undefined || warned) return 'ok';
  return count >= Math.ceil((conf.limit * conf.warningPercent) / 100) ? 'warn' : 'ok';
}

/** Below the threshold again: the next crossing warns again. */
export function belowWarning(conf: MaxPrefix, count: number): boolean {
  const threshold = conf.warningPercent === undefined ? conf.limit : (conf.limit * conf.warningPercent) / 100;
  return count < threshold;
}
