// Reaching etcd: endpoints from flags, then TSROUTE_ETCD_ENDPOINTS, then the local default; a client
// that fails fast (no retries, no circuit breaker that stays open, short deadlines) so that an etcd
// that is away is an error within seconds, never a hang.
import { readFileSync } from 'node:fs';
import { ExponentialBackoff, type IBackoff, noop } from 'cockatiel';
import { Etcd3, type IOptions } from 'etcd3';

export interface EtcdOptions {
  /** http://host:port, https://host:port or unix:///path/to/socket (comma-separated in text). */
  endpoints: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Connect timeout in ms (default 2000). */
  dialTimeoutMs?: number;
  /** Deadline of each request in ms (default 5000). */
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

export function createEtcdClient(o: EtcdOptions): Etcd3 {
  const callTimeout = o.callTimeoutMs ?? 5000;
  const options: IOptions = {
    hosts: o.endpoints,
    dialTimeout: o.dialTimeoutMs ?? 2000,
    // Unary calls get a deadline; watch streams live as long as the watcher.
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeout }),
    // etcd3's defaults retry three times behind a circuit breaker that stays open for seconds after
    // an outage; we surface the first failure and let the caller decide.
    // Watch streams reconnect by themselves (resuming at the last revision seen); keep the pause
    // between attempts short so a restarted etcd is noticed within seconds.
    faultHandling: {
      global: noop,
      host: () => noop,
      // etcd3 itself passes the factory here (its type says IBackoff).
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }) as unknown as IBackoff<unknown>,
    },
  };
  if (o.caFile) {
    options.credentials = {
      rootCertificate: readFileSync(o.caFile),
      ...(o.keyFile ? { privateKey: readFileSync(o.keyFile) } : {}),
      ...(o.certFile ? { certChain: readFileSync(o.certFile) } : {}),
    };
  }
  return new Etcd3(options);
}
