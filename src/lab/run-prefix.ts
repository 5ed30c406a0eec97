// Every namespace, link-side name and temp folder the harness makes carries the run's prefix, so a
// sweeper can remove exactly this run's leftovers and nothing else on the machine.
import { randomBytes } from 'node:crypto';

/**
 * The prefix of this run: TSROUTE_RUN_ID when a driver (scripts/test.sh) set one for the whole
 * suite, or a fresh random one for a process started alone. Always "tsr" + letters/digits.
 */
export const RUN_PREFIX: string = (() => {
  const fromEnv = process.env.TSROUTE_RUN_ID;
  if (fromEnv && /^tsr[a-z0-9]{1,12}$/.test(fromEnv)) return fromEnv;
  return `tsr${randomBytes(3).toString('hex')}`;
})();

let counter = 0;

/** A name unique within this process, under the run prefix: `<prefix>-<pid36><n>-<label>`. */
export function uniqueName(label: string): string {
  counter += 1;
  const clean = label.replace(/[^a-zA-Z0-9]/g, '').slice(0, 16) || 'x';
  return `${RUN_PREFIX}-${process.pid.toString(36)}${counter.toString(36)}-${clean}`;
}
