// Per-peer Prometheus series and the per-state-change log line, at a real BIRD: the values the agent
// exports are checked against what BIRD itself says it sent and took, and a session BIRD drops shows
// as a flap, a zero Established series and the error as an info series.
import { readFileSync } from 'node:fs';
import test from 'ava';
import { type Bird, waitFor } from '../../src/lab/index.js';
import { addContainer, torCluster } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

/** The value of one series, e.g. `tsroute_bgp_peer_up{peer="10.0.1.1",...}`, matched by its labels. */
function sample(body: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of body.split('\n')) {
    const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

test('per-peer series at a BIRD ToR: state, prefixes, flaps, last error; one JSON log line per state change', async (t) => {
  const lab = await labFor(t);
  const { tor, hosts } = await torCluster(lab, { count: 1, router: 'bird', agentArgs: ['--metrics-port', '9091'] });
  const h1 = hosts[0]!;
  const bird = tor as Bird;
  for (const p of ['198.51.100.0/24', '198.51.101.0/24', '198.51.102.0/24']) await bird.announce(p);
  await addContainer(lab, h1, 'c1');
  let last = '';
  const scrape = async () => {
    last = (await h1.ns.exec(['curl', '-s', 'http://127.0.0.1:9091/metrics'])).stdout;
    return last;
  };
  t.teardown(() => {
    if (!t.passed)
      t.log(
        last
          .split('\n')
          .filter((l) => l.startsWith('tsroute_bgp'))
          .join('\n'),
      );
  });
  const peer = { peer: '10.0.1.1', peer_as: '65000', type: 'node' };

  const body = await waitFor(
    'the ToR session Established with 3 prefixes in and our block out',
    async () => {
      const b = await scrape();
      return sample(b, 'tsroute_bgp_peer_up', peer) === 1 &&
        sample(b, 'tsroute_bgp_peer_prefixes_received', peer) === 3 &&
        sample(b, 'tsroute_bgp_peer_prefixes_advertised', peer) === 1
        ? b
        : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
  t.is(sample(body, 'tsroute_bgp_peer_state', { ...peer, state: 'Established' }), 1);
  t.is(sample(body, 'tsroute_bgp_peer_state', { ...peer, state: 'Idle' }), 0);
  t.is(sample(body, 'tsroute_bgp_peer_prefixes_accepted', peer), 3);
  t.is(sample(body, 'tsroute_bgp_peer_flaps_total', peer), 0);
  t.is(sample(body, 'tsroute_bgp_peer_last_error_info', peer), undefined, 'no error series while Established');
  // BIRD's own count of what it imported from us: the block we advertise
  t.is((await bird.sessions())[0]?.received, 1);
  const birdRoutes = await bird.advertised(0);
  t.deepEqual(birdRoutes.map((r) => r.prefix).sort(), ['198.51.100.0/24', '198.51.101.0/24', '198.51.102.0/24']);

  // BIRD takes the session down administratively: a flap, the state series move, the error shows
  await bird.birdc('disable peer1');
  const down = await waitFor(
    'the flap to show',
    async () => {
      const b = await scrape();
      return sample(b, 'tsroute_bgp_peer_flaps_total', peer) === 1 &&
        sample(b, 'tsroute_bgp_peer_last_error_info', peer) === 1
        ? b
        : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
  t.is(sample(down, 'tsroute_bgp_peer_up', peer), 0);
  t.is(sample(down, 'tsroute_bgp_peer_state', { ...peer, state: 'Established' }), 0);
  t.is(sample(down, 'tsroute_bgp_peer_prefixes_received', peer), 0);
  const errorLine = down.split('\n').find((l) => l.startsWith('tsroute_bgp_peer_last_error_info{'));
  t.regex(errorLine ?? '', /error="[^"]+"/);

  await bird.birdc('enable peer1');
  await waitFor('the session back up', async () => sample(await scrape(), 'tsroute_bgp_peer_up', peer) === 1, {
    timeoutMs: 60_000,
    intervalMs: 300,
  });

  // The agent's log: every line is JSON with no key twice (re-serialising gives back the same text),
  // and the state-change lines of this peer form one chain (each starts where the last one ended).
  const lines = readFileSync(h1.agent.daemon.logFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'));
  for (const line of lines) t.is(JSON.stringify(JSON.parse(line)), line, 'a log line repeats a key');
  const changes = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'BGP session state' && l.peer === '10.0.1.1');
  t.true(changes.length >= 4, `state-change lines: ${changes.length}`);
  for (let i = 1; i < changes.length; i++)
    t.is(changes[i]!.from, changes[i - 1]!.to, 'a state change logged twice or missed');
  t.is(changes.filter((c) => c.from === 'Established').length, 1, 'the one session loss is logged once');
  t.is(changes.at(-1)!.to, 'Established');
  t.is(changes.at(-1)!.peerAs, 65000);
});
