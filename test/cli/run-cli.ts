// Runs the `tsroute` CLI as a separate process, the way a person or a script does: the compiled bin
// (dist/cli/main.js), never the TypeScript sources through tsx, whose start-up cost per call made
// these tests hit their kill timer on a loaded machine. A missing or stale build is one clear failure.
import { spawn } from 'node:child_process';
import { BUILT_CLI, builtCliProblem } from '../../src/lab/built-cli.js';

/** The compiled bin; throws when dist/ is missing or older than cli/, src/ or bgp/. */
export function builtCli(): string {
  const problem = builtCliProblem();
  if (problem) throw new Error(problem);
  return BUILT_CLI;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * At most this many CLI processes at once per test worker: tests fire dozens with Promise.all, and
 * on a loaded two-core machine that many Node start-ups at once starve each other past their etcd
 * deadlines. They queue here instead.
 */
const MAX_PARALLEL = 4;
let active = 0;
const waiting: (() => void)[] = [];

export async function runCli(
  args: string[],
  opts: { endpoint?: string; input?: string; env?: NodeJS.ProcessEnv; killAfterMs?: number } = {},
): Promise<CliResult> {
  if (active >= MAX_PARALLEL) await new Promise<void>((r) => waiting.push(r));
  active++;
  try {
    return await spawnCli(args, opts);
  } finally {
    active--;
    waiting.shift()?.();
  }
}

function spawnCli(
  args: string[],
  opts: { endpoint?: string; input?: string; env?: NodeJS.ProcessEnv; killAfterMs?: number },
): Promise<CliResult> {
  const started = Date.now();
  const main = builtCli();
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...opts.env };
    delete env.TSROUTE_DEBUG;
    if (opts.endpoint) env.TSROUTE_ETCD_ENDPOINTS = opts.endpoint;
    const child = spawn(process.execPath, [main, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    // Only against a hang: a CLI call takes well under a second unloaded.
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.end(opts.input ?? '');
  });
}
