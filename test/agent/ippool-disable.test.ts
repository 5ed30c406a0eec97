// `tsroute ippool disable`: no new addresses from the pool, while the containers that hold one keep
// their routes across hosts and their nat-outgoing. Proven with pings that run through the disable.
import test from 'ava';
import { tsroute } from '../../src/lab/agent.js';
import { run, waitFor } from '../../src/lab/index.js';
import { addContainer, allSessionsUp, apply, meshCluster, poolYaml, reachability } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

const COUNT = 200; // 20 a second for 10 s: one lost packet is 0.5 %

test('ippool disable: running containers keep routes and NAT, new endpoints get no address from it', async (t) => {
  const lab = await labFor(t);
  const cluster = await meshCluster(lab, { count: 2 });
  const { etcd } = cluster;
  const [h1, h2] = cluster.hosts as [(typeof cluster.hosts)[0], (typeof cluster.hosts)[0]];
  await apply(lab, etcd, poolYaml('pool4', '10.65.0.0/16', 26, '  natOutgoing: true\n'));
  const outside = await lab.namespace('outside');
  await lab.link(h1.ns, '192.0.2.1/24', outside, '192.0.2.2/24', { aIf: 'out', bIf: 'eth0' });
  await allSessionsUp(cluster.hosts, 1);
  const c1 = await addContainer(lab, h1, 'c1');
  const c2 = await addContainer(lab, h2, 'c2');
  t.deepEqual(await reachability([c1, c2]), []);
  await waitFor('c1 reaches outside through NAT', () => c1.ns.ping('192.0.2.2', { timeoutS: 1 }), {
    timeoutMs: 10_000,
    intervalMs: 200,
  });

  const pings = [c2.address, '192.0.2.2'].map((to) =>
    c1.ns
      .exec(['ping', '-n', '-q', '-i', '0.05', '-W', '1', '-c', String(COUNT), to], { timeoutMs: 60_000 })
      .catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' })),
  );
  await new Promise((r) => setTimeout(r, 1500));
  const disable = await tsroute(['ippool', 'disable', 'pool4', '--etcd-endpoints', etcd.endpoint]);
  t.is(disable.code, 0, disable.stderr);
  t.regex(disable.stdout, /addresses in use keep their routes and NAT/);
  for (const [what, p] of [
    ['c1 → c2 (across hosts)', pings[0]!],
    ['c1 → outside (NAT)', pings[1]!],
  ] as const) {
    const out = (await p).stdout;
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    t.truthy(m, out);
    const loss = 1 - Number(m![2]) / Number(m![1]);
    t.log(`${what} through the disable: ${m![0]}`);
    t.true(loss <= 0.01, `${what}: loss ${(loss * 100).toFixed(1)} % (${m![0]})`);
  }
  // still announced and still masqueraded, well after the agents saw the change
  const c1Block = `${c1.address.split('.').slice(0, 3).join('.')}.`;
  t.true((await h2.ns.routes(4)).some((r) => r.protocol === 'bgp' && r.dst.startsWith(c1Block)));
  const nat = await run(['ip', 'netns', 'exec', h1.ns.name, '/usr/sbin/nft', 'list', 'table', 'ip', 'tsroute_nat']);
  t.regex(nat.stdout, /ip saddr 10\.65\.0\.0\/16 .* masquerade/);

  // new endpoints: nothing from the disabled pool, from another pool if there is one
  const named = await h1.agent.client
    .addEndpoint({ containerId: 'c3', netns: (await lab.namespace('c3')).path, pools: ['pool4'] })
    .then(
      () => '',
      (err: Error) => err.message,
    );
  t.regex(named, /ippool "pool4" is disabled: no new addresses are handed out from it/);
  await apply(lab, etcd, poolYaml('spare', '10.70.0.0/16', 26));
  const c4 = await addContainer(lab, h1, 'c4');
  t.regex(c4.address, /^10\.70\./, 'a new endpoint gets its address from the enabled pool');
  t.deepEqual(await reachability([c1, c2, c4]), []);
});
