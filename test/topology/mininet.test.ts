// The Mininet scripts (Python, Mininet's API, Linux namespaces only) build quickstart and
// leaf-spine, run the same agents and routers, pass their reachability matrix, and leave nothing.
import test from 'ava';
import { tsrouteArgv } from '../../src/lab/agent.js';
import { RUN_PREFIX, run } from '../../src/lab/index.js';

async function leftovers(): Promise<string[]> {
  const names = (await run(['ip', 'netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!);
  return names.filter((n) => n.startsWith(`${RUN_PREFIX}-mn`));
}

for (const script of ['quickstart', 'leaf_spine']) {
  test.serial(`mininet ${script}.py: every container reaches every other; nothing left after`, async (t) => {
    // About 20 s on a quiet machine; a loaded one (two suites at once) took over 120 s.
    t.timeout(450_000);
    const res = await run(['/usr/bin/python3', `topology/mininet/${script}.py`], {
      timeoutMs: 400_000,
      env: { ...process.env, TSROUTE_RUN_ID: RUN_PREFIX, TSROUTE_CLI: tsrouteArgv().join(' ') },
    }).catch((err: { stdout?: string; stderr?: string; message: string }) => ({
      stdout: err.stdout ?? '',
      stderr: `${err.stderr ?? ''}${err.message}`,
    }));
    t.regex(res.stdout, /PASS: all pairs reach each other/, res.stderr);
    t.deepEqual(await leftovers(), []);
  });
}
