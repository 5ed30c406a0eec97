// etcd with TLS and client certificates, end to end: a CA made with openssl, a three-member cluster
// that requires a client certificate signed by it; the CLI (flags and TSROUTE_ETCD_* variables) and an
// agent reach it; no certificate, or one from another CA, is refused with exit code 2.
import { mkdirSync } from 'node:fs';
import test from 'ava';
import { Datastore } from '../../src/datastore/index.js';
import { makeTestCa, startEtcdCluster } from '../../src/lab/index.js';
import { runCli } from '../cli/run-cli.js';
import { allSessionsUp, meshCluster } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('etcd TLS with client certificates: CLI by flags and by environment, agents, strangers refused', async (t) => {
  t.timeout(600_000);
  const lab = await labFor(t);
  const pki = lab.path('pki');
  mkdirSync(pki);
  const ca = await makeTestCa(pki);
  const cluster = await startEtcdCluster(lab, { tls: ca });
  const endpoints = cluster.endpoints.join(',');
  t.true(cluster.endpoints.every((e) => e.startsWith('https://')));

  const byFlags = await runCli([
    'ippool',
    'create',
    'tls-pool',
    '--cidr',
    '10.70.0.0/16',
    '--etcd-endpoints',
    endpoints,
    '--etcd-ca',
    ca.ca,
    '--etcd-cert',
    ca.clientCert,
    '--etcd-key',
    ca.clientKey,
  ]);
  t.is(byFlags.code, 0, byFlags.stderr);
  const env = {
    TSROUTE_ETCD_ENDPOINTS: endpoints,
    TSROUTE_ETCD_CA: ca.ca,
    TSROUTE_ETCD_CERT: ca.clientCert,
    TSROUTE_ETCD_KEY: ca.clientKey,
  };
  const byEnv = await runCli(['ippool', 'list'], { env });
  t.is(byEnv.code, 0, byEnv.stderr);
  t.regex(byEnv.stdout, /^tls-pool\s+10\.70\.0\.0\/16/m);

  const refused = await Promise.all([
    runCli(['ippool', 'list'], { env: { ...env, TSROUTE_ETCD_CERT: '', TSROUTE_ETCD_KEY: '' } }),
    runCli(['ippool', 'list'], {
      env: { ...env, TSROUTE_ETCD_CERT: ca.strangerCert, TSROUTE_ETCD_KEY: ca.strangerKey },
    }),
    runCli(['ippool', 'list'], { env: { ...env, TSROUTE_ETCD_CA: ca.strangerCert } }),
  ]);
  const why = [
    /refused our client certificate/,
    /refused our client certificate/,
    /could not be verified; check --etcd-ca/,
  ];
  for (const [i, r] of refused.entries()) {
    t.is(r.code, 2, `case ${i}: ${r.stderr}`);
    t.regex(r.stderr, /^tsroute: etcd is unreachable at https:\/\//, `case ${i}`);
    t.regex(r.stderr, why[i]!, `case ${i}`);
    t.is(r.stderr.trimEnd().split('\n').length, 1, `case ${i}: one line`);
  }

  // agents in namespaces, over TLS on the members' unix sockets, with the TLS files from the
  // environment (as a systemd unit would set them): they register, peer and allocate
  Object.assign(process.env, {
    TSROUTE_ETCD_CA: ca.ca,
    TSROUTE_ETCD_CERT: ca.clientCert,
    TSROUTE_ETCD_KEY: ca.clientKey,
  });
  const { hosts } = await meshCluster(lab, { count: 2, etcd: cluster.asEtcd() });
  await allSessionsUp(hosts, 1);
  const ns = await lab.namespace('c1');
  const ep = await hosts[0]!.agent.client.addEndpoint({ containerId: 'c1', netns: ns.path });
  t.regex(ep.addresses[0]!, /^10\.65\./);
  const ds = new Datastore({
    endpoints: cluster.endpoints,
    caFile: ca.ca,
    certFile: ca.clientCert,
    keyFile: ca.clientKey,
  });
  t.teardown(() => ds.close());
  t.truthy(await ds.get('Node', 'h1'));
  t.is((await ds.list('WorkloadEndpoint')).length, 1);
});
