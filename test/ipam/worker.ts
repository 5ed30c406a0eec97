// A separate process that allocates through IPAM, for the concurrency and crash tests.
//   node --import tsx test/ipam/worker.ts ENDPOINT NODE MODE [COUNT]
// MODE "allocate": COUNT allocations of one IPv4 address each (handle NODE-i), one JSON line each.
// MODE "live-then-hang": 3 allocations with WorkloadEndpoints, then one more that stops right after
//   the allocation, before its endpoint is written. MODE "hang-after-pending" / "hang-after-block":
//   stops in the middle of claiming a block. MODE "hang-when-chosen": one allocation recorded with its
//   endpoint, then one that stops once its address is chosen, before its transaction is sent.
//   Stopped processes print PAUSED and wait to be killed.
import { Datastore } from '../../src/datastore/index.js';
import { Ipam } from '../../src/ipam/index.js';
import { type AnyResource, API_VERSION } from '../../src/model/index.js';

const [endpoint, node, mode, countText] = process.argv.slice(2) as [string, string, string, string?];
const ds = new Datastore({ endpoints: [endpoint] });
const hang = async (what: string): Promise<void> => {
  process.stdout.write(`PAUSED ${what}\n`);
  await new Promise(() => setInterval(() => {}, 1000));
};
const say = (x: unknown) => process.stdout.write(`${JSON.stringify(x)}\n`);

if (mode === 'allocate') {
  const ipam = new Ipam(ds);
  const latencies: number[] = [];
  for (let i = 0; i < Number(countText ?? 1); i++) {
    const t0 = performance.now();
    const r = await ipam.autoAssign({ handle: `${node}-${i}`, node, num4: 1 });
    latencies.push(performance.now() - t0);
    say({ handle: `${node}-${i}`, address: r.ipv4[0] });
  }
  say({ done: true, latencies });
} else if (mode === 'live-then-hang') {
  let stopAfterAllocation = false;
  const ipam = new Ipam(ds, {
    hooks: {
      afterAllocation: async (addresses) => {
        if (stopAfterAllocation) await hang(addresses.join(','));
      },
    },
  });
  for (let i = 0; i < 3; i++) {
    const handle = `${node}-live-${i}`;
    const r = await ipam.autoAssign({ handle, node, num4: 1 });
    const wep = {
      apiVersion: API_VERSION,
      kind: 'WorkloadEndpoint',
      metadata: { name: handle },
      spec: { node, containerId: handle, ipamHandle: handle, addresses: r.ipv4 },
    } as AnyResource;
    await ds.create(wep);
    say({ live: r.ipv4[0] });
  }
  stopAfterAllocation = true;
  await ipam.autoAssign({ handle: `${node}-orphan`, node, num4: 1 });
} else if (mode === 'hang-when-chosen') {
  // As the agent allocates: the endpoint's record goes in the allocation's transaction, and the
  // addresses are heard before it is sent (the agent wires them meanwhile). The second allocation
  // stops right there, its transaction unsent, and the process is killed.
  const ipam = new Ipam(ds);
  const recordOf = (handle: string, addresses: string[]) =>
    ds.createPut({
      apiVersion: API_VERSION,
      kind: 'WorkloadEndpoint',
      metadata: { name: handle },
      spec: { node, containerId: handle, ipamHandle: handle, addresses },
    } as AnyResource);
  const first = await ipam.autoAssign({
    handle: `${node}-0`,
    node,
    num4: 1,
    alsoPut: (a) => [recordOf(`${node}-0`, a)],
  });
  say({ live: first.ipv4[0], recorded: first.alsoPutWritten === true });
  await ipam.autoAssign({
    handle: `${node}-1`,
    node,
    num4: 1,
    alsoPut: (a) => [recordOf(`${node}-1`, a)],
    onChosen: (a) => {
      process.stdout.write(`PAUSED ${a.join(',')}\n`); // synchronous on a pipe (Linux)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // until SIGKILL
    },
  });
} else {
  const ipam = new Ipam(ds, {
    hooks:
      mode === 'hang-after-pending'
        ? { afterPendingAffinity: (cidr) => hang(cidr) }
        : { afterBlockCreated: (cidr) => hang(cidr) },
  });
  await ipam.autoAssign({ handle: `${node}-0`, node, num4: 1 });
}
ds.close();
