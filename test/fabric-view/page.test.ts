// The agent's /fabric page, looked at in a real browser: a small lab (a BIRD top-of-rack router and
// two hosts running tsroute), the page loaded from inside a host with headless Chromium, its DOM read
// for the boxes and session lines, and a screenshot kept under test-artifacts/ (path in the log).
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import test from 'ava';
import { dumpDom, screenshot } from '../../src/lab/chromium.js';
import { dualTor, TOR_HOST_IF } from '../../src/lab/dual-tor.js';
import { requireBinary, waitFor } from '../../src/lab/index.js';
import { cutLink } from '../../src/lab/link-cut.js';
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
    classes: tags(/<path class="fabric-session"[^>]*>/g).map((p) => ({
      class: attr(p, 'data-session-class'),
      bfd: attr(p, 'data-session-bfd'),
    })),
    bodyCount: Number(/<body data-node-count="(\d+)"/.exec(dom)?.[1]),
  };
}

/** Keeps a screenshot of the page under test-artifacts/ and checks it is a real PNG. */
async function keepScreenshot(
  t: import('ava').ExecutionContext,
  lab: Parameters<typeof screenshot>[0],
  ns: Parameters<typeof screenshot>[1],
  name: string,
) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const png = join(ARTIFACTS, `${name}-${RUN_PREFIX}.png`);
  await screenshot(lab, ns, URL, png);
  const bytes = readFileSync(png);
  t.is(bytes.subarray(1, 4).toString(), 'PNG', 'a PNG was written');
  t.true(bytes.length > 5000, `the screenshot has content (${bytes.length} bytes)`);
  t.log(`screenshot of the /fabric page: ${png}`);
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

  await keepScreenshot(t, lab, h1.ns, 'fabric-page');
});

test('the /fabric page in headless Chromium: a session BFD took down is drawn as BFD down, its twin as Established', async (t) => {
  t.timeout(300_000, 'the dual-ToR lab (three routers, BFD) and Chromium on a loaded machine');
  requireBinary('chromium');
  const lab = await labFor(t);
  // h1 dual-homed to tor1 (FRR) and tor2 (BIRD), BFD 300 ms x 3 (the default: the picture needs no
  // faster detection, and it keeps the twin from flapping when two suites share the CPU), hold 90 s
  const f = await dualTor(lab, {
    bfd: { transmitInterval: 300, receiveInterval: 300, detectMultiplier: 3 },
    agentArgs: ['--metrics-port', String(PORT), '--status-interval', '2s'],
  });
  const page = () => f.host.ns.exec(['curl', '-sf', URL]).then((r) => r.stdout);
  await waitFor(
    'both sessions Established with BFD Up on the page',
    async () => (await page()).split('data-session-bfd="Up"').length === 3,
    {
      timeoutMs: 60_000,
      intervalMs: 500,
    },
  );
  // every packet on tor1's host link dropped (the link stays up): only BFD sees it in time
  await cutLink(f.tors[0].ns, TOR_HOST_IF, 'drop');
  // Both at once: on a loaded machine the twin's BFD can flap too and be back a few seconds later.
  await waitFor(
    'the cut session as BFD down on the page, its twin Established',
    async () => {
      const html = await page();
      return html.includes('data-session-class="bfd-down"') && html.includes('data-session-class="established"');
    },
    {
      timeoutMs: 60_000,
      intervalMs: 500,
    },
  );
  const seen = read(await dumpDom(lab, f.host.ns, URL));
  t.is(seen.nodes.length, 3, seen.nodes.join(', '));
  t.deepEqual(seen.classes.map((c) => c.class).sort(), ['bfd-down', 'established']);
  t.regex(seen.classes.find((c) => c.class === 'bfd-down')?.bfd ?? '', /^Down/);
  t.is(seen.classes.find((c) => c.class === 'established')?.bfd, 'Up');
  // the agent itself says the same of the cut session
  const cut = (await f.host.agent.status()).peers.find((p) => p.address === f.tors[0].address);
  t.regex(cut?.bfd ?? '', /^Down/);
  t.not(cut?.state, 'Established');
  await keepScreenshot(t, lab, f.host.ns, 'fabric-page-bfd');
});
