// `tsroute lab up|status|exec|down FILE`: run a containerlab topology on this machine with network
// namespaces instead of containers (no Docker needed). `up` starts a lab process that holds the lab
// (namespaces, etcd, routers, agents) and returns once it is ready; `down` stops that process, which
// removes everything the lab made but its logs (`down --purge` removes those too). Inside `exec`, the
// node's folder of wrappers comes first on PATH: `tsroute` reaches that node's agent, `vtysh` and
// `birdc` that node's router.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AgentClient } from '../../src/api/client.js';
import { renderSvg } from '../../src/fabric-view/index.js';
import { readTopology } from '../../src/lab/containerlab.js';
import { isAlive, stopPid } from '../../src/lab/daemon.js';
import { reachabilityMatrix } from '../../src/lab/lab-matrix.js';
import { labFabric } from '../../src/lab/lab-picture.js';
import { type LabState, labDir, readState, runLab, statePath } from '../../src/lab/lab-runner.js';
import { routerSessions } from '../../src/lab/router-status.js';
import { action, CliError } from '../exit.js';
import { renderNodeStatus } from '../node-status.js';
import { renderTable } from '../table.js';

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

function lookAround(file: string, state: LabState): string {
  const host = state.hosts[0]?.name ?? 'NODE';
  const lines = [
    `\nlab "${state.name}" is up. Look around:`,
    `  tsroute lab status ${file}`,
    `  tsroute lab status ${file} --svg ${state.name}.svg     (a picture: nodes, sessions, blocks)`,
    `  tsroute lab exec ${file} ${host} -- ip route`,
    `  tsroute lab exec ${file} ${host} -- tsroute node status     (tsroute there reaches ${host}'s agent)`,
    `  tsroute lab exec ${file} ${host} -- curl -s http://127.0.0.1:${metricsPort(state)}/metrics`,
  ];
  for (const r of state.routers.slice(0, 1))
    lines.push(
      `  tsroute lab exec ${file} ${r.name} -- ${r.kind === 'frr' ? "vtysh -c 'show bgp summary'" : 'birdc show protocols'}`,
    );
  lines.push(`Logs: ${state.logDir}`, 'Take it down:', `  tsroute lab down ${file}`);
  return lines.join('\n');
}

function metricsPort(state: LabState): string {
  return state.hosts[0] ? new URL(state.hosts[0].metrics).port : '';
}

/** The environment of `lab exec NODE`: the node's wrappers first on PATH, its agent and etcd. */
function execEnv(state: LabState, node: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const bin = state.bins?.[node];
  if (bin) env.PATH = `${bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
  const host = state.hosts.find((h) => h.name === node);
  if (host) env.TSROUTE_API_SOCKET = host.apiSocket;
  if (state.etcdSocket) env.TSROUTE_ETCD_ENDPOINTS = state.etcdSocket;
  return env;
}

async function printRouters(state: LabState, only?: string): Promise<void> {
  for (const r of state.routers ?? []) {
    if (only && r.name !== only) continue;
    let text: string;
    try {
      const sessions = await routerSessions(r);
      text = renderTable(
        ['PEER', 'AS', 'STATE', 'RECEIVED'],
        sessions.map((s) => [s.peer, s.peerAs ?? '-', s.state, s.received]),
      );
    } catch (err) {
      text = `cannot read its sessions: ${(err as Error).message.split('\n')[0]}`;
    }
    console.log(`\n== ${r.name} (${r.kind === 'frr' ? 'FRR' : 'BIRD'} router)\n${text}`);
  }
}

export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description('run a containerlab topology on this machine with network namespaces (no Docker needed)');

  lab
    .command('up <file>')
    .description('bring a topology up: namespaces, links, routers, etcd, tsroute agents, test containers')
    .option('--foreground', 'hold the lab in this process until SIGINT/SIGTERM (what `up` runs in the background)')
    .option('--no-hint', 'do not print how to look around (for scripts that take the lab down themselves)')
    .addHelpText('after', '\nExample:\n  tsroute lab up topology/quickstart/quickstart.clab.yml')
    .action(
      action(async (file: string, o: { foreground?: boolean; hint: boolean }) => {
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
        const dir = labDir(topology.name);
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
            throw new CliError(
              `lab "${topology.name}" failed to come up: ${state?.error ?? `see ${log}`} (daemon logs: ${dir}/logs)`,
            );
          if (Date.now() > deadline) throw new CliError(`lab "${topology.name}" not ready after 180 s; see ${log}`);
          await new Promise((r) => setTimeout(r, 200));
        }
        const state = readState(topology.name)!;
        const ok = await printMatrix(state);
        if (o.hint) console.log(lookAround(file, state));
        if (!ok) process.exitCode = 1;
      }),
    );

  lab
    .command('status <file>')
    .description(
      "every host's BGP sessions, routes and metrics address, every router's sessions, and the reachability matrix",
    )
    .option('--node <node>', 'only this host or router (the matrix always covers every container)')
    .option(
      '--svg <out.svg>',
      'also write a picture of the whole lab (whatever --node): nodes, routers, sessions coloured by state, blocks (docs/fabric.md#the-picture)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  tsroute lab status topology/quickstart/quickstart.clab.yml\n  tsroute lab status topology/quickstart/quickstart.clab.yml --svg quickstart.svg',
    )
    .action(
      action(async (file: string, o: { node?: string; svg?: string }) => {
        requireRoot();
        const { name, state } = running(file);
        const named = [...state.hosts, ...(state.routers ?? [])].map((x) => x.name);
        if (o.node && !named.includes(o.node))
          throw new CliError(`no host or router "${o.node}" in lab "${name}" (${named.join(', ')})`);
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
          if (h.metrics)
            console.log(
              `\nmetrics: ${h.metrics} (inside the lab; from here: tsroute lab exec ${file} ${h.name} -- curl -s ${h.metrics})`,
            );
        }
        await printRouters(state, o.node);
        if (o.svg) {
          const picture = await labFabric(state, readTopology(file));
          writeFileSync(o.svg, renderSvg(picture));
          console.log(
            `\npicture: ${o.svg} (${picture.nodes.length} nodes, ${picture.sessions.length} sessions; every agent also serves it at /fabric on its metrics port)`,
          );
        }
        if (state.logDir) console.log(`\nlogs: ${state.logDir}`);
        if (!(await printMatrix(state))) process.exitCode = 1;
      }),
    );

  lab
    .command('exec <file> <node> [command...]')
    .description(
      "run a command inside one node of the lab; there `tsroute` reaches the node's agent, `vtysh`/`birdc` its router",
    )
    .addHelpText(
      'after',
      "\nExamples:\n  tsroute lab exec topology/quickstart/quickstart.clab.yml h1 -- ip route\n  tsroute lab exec topology/quickstart/quickstart.clab.yml h1 -- tsroute node status\n  tsroute lab exec topology/quickstart/quickstart.clab.yml tor -- vtysh -c 'show bgp summary'",
    )
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
        const r = spawnSync('ip', ['netns', 'exec', ns, ...command], { stdio: 'inherit', env: execEnv(state, node) });
        process.exitCode = r.status ?? 1;
      }),
    );

  lab
    .command('down <file>')
    .description(
      'remove everything the lab made (namespaces, links, processes), and nothing else; its logs stay until --purge',
    )
    .option('--purge', "also remove the lab's logs")
    .addHelpText('after', '\nExample:\n  tsroute lab down topology/quickstart/quickstart.clab.yml')
    .action(
      action(async (file: string, o: { purge?: boolean }) => {
        requireRoot();
        const { name } = readTopology(file);
        const dir = labDir(name);
        const state = readState(name);
        if (state && isAlive(state.pid)) await stopPid(state.pid, 30_000);
        if (o.purge) {
          const had = existsSync(dir);
          rmSync(dir, { recursive: true, force: true });
          console.log(
            state ? `lab "${name}" is down; its logs are removed` : had ? `removed ${dir}` : `lab "${name}" is not up`,
          );
          return;
        }
        if (!state) {
          console.log(
            `lab "${name}" is not up${existsSync(`${dir}/logs`) ? ` (logs of its last run: ${dir}/logs)` : ''}`,
          );
          return;
        }
        // Everything but the logs (the lab process copied them there as it stopped) and lab.log.
        for (const entry of readdirSync(dir))
          if (entry !== 'logs' && entry !== 'lab.log') rmSync(`${dir}/${entry}`, { recursive: true, force: true });
        console.log(
          `lab "${name}" is down; its logs stay in ${dir} (remove them with: tsroute lab down ${file} --purge)`,
        );
      }),
    );
}
