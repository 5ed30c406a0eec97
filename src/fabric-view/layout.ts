// Where each box and line goes: one row per kind (spines on top, then routers, reflectors, hosts),
// boxes in name order and centred, lines attached along the box edges in the order of their far
// ends so they do not cross needlessly. Sessions inside one row (a node-to-node mesh) arc below it.
// Pure and deterministic: the same snapshot gives the same picture, byte for byte.
import type { FabricNode, FabricNodeKind, FabricSession, FabricSnapshot } from './snapshot.js';

export const BOX_WIDTH = 190;
export const LINE_HEIGHT = 14;
const BOX_PAD = 8;
const GAP_X = 40;
const ROW_GAP = 110;
const MARGIN = 24;
const TITLE_HEIGHT = 40;
export const LEGEND_HEIGHT = 64;
const LEGEND_MIN_WIDTH = 760;
/** Blocks listed in a box; the rest are counted in one "+N more" line. */
export const MAX_BLOCK_LINES = 6;

const ROW_ORDER: readonly FabricNodeKind[] = ['spine', 'router', 'reflector', 'host'];

export interface Box {
  node: FabricNode;
  x: number;
  y: number;
  w: number;
  h: number;
  row: number;
  /** The text lines, top to bottom: label, details, note?, blocks. */
  lines: { text: string; kind: 'label' | 'detail' | 'note' | 'block'; block?: string }[];
}

export interface Line {
  session: FabricSession;
  /** SVG path data. */
  d: string;
}

export interface Layout {
  width: number;
  height: number;
  boxes: Box[];
  lines: Line[];
  /** Top of the legend. */
  legendY: number;
}

function boxLines(n: FabricNode): Box['lines'] {
  const lines: Box['lines'] = [{ text: n.label, kind: 'label' }];
  const detail = [
    n.asNumber !== undefined ? `AS ${n.asNumber}` : '',
    n.addresses.slice(0, 2).join(' ') + (n.addresses.length > 2 ? ` +${n.addresses.length - 2}` : ''),
  ]
    .filter(Boolean)
    .join(' · ');
  if (detail) lines.push({ text: detail, kind: 'detail' });
  if (n.note) lines.push({ text: n.note, kind: 'note' });
  for (const b of n.blocks.slice(0, MAX_BLOCK_LINES)) {
    const use = b.inUse !== undefined && b.size !== undefined ? ` ${b.inUse}/${b.size}` : '';
    lines.push({ text: `${b.cidr}${use}${b.borrowed ? ' borrowed' : ''}`, kind: 'block', block: b.cidr });
  }
  if (n.blocks.length > MAX_BLOCK_LINES)
    lines.push({ text: `+${n.blocks.length - MAX_BLOCK_LINES} more blocks`, kind: 'note' });
  return lines;
}

const byId = (a: FabricNode, b: FabricNode) => a.id.localeCompare(b.id, 'en', { numeric: true });

export function layout(s: FabricSnapshot): Layout {
  const rows = orderRows(
    ROW_ORDER.map((k) => s.nodes.filter((n) => n.kind === k).sort(byId)).filter((r) => r.length > 0),
    s.sessions,
  );
  const widest = Math.max(1, ...rows.map((r) => r.length));
  const width = Math.max(LEGEND_MIN_WIDTH, 2 * MARGIN + widest * BOX_WIDTH + (widest - 1) * GAP_X);
  const rowOf = new Map<string, number>();
  rows.forEach((r, i) => {
    for (const n of r) rowOf.set(n.id, i);
  });
  const sameRow = (x: FabricSession) => rowOf.get(x.a) !== undefined && rowOf.get(x.a) === rowOf.get(x.b);

  const boxes: Box[] = [];
  const boxOf = new Map<string, Box>();
  let y = TITLE_HEIGHT;
  rows.forEach((r, row) => {
    const rowWidth = r.length * BOX_WIDTH + (r.length - 1) * GAP_X;
    const x0 = (width - rowWidth) / 2;
    let rowHeight = 0;
    r.forEach((node, i) => {
      const lines = boxLines(node);
      const box: Box = {
        node,
        x: x0 + i * (BOX_WIDTH + GAP_X),
        y,
        w: BOX_WIDTH,
        h: 2 * BOX_PAD + lines.length * LINE_HEIGHT,
        row,
        lines,
      };
      rowHeight = Math.max(rowHeight, box.h);
      boxes.push(box);
      boxOf.set(node.id, box);
    });
    // room under the row for the arcs of sessions inside it
    const arcs = s.sessions.filter((x) => sameRow(x) && rowOf.get(x.a) === row);
    const span = Math.max(0, ...arcs.map((x) => arcSpan(boxOf, x)));
    y += rowHeight + (arcs.length ? arcDepth(span) + 10 : 0) + ROW_GAP;
  });
  const lines = sessionLines(s.sessions, boxOf);
  const legendY = y - ROW_GAP + 30;
  return { width, height: legendY + LEGEND_HEIGHT, boxes, lines, legendY };
}

/**
 * The bottom row in name order; each row above in the order of where its sessions land below (the
 * mean position of its neighbours, the barycentre heuristic), so lines between rows rarely cross.
 */
function orderRows(rows: FabricNode[][], sessions: FabricSession[]): FabricNode[][] {
  const where = new Map<string, number>(); // node id → position in its row, 0..1
  const place = (row: FabricNode[]) => {
    row.forEach((n, i) => {
      where.set(n.id, (i + 0.5) / row.length);
    });
  };
  const out = rows.map((r) => [...r]);
  place(out[out.length - 1] ?? []);
  for (let i = out.length - 2; i >= 0; i--) {
    const bary = new Map<string, number>();
    for (const n of out[i]!) {
      const below = sessions
        .filter((x) => x.a === n.id || x.b === n.id)
        .map((x) => where.get(x.a === n.id ? x.b : x.a))
        .filter((p): p is number => p !== undefined);
      bary.set(n.id, below.length ? below.reduce((a, b) => a + b, 0) / below.length : 2);
    }
    out[i]!.sort((a, b) => bary.get(a.id)! - bary.get(b.id)! || byId(a, b));
    place(out[i]!);
  }
  return out;
}

function arcSpan(boxOf: Map<string, Box>, x: FabricSession): number {
  const a = boxOf.get(x.a);
  const b = boxOf.get(x.b);
  return a && b ? Math.round(Math.abs(a.x - b.x) / (BOX_WIDTH + GAP_X)) : 0;
}

const arcDepth = (span: number) => 24 + 14 * span;

/** Attachment points: along each box's top or bottom edge, in the order of the far ends' x. */
function sessionLines(sessions: FabricSession[], boxOf: Map<string, Box>): Line[] {
  type End = { session: FabricSession; far: Box; side: 'top' | 'bottom' };
  const ends = new Map<Box, End[]>();
  const drawn = sessions.filter((x) => boxOf.has(x.a) && boxOf.has(x.b) && x.a !== x.b);
  for (const session of drawn) {
    const a = boxOf.get(session.a)!;
    const b = boxOf.get(session.b)!;
    const sideOf = (me: Box, other: Box): 'top' | 'bottom' => (other.row < me.row ? 'top' : 'bottom');
    for (const [me, far] of [
      [a, b],
      [b, a],
    ] as const) {
      const list = ends.get(me) ?? [];
      list.push({ session, far, side: sideOf(me, far) });
      ends.set(me, list);
    }
  }
  const point = new Map<string, { x: number; y: number }>();
  const key = (box: Box, session: FabricSession) => `${box.node.id}\u0000${sessions.indexOf(session)}`;
  for (const [box, list] of ends) {
    for (const side of ['top', 'bottom'] as const) {
      const here = list
        .filter((e) => e.side === side)
        .sort((p, q) => p.far.x - q.far.x || p.far.node.id.localeCompare(q.far.node.id));
      here.forEach((e, i) => {
        point.set(key(box, e.session), {
          x: Math.round(box.x + (box.w * (i + 1)) / (here.length + 1)),
          y: side === 'top' ? box.y : box.y + box.h,
        });
      });
    }
  }
  return drawn.map((session) => {
    const a = boxOf.get(session.a)!;
    const b = boxOf.get(session.b)!;
    const p = point.get(key(a, session))!;
    const q = point.get(key(b, session))!;
    if (a.row !== b.row) return { session, d: `M${p.x},${p.y} L${q.x},${q.y}` };
    const depth = arcDepth(arcSpan(boxOf, session));
    const bottom = Math.max(p.y, q.y);
    return { session, d: `M${p.x},${p.y} C${p.x},${bottom + depth} ${q.x},${bottom + depth} ${q.x},${q.y}` };
  });
}
