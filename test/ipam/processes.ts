// Starting IPAM worker processes and reading their JSON lines; killed by PID on teardown.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface Worker {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resolves once a line matching `re` was printed. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
}

export function startWorker(t: ExecutionContext, args: string[]): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  });
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
      nl = buf.indexOf('\n');
    }
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    lines,
    exited: exited.then((code) => {
      if (code !== 0 && code !== null) throw new Error(`worker ${args.join(' ')} exited ${code}: ${stderr}`);
      return code;
    }),
    // A worker starts through tsx and reaches etcd in 1–3 s on a quiet machine; with two suites side
    // by side on 2 cores three workers starting at once took over 30 s. The bound only catches a
    // worker that is stuck, so it is generous.
    waitFor: (re, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const hit = lines.find((l) => re.test(l));
        if (hit) return resolve(hit);
        const timer = setTimeout(() => reject(new Error(`worker never printed ${re}; stderr: ${stderr}`)), timeoutMs);
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`worker exited before printing ${re}; stderr: ${stderr}`));
        });
      }),
  };
}
