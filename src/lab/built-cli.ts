// Where the compiled `tsroute` bin is, and whether it is older than the TypeScript it was built from:
// tests run the build (starting it costs a fraction of going through tsx, which matters on a loaded
// machine), but never a stale one, which would test yesterday's code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The checkout (or, when this file runs from dist/src/lab, dist's parent). */
export const REPO_ROOT = join(here, '..', '..', ...(here.split('/').includes('dist') ? ['..'] : []));
export const BUILT_CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

let verdict: string | undefined;
/** Why the build cannot be used ('' when it can); checked once per process. */
export function builtCliProblem(): string {
  if (verdict === undefined) {
    if (!existsSync(BUILT_CLI)) verdict = `${BUILT_CLI} is missing: run "npm run build" before the tests`;
    else {
      const built = statSync(BUILT_CLI).mtimeMs;
      const stale = ['cli', 'src', 'bgp'].some((d) => newestSource(join(REPO_ROOT, d)) > built);
      verdict = stale ? `${BUILT_CLI} is older than the sources: run "npm run build" before the tests` : '';
    }
  }
  return verdict;
}
