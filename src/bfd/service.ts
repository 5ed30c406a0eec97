// BfdService: the main thread's handle on BFD. The sessions, sockets and timers live in a worker
// thread (worker.ts) so detection timing does not depend on how busy the main event loop is; this
// class only forwards commands and turns the worker's messages into 'state' events.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BfdPeer, BfdSessionStatus, BfdStateChange, BfdTiming, FromWorker, ToWorker } from './messages.js';
import type { WorkerOptions } from './worker.js';

export type { BfdPeer, BfdSessionStatus, BfdStateChange, BfdTiming } from './messages.js';

/** RFC 5881 §4. */
export const BFD_PORT = 3784;

/** MetalLB BFDProfile's defaults (ms): 300 / 300 / 3. */
export const DEFAULT_TIMING: BfdTiming = { transmitInterval: 300, receiveInterval: 300, detectMultiplier: 3 };

/** Checks one timing; returns what is wrong (RFC 5880 §4.1: multiplier a non-zero byte; intervals µs in 32 bits). */
export function timingProblems(t: Partial<BfdTiming>): string[] {
  const out: string[] = [];
  for (const key of ['transmitInterval', 'receiveInterval'] as const) {
    const v = t[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 10 || v > 60_000))
      out.push(`${key} must be an integer number of milliseconds in 10..60000 (got ${v})`);
  }
  const m = t.detectMultiplier;
  if (m !== undefined && (!Number.isInteger(m) || m < 2 || m > 255))
    out.push(`detectMultiplier must be an integer in 2..255 (got ${m})`);
  return out;
}

export interface BfdServiceOptions {
  /** Default 3784; tests between two services on one host use other ports. */
  listenPort?: number;
  /** Port of the peers' BFD (default 3784). */
  peerPort?: number;
  /** Listen addresses; default 0.0.0.0 and ::. */
  listen?: string[];
}

export declare interface BfdService {
  on(event: 'state', listener: (change: BfdStateChange) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: typed events for the EventEmitter
export class BfdService extends EventEmitter {
  private nextId = 1;
  private readonly pending = new Map<number, (s: BfdSessionStatus[]) => void>();
  private closed = false;

  /** The ports the listeners got (3784 unless the options asked for another or for 0). */
  ports: number[] = [];

  private constructor(private readonly worker: Worker) {
    super();
  }

  static start(opts: BfdServiceOptions = {}): Promise<BfdService> {
    const data: WorkerOptions = {
      listenPort: opts.listenPort ?? BFD_PORT,
      peerPort: opts.peerPort ?? BFD_PORT,
      listen: opts.listen ?? ['0.0.0.0', '::'],
    };
    const worker = spawnWorker(data);
    const service = new BfdService(worker);
    return new Promise((resolve, reject) => {
      const onStartError = (err: Error) => reject(err);
      worker.once('error', onStartError);
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          worker.removeListener('error', onStartError);
          service.ports = m.ports;
          worker.on('error', (err) => service.emit('error', err));
          resolve(service);
        } else if (m.type === 'error') {
          const err = new Error(m.message);
          if (service.listenerCount('error')) service.emit('error', err);
          reject(err);
        } else service.onMessage(m);
      });
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'state') this.emit('state', m.change);
    else if (m.type === 'status') {
      this.pending.get(m.id)?.(m.sessions);
      this.pending.delete(m.id);
    }
  }

  private send(m: ToWorker): void {
    if (!this.closed) this.worker.postMessage(m);
  }

  /** Starts (or retimes) the session with `peer.peer`. */
  add(peer: BfdPeer): void {
    const problems = timingProblems(peer.timing);
    if (problems.length) throw new Error(`BFD session to ${peer.peer}: ${problems.join('; ')}`);
    this.send({ type: 'add', session: peer });
  }

  /** New timing for a running session: a poll sequence while Up (RFC 5880 §6.8.3), no reset. */
  update(peer: string, timing: BfdTiming): void {
    const problems = timingProblems(timing);
    if (problems.length) throw new Error(`BFD session to ${peer}: ${problems.join('; ')}`);
    this.send({ type: 'update', peer, timing });
  }

  /** Ends the session: the peer is told AdminDown (diag 7) so it does not count a failure. */
  remove(peer: string): void {
    this.send({ type: 'remove', peer });
  }

  status(): Promise<BfdSessionStatus[]> {
    if (this.closed) return Promise.resolve([]);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ type: 'status', id });
    });
  }

  /** Sends AdminDown on every session and stops the worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    const done = new Promise<void>((resolve) => {
      this.worker.on('message', (m: FromWorker) => m.type === 'closed' && resolve());
      this.worker.once('exit', () => resolve());
    });
    this.send({ type: 'close' });
    this.closed = true;
    await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
    await this.worker.terminate();
  }

  /** Stops the worker at once, without AdminDown: to the peers it looks like we died (for tests). */
  async kill(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
  }
}

/** The compiled worker.js next to us, or (running from TypeScript sources under tsx) worker.ts. */
function spawnWorker(data: WorkerOptions): Worker {
  const js = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: data });
  const ts = new URL('./worker.ts', import.meta.url).href;
  // tsx's loader is not inherited by workers: register it, then load the TypeScript worker.
  const code = `import('tsx/esm/api').then((m) => m.register()).then(() => import(${JSON.stringify(ts)}))`;
  return new Worker(code, { eval: true, workerData: data });
}
