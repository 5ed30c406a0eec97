// The agent's Prometheus endpoint: sessions by state, routes, endpoints, endpoint-add latency and
// event-loop lag, scraped the way Prometheus would (from inside the host's namespace).
import test from 'ava';
import { startAgent } from '../../src/lab/agent.js';
import { startEtcd, waitFor } from '../../src/lab/index.js';
import { apply, poolYaml } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('GET /metrics on the metrics port shows sessions, endpoints and event-loop lag', async (t) => {
  const lab = await labFor(t);
  const etcd = await startEtcd(lab);
  await apply(lab, etcd, poolYaml('pool4', '10.65.0.0/16', 26));
  const host = await lab.namespace('h1');
  await host.ip('addr', 'add', '10.0.0.1/32', 'dev', 'lo');
  const agent = await startAgent(lab, host, {
    name: 'h1',
    etcd,
    bgpAddress: '10.0.0.1',
    extraArgs: ['--metrics-port', '9091'],
  });
  const c = await lab.namespace('c1');
  await agent.client.addEndpoint({ containerId: 'c1', netns: c.path });
  const body = await waitFor('metrics to show the endpoint', async () => {
    const res = await host.exec(['curl', '-s', 'http://127.0.0.1:9091/metrics']);
    return /^tsroute_endpoints 1$/m.test(res.stdout) ? res.stdout : undefined;
  });
  t.regex(body, /^tsroute_endpoint_add_seconds_count 1$/m);
  t.regex(body, /^tsroute_event_loop_lag_max_seconds [\d.e-]+$/m);
  t.regex(body, /^# HELP tsroute_bgp_peers BGP peers by session state$/m);
  t.regex(body, /^tsroute_process_resident_memory_bytes \d+$/m);
  const notFound = await host.exec(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:9091/']);
  t.is(notFound.stdout, '404');
});
