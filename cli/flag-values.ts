// Parsing flag values into what resources hold, with one-line errors naming the flag.
import { isIP } from 'node:net';
import { parseEndpoints } from '../src/datastore/connect.js';
import { parseCidr } from '../src/model/cidr.js';
import { CliError } from './exit.js';

export function parseBool(flag: string) {
  return (value: string): boolean => {
    const v = value.toLowerCase();
    if (['true', 'on', 'yes', '1'].includes(v)) return true;
    if (['false', 'off', 'no', '0'].includes(v)) return false;
    throw new CliError(`${flag} must be true/false or on/off (got "${value}")`);
  };
}

export function parseIntFlag(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
      throw new CliError(`${flag} must be a whole number (got "${value}")`);
    return Number(value);
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** "k=v" pairs into a map. */
export function keyValues(flag: string, pairs: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new CliError(`${flag} takes key=value (got "${p}")`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

/** Drops undefined values, so a spec built from flags carries only what was given. */
export function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** An IPv4 or IPv6 address (checked here, so a typo never reaches etcd or the agent). */
export function parseAddressFlag(flag: string) {
  return (value: string): string => {
    if (!isIP(value)) throw new CliError(`${flag} must be an IP address (got "${value}")`);
    return value;
  };
}

/** Like parseAddressFlag, for repeatable flags. */
export function collectAddresses(flag: string) {
  const one = parseAddressFlag(flag);
  return (value: string, previous: string[] = []): string[] => [...previous, one(value)];
}

/** ADDRESS/LENGTH, or with `addressToo` a bare address. */
export function parseCidrFlag(flag: string, addressToo = false) {
  return (value: string): string => {
    if (addressToo && isIP(value)) return value;
    const r = parseCidr(value);
    if (!r.ok) throw new CliError(`${flag}: ${r.reason}`);
    return value;
  };
}

/** --etcd-endpoints: checked when parsed, before any command runs. */
export function parseEndpointsFlag(value: string): string {
  try {
    parseEndpoints(value);
  } catch (err) {
    throw new CliError(`--etcd-endpoints: ${(err as Error).message}`);
  }
  return value;
}

/** A Cease's shutdown communication: at most 255 bytes of UTF-8 (RFC 9003 §2). */
export function parseCeaseMessage(value: string): string {
  if (Buffer.byteLength(value, 'utf8') > 255) throw new CliError('--message is longer than 255 bytes (RFC 9003 §2)');
  return value;
}

/** One of a fixed set of words. */
export function parseChoice(flag: string, choices: string[]) {
  return (value: string): string => {
    if (!choices.includes(value)) throw new CliError(`${flag} must be one of ${choices.join(', ')} (got "${value}")`);
    return value;
  };
}
