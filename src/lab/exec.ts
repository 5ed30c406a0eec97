// Running the machine's tools (ip, birdc, gobgp, vtysh ...) from the harness: a promise around
// execFile with a deadline, and one clear failure when a binary is missing.
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface RunResult {
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly code: number | string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')} failed (${code}): ${stderr.trim() || stdout.trim()}`);
    this.name = 'CommandError';
  }
}

/** Runs argv[0] with the rest as arguments; rejects with CommandError on a non-zero exit or time-out. */
export function run(
  argv: string[],
  opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      argv[0]!,
      argv.slice(1),
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 256 << 20, env: opts.env ?? process.env, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const code =
            (err as NodeJS.ErrnoException & { code?: number | string }).code ?? (err.killed ? 'timeout' : null);
          reject(new CommandError(argv, code ?? null, stdout, stderr));
        } else resolve({ stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Synchronous variant, for exit handlers where the event loop no longer runs. Never throws. */
export function runSyncQuiet(argv: string[]): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    });
  } catch {
    return '';
  }
}

/** Which Debian package provides each tool the harness starts, for the "what to install" message. */
const PACKAGE_OF: Record<string, string> = {
  ip: 'iproute2',
  etcd: 'etcd-server',
  etcdctl: 'etcd-client',
  bird: 'bird2',
  birdc: 'bird2',
  gobgpd: 'gobgpd',
  gobgp: 'gobgpd',
  '/usr/lib/frr/bgpd': 'frr',
  '/usr/lib/frr/zebra': 'frr',
  vtysh: 'frr',
  exabgp: 'exabgp',
  tcpdump: 'tcpdump',
  ping: 'iputils-ping',
  nft: 'nftables',
  '/usr/sbin/nft': 'nftables',
};

/** Absolute path of a tool, or an Error that names the Debian package to install. */
export function requireBinary(name: string): string {
  const candidates = name.startsWith('/')
    ? [name]
    : [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin'].map((dir) => join(dir, name));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // keep looking
    }
  }
  const pkg = PACKAGE_OF[name] ?? name;
  throw new Error(`"${name}" is not installed: run "apt-get install -y ${pkg}" (or "npm test", which installs it)`);
}
