// The raw etcd layer under the typed datastore and IPAM: JSON values with their revisions, and
// multi-key transactions with compare-on-mod-revision, so a change is all-or-nothing.
import { type Etcd3, GRPCDeadlineExceededError, GRPCUnavailableError, type IKeyValue, type IRequestOp } from 'etcd3';
import { createEtcdClient, type EtcdOptions } from './connect.js';
import { DatastoreError, DatastoreUnavailableError } from './errors.js';

export interface Versioned<T> {
  key: string;
  value: T;
  modRevision: number;
  createRevision: number;
}

/** Holds when the key's mod revision equals `modRevision`; 0 means "the key does not exist". */
export interface Compare {
  key: string;
  modRevision: number;
}

export type Op = { put: string; value: unknown } | { delete: string };

export interface TxnResult {
  succeeded: boolean;
  revision: number;
  /** Current values of the keys asked for in `readOnFailure`, when the compares failed. */
  reads: Map<string, Versioned<unknown> | undefined>;
}

export type WatchEvent<T> = { type: 'put'; entry: Versioned<T> } | { type: 'delete'; key: string; modRevision: number };

/**
 * A value that is not JSON (written into etcd by hand) comes back as its text, so the one key is
 * refused by whoever checks it instead of failing every read of its prefix.
 */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function decode<T>(kv: IKeyValue): Versioned<T> {
  return {
    key: kv.key.toString(),
    value: parseValue(kv.value.toString()) as T,
    modRevision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
  };
}

function isUnavailable(err: unknown): boolean {
  if (err instanceof GRPCUnavailableError || err instanceof GRPCDeadlineExceededError) return true;
  const e = err as Error;
  return (
    e?.name === 'BrokenCircuitError' ||
    /deadline|unavailable|no connection|ECONNREFUSED|ENOENT|connect|timed? ?out/i.test(e?.message ?? '')
  );
}

/** "connect ECONNREFUSED 127.0.0.1:2379" out of grpc-js's long UNAVAILABLE text; TLS failures in words. */
function shortReason(err: Error): string {
  const msg = (err.message ?? String(err)).split('\n')[0]!;
  if (/alert bad certificate|certificate required|alert unknown ca|alert handshake failure/i.test(msg))
    return 'TLS: etcd refused our client certificate; check --etcd-cert / --etcd-key';
  if (/self[- ]signed|unable to (verify|get local issuer)|certificate verify failed|CERT_|altnames/i.test(msg))
    return "TLS: etcd's certificate could not be verified; check --etcd-ca";
  const last = /Last error: (?:Error: )?(.*?)(?:\. Resolution note.*)?$/.exec(msg);
  return last?.[1] ?? msg;
}

export class Kv {
  private client: Etcd3;
  /** Watches get their own client: it is never recreated, since its watch streams reconnect (and
   * resume) on their own, while the request client is replaced after an outage. */
  private watchClient?: Etcd3;

  /** When the current client last had an answer from etcd (any call that did not fail). */
  private lastAnswerAt = Date.now();

  constructor(readonly options: EtcdOptions) {
    this.client = createEtcdClient(options);
  }

  /** With several members, a call whose deadline passed on one (a follower waiting for a leader that
   * died) is tried again: the member's breaker has opened, so the next attempt goes to another. */
  private get attempts(): number {
    return this.options.endpoints.length > 1 ? 3 : 1;
  }

  /** A read: safe to repeat, so a deadline that passed is tried again on another member. */
  private async read<R>(what: string, fn: (c: Etcd3) => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      const client = this.client;
      try {
        return this.answered(await fn(client));
      } catch (err) {
        if (!(err instanceof GRPCDeadlineExceededError) || attempt >= this.attempts)
          return this.fail(what, err, client);
      }
    }
  }

  /** Runs one etcd call; an unreachable etcd becomes a DatastoreUnavailableError (exit code 2) and the
   * client is recreated, so that the next call dials afresh instead of inheriting a broken channel. */
  private async call<R>(what: string, fn: (c: Etcd3) => Promise<R>): Promise<R> {
    const client = this.client;
    try {
      return this.answered(await fn(client));
    } catch (err) {
      return this.fail(what, err, client);
    }
  }

  private answered<R>(r: R): R {
    this.lastAnswerAt = Date.now();
    return r;
  }

  /**
   * Whether a failure of `client` means its channel is broken, so the next call should dial afresh.
   * Not when another call already replaced it (ten calls failing together must not dial ten times,
   * each new client closing the previous one with its calls in flight). Not for a deadline that
   * passed while etcd still answers other calls: that is an overloaded etcd, and a new channel
   * would cut every call in flight on this one — which etcd still carries out, and whose callers
   * then retry — only adding load to an etcd that is already behind.
   */
  private broken(client: Etcd3, err: unknown): boolean {
    if (client !== this.client) return false;
    if (!(err instanceof GRPCDeadlineExceededError)) return true;
    const callTimeout = this.options.callTimeoutMs ?? (this.options.endpoints.length > 1 ? 2500 : 5000);
    return Date.now() - this.lastAnswerAt > 2 * callTimeout;
  }

  private fail(what: string, err: unknown, client: Etcd3 = this.client): never {
    if (err instanceof DatastoreError) throw err;
    if (isUnavailable(err)) {
      if (this.broken(client, err)) {
        this.client = createEtcdClient(this.options);
        this.lastAnswerAt = Date.now();
        client.close();
      }
      throw new DatastoreUnavailableError(
        `etcd is unreachable at ${this.options.endpoints.join(',')} (${what}: ${shortReason(err as Error)}); check --etcd-endpoints / TSROUTE_ETCD_ENDPOINTS and that etcd is running`,
      );
    }
    throw err;
  }

  /** Many keys, 100 per round trip (one read-only transaction each, under etcd's --max-txn-ops):
   * hundreds of parallel gets would each race their deadline on a loaded machine. */
  async getMany<T>(keys: string[]): Promise<(Versioned<T> | undefined)[]> {
    const out: (Versioned<T> | undefined)[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      const part = keys.slice(i, i + 100);
      const res = await this.read('get', (c) =>
        c.kv.txn({
          compare: [],
          success: part.map((key) => ({ request_range: { key: Buffer.from(key) } })),
          failure: [],
        }),
      );
      part.forEach((_, j) => {
        const kv = res.responses[j]?.response_range?.kvs[0];
        out.push(kv ? decode<T>(kv) : undefined);
      });
    }
    return out;
  }

  async get<T>(key: string): Promise<Versioned<T> | undefined> {
    const res = await this.read('get', (c) => c.kv.range({ key: Buffer.from(key) }));
    return res.kvs[0] ? decode<T>(res.kvs[0]) : undefined;
  }

  /** Every key under `prefix`, in key order. */
  async list<T>(prefix: string): Promise<Versioned<T>[]> {
    return (await this.listAt<T>(prefix)).items;
  }

  /** Like list, with the store revision of the read: watch from `revision + 1` to miss nothing. */
  async listAt<T>(prefix: string): Promise<{ items: Versioned<T>[]; revision: number }> {
    const res = await this.read('list', (c) => c.kv.range({ key: Buffer.from(prefix), range_end: prefixEnd(prefix) }));
    return { items: res.kvs.map((kv) => decode<T>(kv)), revision: Number(res.header.revision) };
  }

  /** Just the keys under `prefix` (cheap: no values). */
  async keys(prefix: string): Promise<string[]> {
    const res = await this.read('list keys', (c) =>
      c.kv.range({ key: Buffer.from(prefix), range_end: prefixEnd(prefix), keys_only: true }),
    );
    return res.kvs.map((kv) => kv.key.toString());
  }

  /** All `ops` if every compare holds, else none; on failure reads `readOnFailure` in the same round trip. */
  async txn(compares: Compare[], ops: Op[], readOnFailure: string[] = []): Promise<TxnResult> {
    const success: IRequestOp[] = ops.map((op) =>
      'put' in op
        ? { request_put: { key: Buffer.from(op.put), value: Buffer.from(JSON.stringify(op.value)) } }
        : { request_delete_range: { key: Buffer.from(op.delete) } },
    );
    const request = {
      compare: compares.map((cmp) => ({
        key: Buffer.from(cmp.key),
        target: 'Mod' as const,
        result: 'Equal' as const,
        mod_revision: cmp.modRevision,
      })),
      success,
      failure: readOnFailure.map((key) => ({ request_range: { key: Buffer.from(key) } })),
    };
    let res: Awaited<ReturnType<Etcd3['kv']['txn']>>;
    const client = this.client;
    try {
      res = this.answered(await client.kv.txn(request));
    } catch (err) {
      if (!(err instanceof GRPCDeadlineExceededError) || this.attempts < 2) this.fail('transaction', err, client);
      // The deadline passed on a member that lost its leader: the write may or may not have been
      // applied. Sent again (to another member): if it was not, it is applied now; if it was, its
      // compares fail, and the keys it puts holding exactly its values at one revision say so.
      const second = this.client;
      try {
        res = this.answered(await second.kv.txn(request));
      } catch (again) {
        this.fail('transaction', again, second);
      }
      if (!res.succeeded && compares.length) {
        const applied = await this.appliedAt(ops);
        if (applied !== undefined) return { succeeded: true, revision: applied, reads: new Map() };
      }
    }
    const reads = new Map<string, Versioned<unknown> | undefined>();
    if (!res.succeeded) {
      readOnFailure.forEach((key, i) => {
        const kv = res.responses[i]?.response_range?.kvs[0];
        reads.set(key, kv ? decode(kv) : undefined);
      });
    }
    return { succeeded: res.succeeded, revision: Number(res.header.revision), reads };
  }

  /** The revision at which every put of `ops` holds its value (all from one transaction), if so. */
  private async appliedAt(ops: Op[]): Promise<number | undefined> {
    const puts = ops.filter((op): op is { put: string; value: unknown } => 'put' in op);
    if (!puts.length) return undefined;
    let revision: number | undefined;
    for (const op of puts) {
      const now = await this.get(op.put);
      if (!now || JSON.stringify(now.value) !== JSON.stringify(op.value)) return undefined;
      if (revision !== undefined && now.modRevision !== revision) return undefined;
      revision = now.modRevision;
    }
    return revision;
  }

  /** Watches `prefix` from now (or from `fromRevision`); returns a function that stops the watch. */
  async watch<T>(
    prefix: string,
    onEvent: (e: WatchEvent<T>) => void,
    fromRevision?: number,
  ): Promise<() => Promise<void>> {
    this.watchClient ??= createEtcdClient(this.options);
    const builder = this.watchClient.watch().prefix(prefix);
    if (fromRevision !== undefined) builder.startRevision(String(fromRevision));
    const watcher = await this.call('watch', () => builder.create());
    watcher.on('put', (kv) => onEvent({ type: 'put', entry: decode<T>(kv) }));
    watcher.on('delete', (kv) =>
      onEvent({ type: 'delete', key: kv.key.toString(), modRevision: Number(kv.mod_revision) }),
    );
    return async () => {
      await watcher.cancel();
    };
  }

  close(): void {
    this.client.close();
    this.watchClient?.close();
  }
}

/** The range end that covers every key starting with `prefix` (etcd's "prefix + 1"). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i] = b[i]! + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}
