// A BGPPeer's TCP-MD5 password (RFC 2385) comes from a file or an environment variable, never from
// etcd: the agent reads it each time it applies the cluster's configuration (so a changed file takes
// effect at the next resync). The password itself is never logged or reported; problems name only
// where it was looked for.
import { readFileSync } from 'node:fs';

/** Linux keeps at most this many key bytes (TCP_MD5SIG_MAXKEYLEN). */
const MAX_KEY_BYTES = 80;

export interface PeerPassword {
  password: string | undefined;
  /** Set when a password is configured but cannot be used: the session is held back. */
  passwordProblem?: string;
}

/** Reads `ref` ({fromFile} or {fromEnv}); one trailing newline of a file is not part of the password. */
export function readPeerPassword(
  ref: { fromFile?: string; fromEnv?: string } | undefined,
  env: NodeJS.ProcessEnv = process.env,
): PeerPassword {
  if (!ref) return { password: undefined };
  let value: string | undefined;
  let where: string;
  if (ref.fromFile !== undefined) {
    where = `password file ${ref.fromFile}`;
    try {
      value = readFileSync(ref.fromFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      return { password: undefined, passwordProblem: `cannot read ${where}: ${code}` };
    }
  } else {
    where = `password variable ${ref.fromEnv}`;
    value = env[ref.fromEnv ?? ''];
    if (value === undefined)
      return { password: undefined, passwordProblem: `${where} is not set in the agent's environment` };
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes === 0) return { password: undefined, passwordProblem: `${where} is empty` };
  if (bytes > MAX_KEY_BYTES)
    return {
      password: undefined,
      passwordProblem: `${where}: a TCP-MD5 password has at most ${MAX_KEY_BYTES} bytes (${bytes})`,
    };
  return { password: value };
}
