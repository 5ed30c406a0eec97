// The package a real host gets: `npm pack` → `npm install -g` into a scratch prefix (dependencies
// from the npm registry, through npm's cache when it has them), then the three commands on PATH and
// the prebuilt native addons entering a namespace. And `npm install` in a fresh clone leaves
// package-lock.json as committed.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { run } from '../../src/lab/exec.js';
import { labFor } from '../helpers/lab.js';

const repo = process.cwd();
const NATIVE = 'src/dataplane/native';

function scratch(t: { teardown(fn: () => void): void }, label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tsroute-${label}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('npm pack → npm install -g: tsroute, tsroute-cni and tsroute-docker-plugin run; the addons work', async (t) => {
  t.timeout(600_000); // npm on a loaded 2-core machine; ~40 s when idle
  for (const c of readdirSync(join(repo, NATIVE)).filter((f) => f.endsWith('.c')))
    t.true(existsSync(join(repo, NATIVE, 'build', c.replace(/\.c$/, '.node'))), `${c} is built: run npm run build`);
  t.true(existsSync(join(repo, 'dist/cli/main.js')), 'dist/ is built: run npm run build');
  const dir = scratch(t, 'pack');
  // --ignore-scripts: prepack would rebuild dist/ under the feet of tests running beside this one.
  await run(['npm', 'pack', '--ignore-scripts', '--pack-destination', dir], { timeoutMs: 120_000 });
  const version = (await import(join(repo, 'package.json'), { with: { type: 'json' } })).default.version as string;
  const tarball = join(dir, `tsroute-${version}.tgz`);

  const { stdout: listing } = await run(['tar', 'tzf', tarball]);
  const files = listing.split('\n').map((f) => f.replace(/^package\//, ''));
  for (const f of [
    'dist/cli/main.js',
    'dist/src/cni/main.js',
    'dist/src/docker/main.js',
    'dist/src/api/agent.proto',
    `${NATIVE}/netns.c`,
    `${NATIVE}/build/netns.node`,
    'scripts/build-native.sh',
    'docs/agent.md',
    'packaging/tsroute-node.service',
    'packaging/node.yaml',
    'README.md',
  ])
    t.true(files.includes(f), `the package holds ${f}`);
  t.false(
    files.some((f) => f.startsWith('test/') || f.startsWith('dist/test/') || f.endsWith('.map') || f.endsWith('.ts')),
    'no tests, sources or source maps',
  );

  const prefix = join(dir, 'prefix');
  await run(['npm', 'install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], {
    timeoutMs: 540_000,
  });
  const env = { ...process.env, PATH: `${prefix}/bin:/usr/sbin:/usr/bin:/sbin:/bin` };
  t.is((await run(['tsroute', '--version'], { env })).stdout.trim(), version);
  const cni = await run(['tsroute-cni'], {
    env: { ...env, CNI_COMMAND: 'VERSION' },
    input: '{"cniVersion":"1.0.0","name":"t","type":"tsroute"}',
  });
  t.true(JSON.parse(cni.stdout).supportedVersions.includes('1.0.0'));
  t.regex((await run(['tsroute-docker-plugin', '--help'], { env })).stdout, /Docker \(libnetwork\) network and IPAM/);
  t.regex((await run(['tsroute', 'node', 'run', '--help'], { env })).stdout, /--config <file>/);
  // The unit ships in the package and names this installation.
  await run(['tsroute', 'node', 'install-service', '--root', join(dir, 'root')], { env });
  const unit = join(dir, 'root/etc/systemd/system/tsroute-node.service');
  t.regex(
    readFileSync(unit, 'utf8'),
    new RegExp(`^ExecStart=${process.execPath} ${prefix}/lib/node_modules/tsroute/dist/cli/main.js node run`, 'm'),
  );
  t.is((await run(['systemd-analyze', 'verify', unit])).stderr, '');

  // Every addon of the installed package loads; the netns one enters a namespace this test made and
  // sees the interface that exists only there.
  const installed = join(prefix, 'lib/node_modules/tsroute');
  const sources = readdirSync(join(installed, NATIVE)).filter((f) => f.endsWith('.c'));
  t.deepEqual(
    sources,
    readdirSync(join(repo, NATIVE)).filter((f) => f.endsWith('.c')),
    'every addon source shipped',
  );
  const lab = await labFor(t);
  const ns = await lab.namespace('pkg');
  await ns.ip('link', 'add', 'tsrpkgveth', 'type', 'veth', 'peer', 'name', 'tsrpkgpeer');
  const probe = `
    import { createRequire } from 'node:module';
    import { readFileSync } from 'node:fs';
    const require = createRequire(import.meta.url);
    for (const c of ${JSON.stringify(sources)}) require('${installed}/${NATIVE}/build/' + c.replace(/\\.c$/, '.node'));
    const { inNetns } = await import('${installed}/dist/src/dataplane/netns.js');
    const inside = inNetns(${JSON.stringify(ns.path)}, () => readFileSync('/proc/thread-self/net/dev', 'utf8'));
    const outside = readFileSync('/proc/thread-self/net/dev', 'utf8');
    console.log(JSON.stringify({ inside: inside.includes('tsrpkgveth'), outside: outside.includes('tsrpkgveth') }));
  `;
  const { stdout } = await run([process.execPath, '--input-type=module', '-e', probe], { env });
  t.deepEqual(JSON.parse(stdout), { inside: true, outside: false });
});

test('npm install in a fresh clone leaves package-lock.json as committed', async (t) => {
  t.timeout(600_000);
  const dir = scratch(t, 'clone');
  await run(['git', 'clone', '--quiet', repo, join(dir, 'tsroute')], { timeoutMs: 60_000 });
  await run(
    [
      'npm',
      'install',
      '--prefix',
      join(dir, 'tsroute'),
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
    ],
    { timeoutMs: 540_000 },
  );
  const diff = await run(['git', '-C', join(dir, 'tsroute'), 'status', '--porcelain', 'package-lock.json']);
  t.is(diff.stdout, '', 'package-lock.json unchanged');
});
