// The agent's timers and retries: periodic tasks whose failure is logged and never stops the next
// run, a retry with back-off for start-up steps that need etcd, and a coalescing runner (a call while
// one runs means "once more after it", never two at once). Everything the agent does on a timer goes
// through here, so `stop` ends all of it.
import type { Logger } from './logger.js';

/** Back-off of the start-up retries: the first wait is up to 200 ms, the window doubling to at most 2 s. */
export const RETRY_BASE_MS = 200;
export const RETRY_CAP_MS = 2000;

/**
 * "Full jitter" back-off: a wait drawn uniformly from [0, min(cap, base·2^attempt)). Many agents that
 * failed together (100 starting at once against one etcd) then retry spread over the whole window
 * instead of together at each step, so their retries do not arrive as a wave that overloads etcd
 * again; the growing window lets an overloaded etcd drain what it already has.
 */
export function jitteredBackoffMs(
  attempt: number,
  baseMs = RETRY_BASE_MS,
  capMs = RETRY_CAP_MS,
  random: () => number = Math.random,
): number {
  return random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
}

export class Timers {
  private readonly intervals: NodeJS.Timeout[] = [];

  constructor(private readonly log: Logger) {}

  /** Runs `fn` every `ms`; a throw or a rejection is logged and the next run happens anyway. */
  every(ms: number, fn: () => unknown): void {
    const t = setInterval(() => {
      try {
        const r = fn();
        if (r instanceof Promise)
          r.catch((err) => this.log.warn({ err: (err as Error).message }, 'periodic task failed'));
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'periodic task failed');
      }
    }, ms);
    t.unref();
    this.intervals.push(t);
  }

  /**
   * `fn` until it succeeds, waiting a jittered back-off between attempts (`jitteredBackoffMs`: up to
   * 200 ms, the window doubling to at most 2 s); one warning, on the first failure.
   */
  async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt === 0) this.log.warn({ err: (err as Error).message }, `cannot ${what} yet; retrying`);
        await new Promise((r) => setTimeout(r, jitteredBackoffMs(attempt)));
      }
    }
  }

  stop(): void {
    for (const t of this.intervals.splice(0)) clearInterval(t);
  }
}

/** Runs `task` one at a time: a `run()` while it runs asks for exactly one more run after it. */
export class Coalesced {
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly onError: (err: Error) => void,
  ) {}

  run(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.task()
      .catch((err) => this.onError(err as Error))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.run();
        }
      });
  }
}
