// Test/bench side of speaker-host.ts: starts a tsroute BGP speaker inside a lab namespace and calls
// its public API across the process boundary, recording the events it emits.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BestPathEvent, PeerOptions, PeerStatus, RouteView, SpeakerOptions } from '../../../bgp/index.js';
import { type Lab, type Netns, stopPid, waitFor } from '../../../src/lab/index.js';

const HOST = fileURLToPath(new URL('./speaker-host.ts', import.meta.url));

export class TsrouteNode {
  readonly events: { event: string; data: unknown }[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;

  private constructor(
    readonly ns: Netns,
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    child.on('message', (m: { id?: number; result?: unknown; error?: string; event?: string; data?: unknown }) => {
      if (m.event) this.events.push({ event: m.event, data: m.data });
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    });
    child.on('exit', () => {
      this.exited = true;
      for (const p of this.pending.values())
        p.reject(new Error(`tsroute speaker in ${ns.label} exited:\n${this.log()}`));
      this.pending.clear();
    });
  }

  /** Starts the speaker process in `ns` with `options` (add peers with addPeer). */
  static async start(
    lab: Lab,
    ns: Netns,
    options: SpeakerOptions & { events?: boolean },
    { label = 'tsroute', nodeArgs = [] as string[] } = {},
  ): Promise<TsrouteNode> {
    const logFile = `${lab.logDir}/${ns.label}-${label}.log`;
    const fd = openSync(logFile, 'a');
    const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, ...nodeArgs, '--import', 'tsx', HOST], {
      stdio: ['ignore', fd, fd, 'ipc'],
    });
    const node = new TsrouteNode(ns, child, logFile);
    lab.onDestroy(() => node.kill());
    await new Promise<void>((resolve, reject) => {
      const onMsg = (m: { ready?: boolean }) => {
        if (m.ready) {
          child.off('message', onMsg);
          resolve();
        }
      };
      child.on('message', onMsg);
      child.once('exit', (code) => reject(new Error(`speaker host exited with ${code}:\n${node.log()}`)));
    });
    await node.call('start', options);
    return node;
  }

  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    if (this.exited) return Promise.reject(new Error('tsroute speaker process has exited'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, method, args });
    });
  }

  addPeer(p: PeerOptions): Promise<void> {
    return this.call('addPeer', p);
  }
  announce(prefix: string, attrs?: Record<string, unknown>): Promise<void> {
    return attrs ? this.call('announce', prefix, attrs) : this.call('announce', prefix);
  }
  withdraw(prefix: string): Promise<void> {
    return this.call('withdraw', prefix);
  }
  peers(): Promise<PeerStatus[]> {
    return this.call('peers');
  }
  locRib(filter: Record<string, unknown> = {}): Promise<RouteView[]> {
    return this.call('locRib', filter);
  }
  adjRibOut(address: string): Promise<RouteView[]> {
    return this.call('adjRibOut', address);
  }

  bestPathEvents(): BestPathEvent[] {
    return this.events.filter((e) => e.event === 'best-path-changed').map((e) => e.data as BestPathEvent);
  }

  async waitEstablished(address: string, timeoutMs = 10_000): Promise<PeerStatus> {
    return waitFor(
      `tsroute session with ${address} Established`,
      async () => (await this.peers()).find((p) => p.address === address && p.state === 'Established'),
      { timeoutMs },
    );
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Kills the process at once: no NOTIFICATION, as a crash (for graceful-restart tests). */
  async crash(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await gone;
  }

  async kill(): Promise<void> {
    if (this.exited) return;
    try {
      await Promise.race([this.call('stop'), new Promise((r) => setTimeout(r, 500))]);
    } catch {
      // already going
    }
    if (this.child.pid) await stopPid(this.child.pid, 1000);
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '';
    }
  }
}
