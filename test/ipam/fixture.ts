// A real etcd per test with a Datastore on it, closed when the test ends.
import type { ExecutionContext } from 'ava';
import { Datastore } from '../../src/datastore/index.js';
import { type Etcd, type Lab, startEtcd } from '../../src/lab/index.js';
import { type AnyResource, API_VERSION } from '../../src/model/index.js';
import { labFor } from '../helpers/lab.js';

export async function etcdDatastore(t: ExecutionContext): Promise<{ lab: Lab; etcd: Etcd; ds: Datastore }> {
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  const ds = new Datastore({ endpoints: [etcd.endpoint] });
  t.teardown(() => ds.close());
  return { lab, etcd, ds };
}

export const pool = (name: string, cidr: string, spec: Record<string, unknown> = {}) =>
  ({ apiVersion: API_VERSION, kind: 'IPPool', metadata: { name }, spec: { cidr, ...spec } }) as AnyResource;

export const node = (name: string, labels: Record<string, string> = {}) =>
  ({ apiVersion: API_VERSION, kind: 'Node', metadata: { name, labels }, spec: {} }) as AnyResource;

export const endpoint = (name: string, nodeName: string, handle: string, addresses: string[]) =>
  ({
    apiVersion: API_VERSION,
    kind: 'WorkloadEndpoint',
    metadata: { name },
    spec: { node: nodeName, containerId: name, ipamHandle: handle, addresses },
  }) as AnyResource;
