#!/usr/bin/env node
// `tsroute-docker-plugin`: the Docker network + IPAM driver as a small companion of the agent.
// Listens on a unix socket, registers itself with a spec file, and removes the spec on exit.
//   tsroute-docker-plugin [--name tsroute] [--socket PATH] [--agent-socket PATH] [--state-file PATH]
// Then: docker network create -d tsroute --ipam-driver tsroute NAME
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { AgentClient, DEFAULT_API_SOCKET } from '../api/index.js';
import { agentBackend } from './backend.js';
import { serveDockerPlugin } from './server.js';
import { DOCKER_PLUGIN_SPEC_DIR, removeSpec, writeSpec } from './spec.js';

const program = new Command('tsroute-docker-plugin')
  .description('Docker (libnetwork) network and IPAM driver for tsroute, onto the local agent')
  .addOption(new Option('--name <name>', 'driver name for docker -d / --ipam-driver').default('tsroute'))
  .addOption(
    new Option('--socket <path>', 'unix socket to serve Docker on')
      .env('TSROUTE_DOCKER_SOCKET')
      .default('/run/tsroute/docker-plugin.sock'),
  )
  .addOption(
    new Option('--agent-socket <path>', "the agent's API socket").env('TSROUTE_API_SOCKET').default(DEFAULT_API_SOCKET),
  )
  .addOption(
    new Option('--state-file <path>', 'where address handles are kept across restarts').default(
      '/var/lib/tsroute/docker-driver.json',
    ),
  )
  .addOption(new Option('--spec-dir <dir>', "Docker's plugin spec folder").default(DOCKER_PLUGIN_SPEC_DIR))
  .addOption(
    new Option('--scope <scope>', 'data scope told to Docker (global needs swarm mode)')
      .choices(['local', 'global'])
      .default('local'),
  )
  .addOption(new Option('--mtu <n>', 'container interface MTU (0: the agent default)').default('0'))
  .parse();

const opts = program.opts<{
  name: string;
  socket: string;
  agentSocket: string;
  stateFile: string;
  specDir: string;
  scope: 'global' | 'local';
  mtu: string;
}>();
const log = pino({ name: 'tsroute-docker-plugin' }, pino.destination(2));
const client = new AgentClient(opts.agentSocket, 30_000);
try {
  const plugin = await serveDockerPlugin({
    socketPath: opts.socket,
    backend: agentBackend(client),
    pluginName: opts.name,
    scope: opts.scope,
    stateFile: opts.stateFile,
    mtu: Number(opts.mtu),
    onCall: ({ method, status, response, ms }) =>
      status === 200 ? log.debug({ method, ms }, 'call') : log.warn({ method, status, response, ms }, 'call failed'),
  });
  const spec = writeSpec(opts.name, plugin.socketPath, opts.specDir);
  log.info({ socket: plugin.socketPath, spec }, 'serving Docker');
  const stop = async () => {
    removeSpec(opts.name, plugin.socketPath, opts.specDir);
    await plugin.close();
    client.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  process.stderr.write(`tsroute-docker-plugin: ${(err as Error).message}\n`);
  process.exit(1);
}
