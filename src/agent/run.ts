// The process around the Agent: settings, logs, metrics, the API socket, and signals. SIGTERM and
// SIGINT end the process without withdrawing anything: the kernel keeps its routes and peers keep
// ours under graceful restart, so containers keep talking while the agent is restarted.
import { serveAgent } from '../api/server.js';
import { Datastore } from '../datastore/index.js';
import { Ipam } from '../ipam/index.js';
import { version } from '../version.js';
import { Agent, etcdOptionsOf } from './agent.js';
import { type AgentFlags, resolveAgentConfig } from './config.js';
import { openDataplane } from './dataplane-adapter.js';
import { ipamView } from './ipam-adapter.js';
import { createLogger } from './logger.js';
import { AgentMetrics } from './metrics.js';
import { agentService } from './service.js';

export async function runAgent(flags: AgentFlags): Promise<void> {
  const config = resolveAgentConfig(flags);
  const log = createLogger(config.logLevel, config.nodeName);
  const metrics = new AgentMetrics();
  const datastore = new Datastore(etcdOptionsOf(config));
  const ipam = ipamView(new Ipam(datastore), datastore, config.nodeName);
  const dataplane = await openDataplane({
    log: log.child({ component: 'dataplane' }),
    resyncIntervalMs: config.resyncIntervalMs,
  });
  const agent = new Agent({ config, log, metrics, datastore, ipam, dataplane, version: version() });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping; kernel routes stay, peers keep ours (graceful restart)');
    await Promise.race([
      (async () => {
        await server?.close();
        await agent.stop();
        await metrics.close();
      })(),
      new Promise((r) => setTimeout(r, 2000)),
    ]);
    process.exit(0);
  };
  let server: Awaited<ReturnType<typeof serveAgent>> | undefined;
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  await metrics.serve(config.metricsHost, config.metricsPort);
  await agent.start();
  server = await serveAgent(agentService(agent), config.apiSocket);
  log.info({ socket: config.apiSocket, metricsPort: config.metricsPort || undefined }, 'API serving');
  // Runs until a signal: the speaker's sockets and the timers keep the event loop alive.
  await new Promise<never>(() => {});
}
