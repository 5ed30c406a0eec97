// `npm run lint`'s architecture check: it passes on the tree as it is, and fails, naming the files,
// once a scratch copy of the tree gets an import cycle, an upward import, or bgp/ importing src/.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { importsOf } from '../../scripts/architecture/imports.js';

const run = promisify(execFile);
const repo = new URL('../..', import.meta.url).pathname;
const script = join(repo, 'scripts/check-architecture.ts');

function check(root: string): Promise<{ code: number; out: string }> {
  return run(process.execPath, ['--import', 'tsx', script, '--root', root], { cwd: repo }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: err.stdout + err.stderr }),
  );
}

test('architecture: the tree as it is has no import cycle and no import against docs/DESIGN.md', async (t) => {
  const r = await check(repo);
  t.is(r.code, 0, r.out);
});

test('architecture: an added cycle, an upward import and bgp/ importing src/ each fail lint, naming the files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsroute-arch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['bgp', 'src', 'cli', 'topology'])
    cpSync(join(repo, d), join(dir, d), {
      recursive: true,
      filter: (p) => (statSync(p).isDirectory() ? !p.endsWith('/build') : p.endsWith('.ts')),
    });
  t.is((await check(dir)).code, 0, 'the scratch copy passes before anything is added');

  writeFileSync(join(dir, 'src/ipam/cycle-a.ts'), "import { b } from './cycle-b.js';\nexport const a = () => b;\n");
  writeFileSync(
    join(dir, 'src/ipam/cycle-b.ts'),
    "import type { a } from './cycle-a.js';\nexport const b = 1 as unknown as typeof a;\n",
  );
  writeFileSync(join(dir, 'src/model/upward.ts'), "export { Agent } from '../agent/agent.js';\n");
  writeFileSync(join(dir, 'bgp/not-standalone.ts'), "import '../src/model/index.js';\n");
  const r = await check(dir);
  t.log(r.out);
  t.is(r.code, 1);
  t.regex(r.out, /import cycle: src\/ipam\/cycle-a\.ts → src\/ipam\/cycle-b\.ts → src\/ipam\/cycle-a\.ts/);
  t.regex(r.out, /src\/model\/upward\.ts:1 imports src\/agent\/agent\.ts, but src\/model imports nothing of ours/);
  t.regex(
    r.out,
    /bgp\/not-standalone\.ts:1 imports src\/model\/index\.ts, but bgp\/ imports nothing of src\/ or cli\//,
  );
  t.regex(r.out, /architecture: 3 problem\(s\)/);
});

test('architecture: imports are read from code, not from comments or strings; type-only ones are told apart', (t) => {
  const src = [
    "// import { x } from '../agent/agent.js';",
    'const s = "import { y } from \'../z.js\'";',
    "const re = /from '(x)'/;",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
    "const tpl = `${s} ${`import('../w.js')`}`;",
    "import type { A } from './a.js';",
    "import { type B, type C } from './bc.js';",
    "import D, { type E } from './de.js';",
    "export * from './f.js';",
    "export { g } from './g.js';",
    "const h = await import('./h.js');",
    'export const i = 1;',
  ].join('\n');
  t.deepEqual(
    importsOf(src).map((r) => [r.specifier, r.line, r.typeOnly, r.dynamic]),
    [
      ['./a.js', 5, true, false],
      ['./bc.js', 6, true, false],
      ['./de.js', 7, false, false],
      ['./f.js', 8, false, false],
      ['./g.js', 9, false, false],
      ['./h.js', 10, false, true],
    ],
  );
});
