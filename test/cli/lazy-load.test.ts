// What `tsroute node run` loads. The agent runs for months: every module it imports but never uses is
// idle memory (issue 14 found a third of its RSS in the lab code and the other commands, pulled in by
// the CLI program). A module-resolution hook records every module the built CLI imports, and the agent
// must load its own code and none of the rest. A config file that does not exist ends the agent right
// after its modules are loaded, with the same one line as before.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { buildProgram, GROUP_COMMANDS } from '../../cli/program.js';
import { builtCli } from './run-cli.js';

/** Runs the built CLI with a hook that lists every module URL it resolves; returns them and the outcome. */
async function traced(args: string[]): Promise<{ code: number | null; stderr: string; modules: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tsroute-trace-'));
  try {
    const list = join(dir, 'modules.txt');
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(list)}, r.url + '\\n');
  return r;
}
`,
    );
    writeFileSync(list, '');
    const register = `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`;
    const child = spawn(process.execPath, ['--import', `data:text/javascript,${register}`, builtCli(), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    return { code, stderr, modules: [...new Set(readFileSync(list, 'utf8').split('\n').filter(Boolean))] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('node run loads the agent and nothing of the lab, the fabric picture, the other commands or prom-client', async (t) => {
  t.timeout(180_000);
  const r = await traced(['node', 'run', '--config', '/nonexistent/tsroute-node.yaml']);
  t.is(r.code, 1);
  t.is(r.stderr, 'tsroute: cannot read the config file /nonexistent/tsroute-node.yaml: ENOENT\n');
  const ours = r.modules.filter((u) => u.includes('/dist/'));
  t.true(
    ours.some((u) => u.endsWith('/dist/src/agent/run.js')),
    'the agent was loaded (else this test proves nothing)',
  );
  const unwanted = r.modules.filter(
    (u) =>
      /\/dist\/src\/(lab|fabric-view)\//.test(u) ||
      (/\/dist\/cli\/commands\//.test(u) && !/\/commands\/node[\w-]*\.js$/.test(u)) ||
      /\/node_modules\/prom-client\//.test(u),
  );
  t.deepEqual(unwanted, []);
});

test('every group the program loads on demand registers exactly the commands it is listed with', async (t) => {
  const all = await buildProgram();
  t.deepEqual(
    all.commands.map((c) => c.name()),
    [...GROUP_COMMANDS],
    'help lists every group, in order',
  );
  for (const name of GROUP_COMMANDS) {
    const one = await buildProgram(['node', 'tsroute', name, '--help']);
    t.true(
      one.commands.some((c) => c.name() === name),
      `tsroute ${name} finds its command`,
    );
    t.true(one.commands.length < all.commands.length, `tsroute ${name} loads one group`);
  }
});
