// A failed AddEndpoint leaves nothing behind: no link, no route, no address held in IPAM, no record.
import test from 'ava';
import { tsroute } from '../../src/lab/agent.js';
import { meshCluster } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('an endpoint whose wiring fails is rolled back and its address released', async (t) => {
  const lab = await labFor(t);
  const { hosts, etcd } = await meshCluster(lab, { count: 1 });
  const h1 = hosts[0]!;
  const linksBefore = (await h1.ns.ip('-o', 'link', 'show')).stdout.split('\n').length;

  // a namespace that does not exist: IPAM has allocated by the time the wiring fails
  const err = await t.throwsAsync(
    h1.agent.client.addEndpoint({ containerId: 'ghost', netns: `/run/netns/${lab.id}-no-such-ns` }),
  );
  t.regex(err?.message ?? '', /wiring ghost\/eth0 failed/);

  t.is((await h1.ns.ip('-o', 'link', 'show')).stdout.split('\n').length, linksBefore);
  t.deepEqual((await h1.agent.client.listEndpoints()).endpoints, []);
  const show = await tsroute(['get', 'workloadendpoints', '-o', 'json', '--etcd-endpoints', etcd.endpoint]);
  t.is(show.code, 0, show.stderr);
  t.deepEqual((JSON.parse(show.stdout) as { items: unknown[] }).items, []);
  const check = await tsroute(['ipam', 'show', '-o', 'json', '--etcd-endpoints', etcd.endpoint]);
  t.is(check.code, 0, check.stderr);
  t.notRegex(check.stdout, /ghost/);
  t.regex(check.stdout, /"inUse": 0/);
});
