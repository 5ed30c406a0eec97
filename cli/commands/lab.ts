// `tsroute lab up|status|exec|down FILE`: run a containerlab topology on this machine with network
// namespaces instead of containers (no Docker needed). `up` starts a lab process that holds the lab
// (namespaces, etcd, routers, agents) and returns once it is ready; `down` stops that process, which
// removes everything the lab made.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import type { Command } from 'commander';
import { AgentClient } from '../../src/api/client.js';
import { readTopology } from '../../src/lab/containerlab.js';
import { isAlive, stopPid } from '../../src/lab/daemon.js';
import { reachabilityMatrix } from '../../src/lab/lab-matrix.js';
import { LAB_STATE_ROOT, type LabState, readState, runLab, statePath } from '../../src/lab/lab-runner.js';
import { action, CliError } from '../exit.js';
import { renderNodeStatus } from '../node-status.js';

function requireRoot(): void {
  if (process.getuid?.() !== 0)
    throw new CliError('tsroute lab needs root (it creates network namespaces): run it with sudo');
}

function running(file: string): { name: string; state: LabState } {
  const { name } = readTopology(file);
  const state = readState(name);
  if (!state)
    throw new CliError(`lab "${name}" is not up (no ${statePath(name)}); start it with: tsroute lab up ${file}`);
  return { name, state };
}

async function printMatrix(state: LabState): Promise<boolean> {
  const m = await reachabilityMatrix(state.containers);
  console.log(`\nreachability (rows ping columns):\n${m.text}`);
  if (m.failed.length === 0) {
    console.log(`\nPASS: all ${m.pairs} container pairs reach each other`);
    return true;
  }
  console.log(`\nFAIL: ${m.failed.length} of ${m.pairs} pairs cannot reach each other:\n  ${m.failed.join('\n  ')}`);
  return false;
}

export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description('run a containerlab topology on this machine with network namespaces (no Docker needed)');

  lab
    .command('up <file>')
    .description('bring a topology up: namespaces, links, routers, etcd, tsroute agents, test containers')
    .option('--foreground', 'hold the lab in this process until SIGINT/SIGTERM (what `up` runs in the background)')
    .addHelpText('after', '\nExample:\n  tsroute lab up topology/quickstart/quickstart.clab.yml')
    .action(
      action(async (file: string, o: { foreground?: boolean }) => {
        requireRoot();
        const topology = readTopology(file);
        const existing = readState(topology.name);
        if (existing && isAlive(existing.pid))
          throw new CliError(
            `lab "${topology.name}" is already up (pid ${existing.pid}); take it down with: tsroute lab down ${file}`,
          );
        if (o.foreground) {
          const t0 = Date.now();
          const running = await runLab(topology, (line) =>
            console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}`),
          );
          console.log(`READY ${running.state.name}`);
          await new Promise<never>(() => {}); // the Lab's signal handlers remove everything on SIGTERM/SIGINT
          return;
        }
        // Start the lab process detached, follow its log until it is ready or fails.
        const dir = `${LAB_STATE_ROOT}/${topology.name}`;
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        const log = `${dir}/lab.log`;
        const fd = openSync(log, 'a');
        const child = spawn(
          process.execPath,
          [...process.execArgv, process.argv[1]!, 'lab', 'up', '--foreground', file],
          {
            detached: true,
            stdio: ['ignore', fd, fd],
          },
        );
        child.unref();
        let shown = 0;
        const deadline = Date.now() + 180_000;
        for (;;) {
          const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
          const lines = text.split('\n');
          for (const line of lines.slice(shown, -1)) if (line.startsWith('[')) console.log(line);
          shown = Math.max(shown, lines.length - 1);
          const state = readState(topology.name);
          if (state?.ready) break;
          if (state?.error || !isAlive(child.pid ?? -1))
            throw new CliError(`lab "${topology.name}" failed to come up: ${state?.error ?? `see ${log}`}`);
          if (Date.now() > deadline) throw new CliError(`lab "${topology.name}" not ready after 180 s; see ${log}`);
          await new Promise((r) => setTimeout(r, 200));
        }
        const state = readState(topology.name)!;
        const ok = await printMatrix(state);
        console.log(
          `\nlab "${state.name}" is up. Look around:\n  tsroute lab status ${file}\n  tsroute lab exec ${file} ${state.hosts[0]?.name ?? 'NODE'} -- ip route\nTake it down:\n  tsroute lab down ${file}`,
        );
        if (!ok) process.exitCode = 1;
      }),
    );

  lab
    .command('status <file>')
    .description("every host's BGP sessions and routes, and the reachability matrix with pass/fail")
    .option('--node <host>', 'only this host (the matrix always covers every container)')
    .addHelpText('after', '\nExample:\n  tsroute lab status topology/quickstart/quickstart.clab.yml')
    .action(
      action(async (file: string, o: { node?: string }) => {
        requireRoot();
        const { name, state } = running(file);
        if (o.node && !state.hosts.some((h) => h.name === o.node))
          throw new CliError(
            `no host "${o.node}" in lab "${name}" (hosts: ${state.hosts.map((h) => h.name).join(', ')})`,
          );
        if (!isAlive(state.pid))
          throw new CliError(
            `lab "${name}" is not running (its process ${state.pid} is gone); run: tsroute lab down ${file}`,
          );
        for (const h of state.hosts.filter((x) => !o.node || x.name === o.node)) {
          const client = new AgentClient(h.apiSocket, 5000);
          try {
            console.log(`\n== ${h.name}\n${renderNodeStatus(await client.getStatus(5000))}`);
          } finally {
            client.close();
          }
          const routes = spawnSync('ip', ['-n', h.ns, 'route'], { encoding: 'utf8' }).stdout.trimEnd();
          console.log(`\n${routes}`);
        }
        if (!(await printMatrix(state))) process.exitCode = 1;
      }),
    );

  lab
    .command('exec <file> <node> [command...]')
    .description('run a command inside one node of the lab')
    .addHelpText('after', '\nExample:\n  tsroute lab exec topology/quickstart/quickstart.clab.yml h1 -- ip route')
    .action(
      action((file: string, node: string, command: string[]) => {
        requireRoot();
        const { state } = running(file);
        const ns = state.namespaces[node] ?? state.containers.find((c) => c.name === node)?.ns;
        if (!ns)
          throw new CliError(
            `no node "${node}" in lab "${state.name}" (nodes: ${Object.keys(state.namespaces).join(', ')})`,
          );
        if (command.length === 0) throw new CliError('give a command after the node, e.g.: -- ip route');
        const r = spawnSync('ip', ['netns', 'exec', ns, ...command], { stdio: 'inherit' });
        process.exitCode = r.status ?? 1;
      }),
    );

  lab
    .command('down <file>')
    .description('remove everything the lab made (namespaces, links, processes), and nothing else')
    .addHelpText('after', '\nExample:\n  tsroute lab down topology/quickstart/quickstart.clab.yml')
    .action(
      action(async (file: string) => {
        requireRoot();
        const { name } = readTopology(file);
        const state = readState(name);
        if (!state) {
          console.log(`lab "${name}" is not up`);
          return;
        }
        if (isAlive(state.pid)) await stopPid(state.pid, 30_000);
        rmSync(`${LAB_STATE_ROOT}/${name}`, { recursive: true, force: true });
        console.log(`lab "${name}" is down`);
      }),
    );
}
