// Reaching etcd: endpoints from flags, then TSROUTE_ETCD_ENDPOINTS, then the local default. With one
// endpoint the client fails fast (no retries, no breaker that stays open, short deadlines) so that an
// etcd that is away is an error within seconds, never a hang; with several it fails over to the
// members that answer, so that a dead member (quorum intact) costs no call.
import { readFileSync } from 'node:fs';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IBackoff,
  noop,
  retry,
} from 'cockatiel';
import { Etcd3, GRPCUnavailableError, type IOptions, isRecoverableError } from 'etcd3';

export interface EtcdOptions {
  /** http://host:port, https://host:port or unix:///path/to/socket (comma-separated in text). */
  endpoints: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Connect timeout in ms (default 2000). */
  dialTimeoutMs?: number;
  /** Deadline of each request in ms (default 5000; 2500 with several endpoints). */
  callTimeoutMs?: number;
}

export const DEFAULT_ETCD_ENDPOINT = 'http://127.0.0.1:2379';

/** Splits "a,b" and checks each endpoint's scheme; throws with one line on a bad one. */
export function parseEndpoints(text: string): string[] {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!list.length) throw new Error('no etcd endpoint given');
  for (const e of list) {
    if (!/^(https?:\/\/[^/\s]+\/?|unix:\/\/\/?\S+)$/.test(e)) {
      throw new Error(`etcd endpoint "${e}" must look like http://127.0.0.1:2379 or unix:///path/to/socket`);
    }
  }
  return list;
}

/** Flags first, then the environment, then the default. */
export function etcdOptionsFrom(
  flags: { etcdEndpoints?: string; etcdCa?: string; etcdCert?: string; etcdKey?: string },
  env: NodeJS.ProcessEnv = process.env,
): EtcdOptions {
  return {
    endpoints: parseEndpoints(flags.etcdEndpoints ?? env.TSROUTE_ETCD_ENDPOINTS ?? DEFAULT_ETCD_ENDPOINT),
    caFile: flags.etcdCa ?? env.TSROUTE_ETCD_CA,
    certFile: flags.etcdCert ?? env.TSROUTE_ETCD_CERT,
    keyFile: flags.etcdKey ?? env.TSROUTE_ETCD_KEY,
  };
}

/**
 * How calls ride out a member that dies: a failed member is skipped (its breaker opens on the first
 * failure and lets one call through again after MEMBER_RETRY_MS), and a failed call is tried again
 * on the next member, backing off so that the retries also span a leader election (followers answer
 * "no leader" until one is elected: about one election timeout, 1 s by etcd's default).
 */
export const MEMBER_RETRY_MS = 2000;
const RETRY_BACKOFF = { initialDelay: 50, maxDelay: 1000 };
/** 50+100+200+400+800+1000+1000 ms of back-off: ~3.5 s, longer than an election with defaults. */
const CLUSTER_ATTEMPTS = 8;

/** The member itself is gone or unreachable (not an answer from a live member such as "no leader"). */
const memberDown = (err: Error) => isRecoverableError(err) && !/etcdserver:/.test(err.message);

/**
 * Worth another try on another member: UNAVAILABLE (refused, no leader, connection dropped), or every
 * member's breaker open at once. A call that ran out of time is not tried again: it may have been
 * applied, and a retried write would then fail its own compare.
 */
const retryable = (err: Error) => err instanceof GRPCUnavailableError || err instanceof BrokenCircuitError;

function faultHandling(endpoints: string[]): NonNullable<IOptions['faultHandling']> {
  // etcd3 itself passes the factory here (its type says IBackoff).
  const watchBackoff = new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }) as unknown as IBackoff<unknown>;
  if (endpoints.length < 2) {
    // One member: nothing to fail over to. Surface the first failure (Kv.call then dials afresh),
    // rather than etcd3's default breaker that stays open for seconds after the member is back.
    return { global: noop, host: () => noop, watchBackoff };
  }
  return {
    global: retry(handleWhen(retryable), {
      maxAttempts: CLUSTER_ATTEMPTS,
      backoff: new ExponentialBackoff(RETRY_BACKOFF),
    }),
    host: () =>
      circuitBreaker(handleWhen(memberDown), {
        halfOpenAfter: MEMBER_RETRY_MS,
        breaker: new ConsecutiveBreaker(1),
      }),
    watchBackoff,
  };
}

export function createEtcdClient(o: EtcdOptions): Etcd3 {
  // With several members a shorter deadline: a follower that waits for a dead leader is left sooner
  // for another member (Kv tries reads again, and resolves writes whose outcome it could not see).
  const callTimeout = o.callTimeoutMs ?? (o.endpoints.length > 1 ? 2500 : 5000);
  const options: IOptions = {
    hosts: o.endpoints,
    dialTimeout: o.dialTimeoutMs ?? 2000,
    // Unary calls get a deadline; watch streams live as long as the watcher.
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeout }),
    // Watch streams reconnect by themselves, to any live member, resuming at the revision after the
    // last one seen (etcd3's Watcher.updateRevision), so no event is missed; the pause between
    // attempts stays short so that a restarted etcd is noticed within seconds.
    faultHandling: faultHandling(o.endpoints),
  };
  if (o.caFile || o.certFile || o.keyFile) {
    // Without --etcd-ca the system's CAs verify the server; a client certificate is optional.
    options.credentials = {
      rootCertificate: (o.caFile ? readFileSync(o.caFile) : null) as Buffer,
      ...(o.keyFile ? { privateKey: readFileSync(o.keyFile) } : {}),
      ...(o.certFile ? { certChain: readFileSync(o.certFile) } : {}),
    };
  }
  return new Etcd3(options);
}
