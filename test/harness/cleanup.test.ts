// The harness leaves nothing behind: not after destroy, not when its process is interrupted, and the
// sweeper removes only what carries the run's prefix.
import { spawn } from 'node:child_process';
import test from 'ava';
import { isAlive, Lab, run, sweepRun, waitFor } from '../../src/lab/index.js';

async function netnsNames(): Promise<string[]> {
  return (await run(['ip', 'netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
}

test("destroy removes the lab's namespaces, links and processes", async (t) => {
  const lab = await Lab.create('destroy');
  const a = await lab.namespace('a');
  const b = await lab.namespace('b');
  await lab.link(a, '10.99.0.1/30', b, '10.99.0.2/30');
  const sleeper = a.spawn('sleeper', ['sleep', '600']);
  await waitFor('sleeper running', () => sleeper.pid > 0 && isAlive(sleeper.pid));
  t.true(await a.ping('10.99.0.2'));
  await lab.destroy();
  const names = await netnsNames();
  t.false(names.includes(a.name));
  t.false(names.includes(b.name));
  t.false(isAlive(sleeper.pid));
});

test('SIGINT to a process holding a lab removes its namespaces and daemons', async (t) => {
  const script = `
    const { Lab } = await import(${JSON.stringify(new URL('../../src/lab/index.ts', import.meta.url).pathname)});
    const lab = await Lab.create('sigint');
    const ns = await lab.namespace('x');
    const d = ns.spawn('sleeper', ['sleep', '600']);
    console.log(JSON.stringify({ ns: ns.name, pid: d.pid }));
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const info = await new Promise<{ ns: string; pid: number }>((resolve) => {
    child.stdout.once('data', (d) => resolve(JSON.parse(String(d))));
  });
  t.true((await netnsNames()).includes(info.ns));
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));
  t.false((await netnsNames()).includes(info.ns));
  await waitFor('the daemon to be gone', () => !isAlive(info.pid), { timeoutMs: 3000 });
  t.false(isAlive(info.pid));
});

test('the sweeper removes only namespaces carrying the given run prefix', async (t) => {
  const mine = 'tsrsweep1';
  const other = 'tsrsweep2';
  await run(['ip', 'netns', 'add', `${mine}-x-leftover`]);
  await run(['ip', 'netns', 'add', `${other}-x-keep`]);
  t.teardown(() => run(['ip', 'netns', 'del', `${other}-x-keep`]).catch(() => {}));
  const removed = await sweepRun(mine);
  t.deepEqual(removed, [`${mine}-x-leftover`]);
  const names = await netnsNames();
  t.false(names.includes(`${mine}-x-leftover`));
  t.true(names.includes(`${other}-x-keep`));
  await t.throwsAsync(sweepRun('../etc'), { message: /refusing/ });
});
