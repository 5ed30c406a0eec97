// One queue per node: work for a node runs one batch at a time, and everything that arrived while a
// batch ran forms the next batch. Serialising a host's own requests removes the compare-and-swap
// fights they would otherwise have over the host's block; batching turns N waiting requests into one
// etcd round trip.
interface Waiting<Q, R> {
  request: Q;
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

export class NodeQueue<Q, R> {
  private readonly queues = new Map<string, { waiting: Waiting<Q, R>[]; running: boolean }>();

  constructor(
    private readonly runBatch: (batch: Q[]) => Promise<(R | Error)[]>,
    private readonly maxBatch = 64,
  ) {}

  run(key: string, request: Q): Promise<R> {
    let q = this.queues.get(key);
    if (!q) {
      q = { waiting: [], running: false };
      this.queues.set(key, q);
    }
    const queue = q;
    return new Promise<R>((resolve, reject) => {
      queue.waiting.push({ request, resolve, reject });
      if (!queue.running) void this.drain(key, queue);
    });
  }

  private async drain(key: string, q: { waiting: Waiting<Q, R>[]; running: boolean }): Promise<void> {
    q.running = true;
    while (q.waiting.length) {
      const batch = q.waiting.splice(0, this.maxBatch);
      try {
        const results = await this.runBatch(batch.map((w) => w.request));
        batch.forEach((w, i) => {
          const r = results[i];
          if (r instanceof Error) w.reject(r);
          else w.resolve(r as R);
        });
      } catch (err) {
        for (const w of batch) w.reject(err as Error);
      }
    }
    q.running = false;
    this.queues.delete(key);
  }
}
