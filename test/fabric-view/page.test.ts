// The agent's /fabric page, looked at in a real browser: a small lab (a BIRD top-of-rack router and
// two hosts running tsroute), the page loaded from inside a host with headless Chromium, its DOM read
// for the boxes and session lines, and a screenshot kept under test-artifacts/ (path in the log).
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import test from 'ava';
import { dumpDom, screenshot } from '../../src/lab/chromium.js';
import { requireBinary, waitFor } from '../../src/lab/index.js';
import { RUN_PREFIX } from '../../src/lab/run-prefix.js';
import { addContainer, allSessionsUp, apply, peerYaml, torCluster } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

const PORT = 9091;
const URL = `http://127.0.0.1:${PORT}/fabric`;
const ARTIFACTS = resolve(process.env.TSROUTE_ARTIFACTS_DIR || 'test-artifacts');

/** Every element with a data-node, and every session line, as the browser's DOM has them. */
function read(dom: string) {
  const attr = (tag: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1];
  const tags = (re: RegExp) => [...dom.matchAll(re)].map((m) => m[0]);
  return {
    nodes: tags(/<g class="fabric-node"[^>]*>/g).map((g) => `${attr(g, 'data-node')} ${attr(g, 'data-kind')}`),
    sessions: tags(/<path class="fabric-session"[^>]*>/g).map(
      (p) =>
        `${[attr(p, 'data-session-a'), attr(p, 'data-session-b')].sort().join(' - ')}: ${attr(p, 'data-session-state')} ${attr(p, 'data-session-class')}`,
    ),
    bodyCount: Number(/<body data-node-count="(\d+)"/.exec(dom)?.[1]),
  };
}

test('the /fabric page in headless Chromium: a box per node, a line per session coloured by its state', async (t) => {
  t.timeout(300_000, 'a lab, two agents, Chromium started four times on a loaded machine');
  // a missing browser is a failure that says what to install
  requireBinary('chromium');
  const lab = await labFor(t);
  const c = await torCluster(lab, {
    count: 2,
    router: 'bird',
    agentArgs: ['--metrics-port', String(PORT), '--status-interval', '2s'],
  });
  await allSessionsUp(c.hosts, 1, 60_000);
  const h1 = c.hosts[0]!;
  const h2 = c.hosts[1]!;
  // a container on each host, so each has a block to list
  for (const h of c.hosts) await addContainer(lab, h, `c-${h.name}`);
  // the page reads the status records from etcd: wait until both agents published Established
  const page = () => h1.ns.exec(['curl', '-sf', URL]).then((r) => r.stdout);
  await waitFor(
    'both sessions Established on the page',
    async () => {
      const html = await page();
      return html.split('data-session-state="Established"').length === 3 && html.split('data-block=').length === 3;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 500,
    },
  );

  const dom = await dumpDom(lab, h1.ns, URL);
  const seen = read(dom);
  // BIRD answers both hosts with router ID 10.0.1.1: one router box for its two addresses
  t.deepEqual(seen.nodes.sort(), ['h1 host', 'h2 host', 'router 10.0.1.1 router'], dom);
  t.is(seen.bodyCount, 3);
  t.deepEqual(seen.sessions.sort(), [
    'h1 - router 10.0.1.1: Established established',
    'h2 - router 10.0.1.1: Established established',
  ]);
  // each host's block, listed in its box
  for (const h of c.hosts) {
    const block = (await h.agent.status()).blocks[0]?.cidr;
    t.truthy(block, `${h.name} has a block`);
    t.regex(dom, new RegExp(`data-node="${h.name}"[\\s\\S]*?data-block="${block!.replace(/\./g, '\\.')}"`));
  }
  t.regex(dom, /<meta http-equiv="refresh" content="\d+">/, 'the page refreshes itself');

  // a peer that never answers: the page shows it as a router box with a session that is not up,
  // in the state h2's agent itself reports
  await apply(lab, c.etcd, peerYaml('nobody', { node: 'h2', peerIP: '10.0.2.9', asNumber: 65009 }));
  await waitFor('the new peer on the page', async () => (await page()).includes('data-node="peer 10.0.2.9"'), {
    timeoutMs: 60_000,
    intervalMs: 500,
  });
  const after = read(await dumpDom(lab, h2.ns, URL));
  t.is(after.nodes.length, 4);
  const line = after.sessions.find((s) => s.startsWith('h2 - peer 10.0.2.9: '));
  t.truthy(line, after.sessions.join('\n'));
  t.regex(line!, /: (Idle|Connect|Active|OpenSent) (idle|connecting)$/);
  const agentState = (await h2.agent.status()).peers.find((p) => p.address === '10.0.2.9')?.state;
  t.not(agentState, 'Established');

  mkdirSync(ARTIFACTS, { recursive: true });
  const png = join(ARTIFACTS, `fabric-page-${RUN_PREFIX}.png`);
  await screenshot(lab, h1.ns, URL, png);
  const bytes = readFileSync(png);
  t.is(bytes.subarray(1, 4).toString(), 'PNG', 'a PNG was written');
  t.true(bytes.length > 5000, `the screenshot has content (${bytes.length} bytes)`);
  t.log(`screenshot of the /fabric page: ${png}`);
});
