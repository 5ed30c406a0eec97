// The fabric picture's drawing, with tables: a snapshot in, the elements (boxes, lines, blocks,
// legend) out, read back through the data attributes a page test or a script would use.
import test from 'ava';
import {
  type FabricNode,
  type FabricSession,
  type FabricSnapshot,
  renderPage,
  renderSvg,
  SESSION_STYLE,
  type SessionClass,
  type SessionView,
  viewClass,
} from '../../src/fabric-view/index.js';

const host = (id: string, blocks: string[] = [], over: Partial<FabricNode> = {}): FabricNode => ({
  id,
  kind: 'host',
  label: id,
  addresses: [],
  blocks: blocks.map((cidr) => ({ cidr, inUse: 1, size: 64 })),
  health: 'ok',
  ...over,
});
const router = (id: string, over: Partial<FabricNode> = {}): FabricNode => ({ ...host(id), kind: 'router', ...over });
const session = (a: string, b: string, ...views: [string, string, string?][]): FabricSession => ({
  a,
  b,
  views: views.map(([by, state, bfd]) => ({ by, state, bfd })),
});
const snap = (nodes: FabricNode[], sessions: FabricSession[]): FabricSnapshot => ({
  title: 'test fabric',
  takenAtUnixMs: Date.parse('2026-12-03T12:00:00Z'),
  nodes,
  sessions,
});

/** The elements a reader finds in the SVG, by their data attributes. */
function elements(svg: string) {
  const attrs = (tag: string) => Object.fromEntries([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  return {
    nodes: [...svg.matchAll(/<g class="fabric-node"[^>]*>/g)].map((m) => attrs(m[0])),
    sessions: [...svg.matchAll(/<path class="fabric-session"[^>]*>/g)].map((m) => attrs(m[0])),
    blocks: [...svg.matchAll(/<text [^>]*data-block="([^"]*)"[^>]*>([^<]*)</g)].map((m) => m[2]),
    legend: [...svg.matchAll(/data-legend="([^"]*)"/g)].map((m) => m[1]),
  };
}

const stateTable: [SessionView, SessionClass][] = [
  [{ by: 'h1', state: 'Established' }, 'established'],
  [{ by: 'h1', state: 'Established', bfd: 'Up' }, 'established'],
  [{ by: 'h1', state: 'Active' }, 'connecting'],
  [{ by: 'h1', state: 'Connect' }, 'connecting'],
  [{ by: 'h1', state: 'OpenSent' }, 'connecting'],
  [{ by: 'h1', state: 'OpenConfirm' }, 'connecting'],
  [{ by: 'h1', state: 'Idle' }, 'idle'],
  [{ by: 'tor', state: 'Unknown' }, 'idle'],
  [{ by: 'h1', state: 'Idle', bfd: 'Down (control detection time expired)' }, 'bfd-down'],
  [{ by: 'h1', state: 'Established', bfd: 'Down' }, 'bfd-down'],
  [{ by: 'h1', state: 'Idle', bfd: '' }, 'idle'],
];
for (const [view, cls] of stateTable)
  test(`a session ${view.state}${view.bfd !== undefined ? ` with BFD ${JSON.stringify(view.bfd)}` : ''} is drawn as ${cls}`, (t) => {
    t.is(viewClass(view), cls);
    const svg = renderSvg(snap([host('h1'), router('tor')], [{ a: 'h1', b: 'tor', views: [view] }]));
    const [line] = elements(svg).sessions;
    t.is(line?.['data-session-class'], cls);
    t.is(line?.['data-session-state'], view.state);
    t.is(line?.stroke, SESSION_STYLE[cls].colour);
  });

interface Case {
  name: string;
  snapshot: FabricSnapshot;
  nodes: [string, string][];
  /** Per line: a, b, class, state shown. */
  sessions: [string, string, SessionClass, string][];
  blocks: string[];
}

const cases: Case[] = [
  {
    name: 'quickstart: a ToR and three hosts, all Established, blocks listed under each host',
    snapshot: snap(
      [router('tor'), host('h1', ['10.65.0.0/26']), host('h2', ['10.65.0.64/26']), host('h3', ['10.65.0.128/26'])],
      ['h1', 'h2', 'h3'].map((h) => session(h, 'tor', [h, 'Established'], ['tor', 'Established'])),
    ),
    nodes: [
      ['tor', 'router'],
      ['h1', 'host'],
      ['h2', 'host'],
      ['h3', 'host'],
    ],
    sessions: [
      ['h1', 'tor', 'established', 'Established'],
      ['h2', 'tor', 'established', 'Established'],
      ['h3', 'tor', 'established', 'Established'],
    ],
    blocks: ['10.65.0.0/26 1/64', '10.65.0.64/26 1/64', '10.65.0.128/26 1/64'],
  },
  {
    name: 'two ends disagree: the worse view is shown',
    snapshot: snap([router('tor'), host('h1')], [session('h1', 'tor', ['h1', 'Established'], ['tor', 'Active'])]),
    nodes: [
      ['tor', 'router'],
      ['h1', 'host'],
    ],
    sessions: [['h1', 'tor', 'connecting', 'Active']],
    blocks: [],
  },
  {
    name: 'BFD down on one side beats Idle on the other',
    snapshot: snap(
      [router('tor'), host('h1')],
      [session('h1', 'tor', ['tor', 'Idle'], ['h1', 'Idle', 'Down (neighbor signaled session down)'])],
    ),
    nodes: [
      ['tor', 'router'],
      ['h1', 'host'],
    ],
    sessions: [['h1', 'tor', 'bfd-down', 'Idle']],
    blocks: [],
  },
  {
    name: 'a mesh of three hosts (one row): three lines, one per pair',
    snapshot: snap(
      [host('h1'), host('h2'), host('h3')],
      [
        session('h1', 'h2', ['h1', 'Established'], ['h2', 'Established']),
        session('h1', 'h3', ['h1', 'Established'], ['h3', 'Established']),
        session('h2', 'h3', ['h2', 'OpenSent']),
      ],
    ),
    nodes: [
      ['h1', 'host'],
      ['h2', 'host'],
      ['h3', 'host'],
    ],
    sessions: [
      ['h1', 'h2', 'established', 'Established'],
      ['h1', 'h3', 'established', 'Established'],
      ['h2', 'h3', 'connecting', 'OpenSent'],
    ],
    blocks: [],
  },
  {
    name: 'many blocks: six listed, the rest counted; a borrowed /32 says so',
    snapshot: snap(
      [
        host('h1', [], {
          blocks: [
            { cidr: '10.65.9.9/32', borrowed: true },
            ...Array.from({ length: 7 }, (_, i) => ({ cidr: `10.65.${i}.0/26`, inUse: i, size: 64 })),
          ],
        }),
      ],
      [],
    ),
    nodes: [['h1', 'host']],
    sessions: [],
    blocks: [
      '10.65.9.9/32 borrowed',
      '10.65.0.0/26 0/64',
      '10.65.1.0/26 1/64',
      '10.65.2.0/26 2/64',
      '10.65.3.0/26 3/64',
      '10.65.4.0/26 4/64',
    ],
  },
  {
    name: 'routers are ordered by where their sessions land below, so the lines do not cross',
    snapshot: snap(
      [router('r-a'), router('r-b'), host('h1'), host('h2')],
      [session('h2', 'r-a', ['h2', 'Established']), session('h1', 'r-b', ['h1', 'Established'])],
    ),
    nodes: [
      ['r-b', 'router'],
      ['r-a', 'router'],
      ['h1', 'host'],
      ['h2', 'host'],
    ],
    sessions: [
      ['h2', 'r-a', 'established', 'Established'],
      ['h1', 'r-b', 'established', 'Established'],
    ],
    blocks: [],
  },
  {
    name: 'an empty fabric: no boxes, no lines, the legend still there',
    snapshot: snap([], []),
    nodes: [],
    sessions: [],
    blocks: [],
  },
];

for (const c of cases)
  test(`svg: ${c.name}`, (t) => {
    const svg = renderSvg(c.snapshot);
    const e = elements(svg);
    t.deepEqual(
      e.nodes.map((n) => [n['data-node'], n['data-kind']]),
      c.nodes,
    );
    t.deepEqual(
      e.sessions.map((s) => [
        s['data-session-a'],
        s['data-session-b'],
        s['data-session-class'],
        s['data-session-state'],
      ]),
      c.sessions,
    );
    t.deepEqual(e.blocks, c.blocks);
    t.deepEqual(e.legend, ['established', 'connecting', 'idle', 'bfd-down']);
    t.regex(svg, new RegExp(`data-nodes="${c.nodes.length}" data-sessions="${c.sessions.length}"`));
    const more = c.snapshot.nodes.reduce((n, x) => n + Math.max(0, x.blocks.length - 6), 0);
    if (more) t.regex(svg, new RegExp(`>\\+${more} more blocks<`));
    t.is(renderSvg(c.snapshot), svg, 'the same snapshot draws the same picture');
  });

test('svg: names and notes are escaped (the picture stays well-formed)', (t) => {
  const svg = renderSvg(snap([host('<h&1>', [], { note: `say "hi" 'there'` })], []));
  t.notRegex(svg, /<h&1>/);
  t.regex(svg, /data-node="&lt;h&amp;1&gt;"/);
  t.regex(svg, /say &quot;hi&quot; &apos;there&apos;/);
});

test('svg: a line between rows runs from the upper box bottom edge to the lower box top edge', (t) => {
  const svg = renderSvg(snap([router('tor'), host('h1')], [session('h1', 'tor', ['h1', 'Established'])]));
  const rect = (id: string) => {
    const g = svg.slice(svg.indexOf(`data-node="${id}"`));
    const m = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(g)!;
    return { x: Number(m[1]), y: Number(m[2]), w: Number(m[3]), h: Number(m[4]) };
  };
  const [, x1, y1, x2, y2] = /class="fabric-session" d="M([\d.]+),([\d.]+) L([\d.]+),([\d.]+)"/.exec(svg)!.map(Number);
  const tor = rect('tor');
  const h1 = rect('h1');
  t.true(tor.y + tor.h < h1.y, 'the router sits above the host');
  // the line's ends: one on each box's facing edge, within its width
  const ends = [
    [x1, y1],
    [x2, y2],
  ] as [number, number][];
  t.true(ends.some(([x, y]) => y === tor.y + tor.h && x > tor.x && x < tor.x + tor.w));
  t.true(ends.some(([x, y]) => y === h1.y && x > h1.x && x < h1.x + h1.w));
});

test('svg: a node without a fresh agent status is drawn dashed and says why', (t) => {
  const svg = renderSvg(snap([host('h1', [], { health: 'no-status', note: 'no agent status' })], []));
  t.regex(svg, /data-node="h1" data-kind="host" data-health="no-status"/);
  t.regex(svg, /stroke-dasharray="5 3"/);
  t.regex(svg, />no agent status</);
});

test('page: the SVG inline, counts on the body, a refresh', (t) => {
  const s = snap([router('tor'), host('h1')], [session('h1', 'tor', ['h1', 'Established'])]);
  const html = renderPage(s, { refreshS: 3, source: 'from etcd' });
  t.regex(html, /^<!doctype html>/);
  t.regex(html, /<meta http-equiv="refresh" content="3">/);
  t.regex(html, /<body data-node-count="2" data-session-count="1">/);
  t.true(html.includes(renderSvg(s)));
  t.regex(html, /from etcd · refreshes every 3 s/);
});
