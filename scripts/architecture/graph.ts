// The import graph of our own TypeScript files: file → the files of ours it imports.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { type ImportRef, importsOf } from './imports.js';

export interface Edge extends ImportRef {
  from: string;
  /** Repository-relative path of the imported file ("src/model/index.ts"). */
  to: string;
}

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'fixtures', 'native']);

export function listSources(root: string, dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (!SKIP_DIRS.has(name)) walk(p);
      } else if (/\.(ts|mts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(toRepoPath(root, p));
    }
  };
  for (const d of dirs) walk(join(root, d));
  return out;
}

function toRepoPath(root: string, p: string): string {
  return relative(root, p).split(sep).join('/');
}

/** A relative specifier ("../model/index.js") to the source file it names, or undefined if none. */
function resolve(root: string, from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined; // a package or node built-in
  const base = posix.normalize(posix.join(posix.dirname(from), specifier));
  const candidates = [
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    base.replace(/\.js$/, '.tsx'),
    base,
    `${base}.ts`,
    `${base}/index.ts`,
  ];
  return candidates.find((c) => existsSync(join(root, c)) && statSync(join(root, c)).isFile());
}

export function importGraph(root: string, files: string[]): Edge[] {
  const edges: Edge[] = [];
  for (const from of files) {
    const src = readFileSync(join(root, from), 'utf8');
    for (const ref of importsOf(src)) {
      const to = resolve(root, from, ref.specifier);
      if (to && to !== from) edges.push({ ...ref, from, to });
    }
  }
  return edges;
}
