// A process the harness started, known by PID and stopped by PID (never by name): SIGTERM, a grace
// period, then SIGKILL. Its output goes to a log file that failing tests can show.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { sleep } from './wait.js';

/** True while `pid` runs; a zombie (exited, not yet reaped by its parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Sends SIGTERM, waits up to `graceMs` for the PID to go, then SIGKILLs it. */
export async function stopPid(pid: number, graceMs = 5_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(20);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  while (isAlive(pid)) await sleep(10);
}

export class Daemon {
  private exited = false;
  private exitCode: number | null = null;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    child.on('exit', (code) => {
      this.exited = true;
      this.exitCode = code;
    });
  }

  /** Starts argv with stdout+stderr appended to `logFile`. The process keeps the harness's PID tracking. */
  static start(
    name: string,
    argv: string[],
    logFile: string,
    opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ): Daemon {
    const fd = openSync(logFile, 'a');
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    return new Daemon(name, child, logFile);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** The last lines of the daemon's log, for error messages. */
  tail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Throws with the log tail if the process has already exited: a daemon that died at start-up. */
  assertRunning(): void {
    if (this.exited) throw new Error(`${this.name} exited (code ${this.exitCode}); log:\n${this.tail()}`);
  }

  async stop(graceMs = 5_000): Promise<void> {
    if (this.exited || this.pid < 0) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await stopPid(this.pid, graceMs);
    await Promise.race([done, sleep(1000)]);
  }
}
