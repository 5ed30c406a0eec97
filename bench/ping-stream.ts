// A steady probe stream for failover benchmarks: `ping -i 0.01` (root may go below 200 ms) from a lab
// namespace, its replies read line by line. Lost probes are counted from the sequence numbers of the
// replies (the gaps between the first and the last reply), so a probe still in flight when the stream
// stops is not counted as lost. On a loaded machine ping sends less often than asked (measured: every
// ~17 ms for -i 0.01 with 2 cores and load 7), so the stream also reports the interval it achieved and
// the outage: the longest time between two replies (ping -D's kernel-read timestamps), which does not
// depend on the probe rate.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Lab, Netns } from '../src/lab/index.js';

export class PingStream {
  private first?: number;
  private last?: number;
  private replies = 0;
  private firstAt?: number;
  private lastAt?: number;
  private maxGap = 0;
  /** Replies since the last probe that went unanswered (ping -O reports those). */
  private run = 0;
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcessByStdio<null, Readable, null>) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const reply = /^\[(\d+\.\d+)\] .* icmp_seq=(\d+) ttl=/.exec(line);
      if (reply) {
        const at = Number(reply[1]) * 1000;
        const seq = Number(reply[2]);
        if (this.lastAt !== undefined) this.maxGap = Math.max(this.maxGap, at - this.lastAt);
        this.firstAt ??= at;
        this.lastAt = at;
        this.first ??= seq;
        this.last = seq;
        this.replies += 1;
        this.run += 1;
      } else if (line.startsWith('no answer yet')) this.run = 0;
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Starts pinging `address` from `ns` every `intervalMs`; the lab stops it (by its pid) if we do not. */
  static start(lab: Lab, ns: Netns, address: string, intervalMs: number): PingStream {
    const child = spawn(
      'ip',
      // stdbuf -oL: ping's stdout into a pipe is block-buffered, and replies must be seen as they come.
      [
        'netns',
        'exec',
        ns.name,
        'stdbuf',
        '-oL',
        'ping',
        '-D',
        '-n',
        '-O',
        '-W',
        '1',
        '-i',
        String(intervalMs / 1000),
        address,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const stream = new PingStream(child);
    lab.onDestroy(async () => {
      await stream.stop();
    });
    return stream;
  }

  /** Consecutive replies since the last unanswered probe. */
  get replyRun(): number {
    return this.run;
  }

  get replied(): number {
    return this.replies;
  }

  /**
   * Stops the stream. `lost`: probes between the first and the last reply that went unanswered;
   * `outageMs`: the longest time between two replies; `intervalMs`: the probe interval achieved.
   */
  async stop(): Promise<{ lost: number; outageMs: number; intervalMs: number }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
    await this.exited;
    const sent = (this.last ?? 0) - (this.first ?? 0);
    return {
      lost: this.first === undefined ? Number.NaN : sent + 1 - this.replies,
      outageMs: this.maxGap,
      intervalMs: sent > 0 ? ((this.lastAt ?? 0) - (this.firstAt ?? 0)) / sent : Number.NaN,
    };
  }
}
