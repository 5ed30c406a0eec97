// How CLI commands that read or change the cluster's state reach etcd: --etcd-endpoints, then
// TSROUTE_ETCD_ENDPOINTS, then http://127.0.0.1:2379 (and the same for the TLS files). Commands add
// the options through `withEtcd` and open the datastore through `withDatastore`.
import type { Command } from 'commander';
import { Datastore, etcdOptionsFrom } from '../src/datastore/index.js';
import { CliError } from './exit.js';
import { parseEndpointsFlag } from './flag-values.js';

export interface EtcdFlags {
  etcdEndpoints?: string;
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
}

export function withEtcd(cmd: Command): Command {
  return cmd
    .option(
      '--etcd-endpoints <urls>',
      'comma-separated http://, https:// or unix:// (env TSROUTE_ETCD_ENDPOINTS)',
      parseEndpointsFlag,
    )
    .option('--etcd-ca <file>', 'CA bundle for https etcd (env TSROUTE_ETCD_CA)')
    .option('--etcd-cert <file>', 'client certificate (env TSROUTE_ETCD_CERT)')
    .option('--etcd-key <file>', 'client key (env TSROUTE_ETCD_KEY)');
}

/** Runs `fn` with a datastore and always closes it, so the process exits as soon as it is done. */
export async function withDatastore<T>(flags: EtcdFlags, fn: (ds: Datastore) => Promise<T>): Promise<T> {
  let ds: Datastore;
  try {
    ds = new Datastore(etcdOptionsFrom(flags));
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  try {
    return await fn(ds);
  } finally {
    ds.close();
  }
}
