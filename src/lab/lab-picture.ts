// The picture of a running lab (`tsroute lab status FILE --svg OUT.svg`): what etcd says (nodes,
// blocks, every agent's status record) joined with each router's own view of its sessions, read
// the way `lab status` reads them, and the router's interface addresses, so that sessions from
// hosts end at the router's box by its lab name.
import { Datastore } from '../datastore/index.js';
import { type FabricSnapshot, fabricSnapshot, type RouterFact, readFabricFacts } from '../fabric-view/index.js';
import type { LabTopology } from './containerlab.js';
import { run } from './exec.js';
import type { LabState } from './lab-runner.js';
import { routerSessions } from './router-status.js';

/** The global-scope addresses of the interfaces of namespace `ns` (not loopback). */
async function addressesIn(ns: string): Promise<string[]> {
  const { stdout } = await run(['ip', '-n', ns, '-j', 'address', 'show', 'scope', 'global']);
  // links without a global address are listed too, with empty addr_info entries
  const links = JSON.parse(stdout) as { ifname?: string; addr_info?: { local?: string }[] }[];
  return links
    .filter((l) => l.ifname !== 'lo')
    .flatMap((l) => (l.addr_info ?? []).map((a) => a.local).filter((a): a is string => !!a));
}

async function routerFact(r: LabState['routers'][number], topology: LabTopology): Promise<RouterFact> {
  const as = topology.nodes.find((n) => n.name === r.name)?.labels['tsroute.io/as'];
  const fact: RouterFact = {
    name: r.name,
    software: r.kind === 'frr' ? 'FRR' : 'BIRD',
    asNumber: as ? Number(as) : undefined,
    addresses: await addressesIn(r.ns),
  };
  try {
    fact.sessions = await routerSessions(r);
  } catch (err) {
    fact.error = (err as Error).message.split('\n')[0];
  }
  return fact;
}

export async function labFabric(state: LabState, topology: LabTopology): Promise<FabricSnapshot> {
  const endpoint = state.etcdSocket ?? state.etcd;
  if (!endpoint) throw new Error(`lab "${state.name}" has no etcd in its state file`);
  const ds = new Datastore({ endpoints: [endpoint] });
  try {
    const [facts, routers] = await Promise.all([
      readFabricFacts(ds, `lab ${state.name}`),
      Promise.all((state.routers ?? []).map((r) => routerFact(r, topology))),
    ]);
    return fabricSnapshot({ ...facts, routers });
  } finally {
    ds.close();
  }
}
