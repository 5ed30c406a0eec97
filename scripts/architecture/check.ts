// The architecture check behind `npm run lint`: no import cycles, and imports only in the directions
// docs/DESIGN.md's rooms table allows (rules.ts). Type-only and lazy imports count: a cycle through
// `import type` is still two files that cannot be read one without the other.
import { type Edge, importGraph, listSources } from './graph.js';
import { BGP_FACE, BGP_VOCABULARY, CHECKED_DIRS, roomOf } from './rules.js';

export interface Problem {
  kind: 'cycle' | 'direction' | 'unplaced';
  message: string;
  files: string[];
}

export function checkArchitecture(root: string): Problem[] {
  const files = listSources(root, CHECKED_DIRS);
  const edges = importGraph(root, files);
  return [...directionProblems(files, edges), ...cycleProblems(files, edges)];
}

function directionProblems(files: string[], edges: Edge[]): Problem[] {
  const out: Problem[] = [];
  for (const f of files)
    if (!roomOf(f))
      out.push({
        kind: 'unplaced',
        files: [f],
        message: `${f} is in no room of docs/DESIGN.md (scripts/architecture/rules.ts)`,
      });
  for (const e of edges) {
    const from = roomOf(e.from);
    const to = roomOf(e.to);
    if (!from || !to || from === to) continue;
    const allowed = from.mayImport.some((p) => e.to.startsWith(p));
    // bgp/'s internals are its own: from outside, only bgp/index.ts (tests and benches may look inside).
    const bgpInside =
      to.path === 'bgp/' &&
      e.to !== BGP_FACE &&
      e.to !== BGP_VOCABULARY &&
      !from.mayImport.includes('bgp/') &&
      from.path !== 'bgp/';
    if (allowed && !bgpInside) continue;
    const why = bgpInside ? `only ${BGP_FACE} (and ${BGP_VOCABULARY}) is bgp's public face` : from.says;
    out.push({
      kind: 'direction',
      files: [e.from, e.to],
      message: `${e.from}:${e.line} imports ${e.to}, but ${why} (docs/DESIGN.md, the rooms)`,
    });
  }
  return out;
}

/** One problem per strongly connected component, showing its shortest cycle through one file. */
function cycleProblems(files: string[], edges: Edge[]): Problem[] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  const out: Problem[] = [];
  for (const scc of stronglyConnected(files, next)) {
    const inScc = new Set(scc);
    const start = [...scc].sort()[0]!;
    const cycle = shortestCycle(start, next, inScc);
    out.push({
      kind: 'cycle',
      files: [...scc].sort(),
      message: `import cycle: ${cycle.join(' → ')}${scc.length > cycle.length - 1 ? ` (${scc.length} files in the circle in all: ${[...scc].sort().join(', ')})` : ''}`,
    });
  }
  return out;
}

function shortestCycle(start: string, next: Map<string, string[]>, within: Set<string>): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const f = queue[i]!;
    for (const g of next.get(f) ?? []) {
      if (!within.has(g)) continue;
      if (g === start) {
        const path = [start];
        for (let x: string | undefined = f; x !== undefined && x !== start; x = prev.get(x)) path.unshift(x);
        path.unshift(start);
        return path;
      }
      if (!prev.has(g)) {
        prev.set(g, f);
        queue.push(g);
      }
    }
  }
  return [start];
}

/** Tarjan's algorithm, iterative; only components of two or more files (a file never imports itself here). */
function stronglyConnected(files: string[], next: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  for (const root of files) {
    if (index.has(root)) continue;
    const work: { f: string; i: number }[] = [{ f: root, i: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const top = work[work.length - 1]!;
      const succ = next.get(top.f) ?? [];
      if (top.i < succ.length) {
        const g = succ[top.i++]!;
        if (!index.has(g)) {
          index.set(g, counter);
          low.set(g, counter++);
          stack.push(g);
          onStack.add(g);
          work.push({ f: g, i: 0 });
        } else if (onStack.has(g)) low.set(top.f, Math.min(low.get(top.f)!, index.get(g)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.f, Math.min(low.get(parent.f)!, low.get(top.f)!));
      if (low.get(top.f) === index.get(top.f)) {
        const comp: string[] = [];
        let x: string;
        do {
          x = stack.pop()!;
          onStack.delete(x);
          comp.push(x);
        } while (x !== top.f);
        if (comp.length > 1) out.push(comp);
      }
    }
  }
  return out;
}
