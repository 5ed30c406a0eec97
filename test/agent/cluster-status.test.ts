// `tsroute status`: every agent publishes its status in etcd under a lease; the CLI joins them with
// the Node resources and flags what needs a person. Real etcd, real agents in a full mesh; a
// SIGKILLed agent's row turns stale once its lease expires (TTL set short here).
import test from 'ava';
import type { ClusterStatus } from '../../cli/commands/status.js';
import { tsroute } from '../../src/lab/agent.js';
import { waitFor } from '../../src/lab/index.js';
import { addContainer, allSessionsUp, meshCluster } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

const FAST = ['--status-interval', '1s', '--status-ttl', '3s'];

test('three agents: status lists all with Established sessions; a SIGKILLed one is flagged once its lease expires', async (t) => {
  const lab = await labFor(t);
  const { etcd, hosts } = await meshCluster(lab, { count: 3, agentArgs: FAST });
  await allSessionsUp(hosts, 2);
  await addContainer(lab, hosts[0]!, 'c1');
  const status = async (format = 'json') => tsroute(['status', '-o', format, '--etcd-endpoints', etcd.endpoint]);

  const healthy = await waitFor(
    'every node OK in tsroute status',
    async () => {
      const r = await status();
      if (r.code !== 0) return undefined;
      const c = JSON.parse(r.stdout) as ClusterStatus;
      return c.nodes.length === 3 && c.nodes.every((n) => n.status?.endpoints === (n.node === 'h1' ? 1 : 0))
        ? c
        : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  t.true(healthy.ok);
  t.deepEqual(
    healthy.nodes.map((n) => [n.node, n.stale, n.status?.peers.map((p) => [p.address, p.state])]),
    [
      [
        'h1',
        false,
        [
          ['10.0.0.2', 'Established'],
          ['10.0.0.3', 'Established'],
        ],
      ],
      [
        'h2',
        false,
        [
          ['10.0.0.1', 'Established'],
          ['10.0.0.3', 'Established'],
        ],
      ],
      [
        'h3',
        false,
        [
          ['10.0.0.1', 'Established'],
          ['10.0.0.2', 'Established'],
        ],
      ],
    ],
  );
  const h1 = healthy.nodes[0]!.status!;
  t.is(h1.blocks.length, 1);
  t.true(h1.kernelRoutes >= 1, 'the block blackhole and the endpoint route are counted');
  t.is(h1.intervalMs, 1000);
  t.regex(h1.version, /\d+\.\d+/);
  const table = await status('table');
  t.is(table.code, 0);
  t.regex(table.stdout, /^h2\s+OK\s+\d+s ago\s+2\/2\s/m);
  t.regex(table.stdout, /no problems found/);
  const wide = await status('wide');
  t.regex(wide.stdout, /^NODE\s+STATE\s+HEARTBEAT\s+SESSIONS.*IPAM-GC$/m);
  const yaml = await status('yaml');
  t.regex(yaml.stdout, /^ok: true$/m);

  // SIGKILL: no clean stop, so only the lease's expiry (3 s) removes h3's status
  const killedAt = Date.now();
  await hosts[2]!.agent.kill();
  const flagged = await waitFor(
    "h3's row flagged",
    async () => {
      const r = await status();
      const c = JSON.parse(r.stdout) as ClusterStatus;
      const h3 = c.nodes.find((n) => n.node === 'h3');
      return h3?.stale ? { c, code: r.code } : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  t.log(`h3 flagged ${Date.now() - killedAt} ms after SIGKILL (lease TTL 3 s, heartbeat 1 s)`);
  t.is(flagged.code, 4, 'exit 4 when anything is flagged');
  t.false(flagged.c.ok);
  const h3 = flagged.c.nodes.find((n) => n.node === 'h3')!;
  t.true(
    h3.flags.some((f) => f.kind === 'no-status' || f.kind === 'stale-heartbeat'),
    JSON.stringify(h3.flags),
  );
  t.false(flagged.c.nodes.find((n) => n.node === 'h1')!.stale);
  // the survivors' sessions to h3 go down and are flagged on their rows
  const down = await waitFor(
    "h1's session to h3 flagged",
    async () => {
      const c = JSON.parse((await status()).stdout) as ClusterStatus;
      const f = c.nodes.find((n) => n.node === 'h1')?.flags.find((x) => x.kind === 'session-not-established');
      return f ? { c, f } : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  t.regex(down.f.message, /BGP peer 10\.0\.0\.3 \(AS 64512\) is \w+/);
  const text = await status('table');
  t.is(text.code, 4);
  t.regex(text.stdout, /^h3\s+NO-STATUS|^h3\s+STALE/m);
  t.regex(text.stdout, /problem\(s\):/);
});
