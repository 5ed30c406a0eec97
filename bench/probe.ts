// The benchmark's side of the reachability prober (bench/reachability-prober.ts): one process in a
// lab namespace for the whole run, asked over a pipe. `overhead()` measures what a probe itself
// costs (pipe both ways, one SYN/RST round trip) against an address that already answers, so the
// figures can be printed beside it.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Lab, Netns } from '../src/lab/index.js';

const PROBER = fileURLToPath(new URL('./reachability-prober.ts', import.meta.url));

export class Prober {
  private readonly waiting = new Map<string, (ok: boolean) => void>();
  private next = 0;

  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [id, result] = line.split(' ');
      const done = id !== undefined ? this.waiting.get(id) : undefined;
      if (!done || !id) return;
      this.waiting.delete(id);
      done(result === 'ok');
    });
    child.on('exit', () => {
      for (const done of this.waiting.values()) done(false);
      this.waiting.clear();
    });
  }

  /** Starts the prober in `ns`; the lab stops it (the child this started, by its pid) on destroy. */
  static async start(lab: Lab, ns: Netns): Promise<Prober> {
    const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '--import', 'tsx', PROBER], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    lab.onDestroy(() => {
      child.stdin.end();
      if (child.exitCode === null) child.kill('SIGTERM');
    });
    const prober = new Prober(child);
    // the first answer comes once tsx has started it: the namespace's loopback refuses at once
    if (!(await prober.reachable('127.0.0.1'))) throw new Error('the reachability prober did not start');
    return prober;
  }

  /** Resolves true once `address` answers (within the prober's 5 s), false otherwise. */
  reachable(address: string): Promise<boolean> {
    const id = String(this.next++);
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin.write(`${id} ${address}\n`);
    });
  }

  /** Round-trip times (ms) of `n` probes to an address that already answers. */
  async overhead(address: string, n = 100): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      if (!(await this.reachable(address))) throw new Error(`${address} stopped answering`);
      out.push(performance.now() - t0);
    }
    return out;
  }
}
