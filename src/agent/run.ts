// The process around the Agent: settings, logs, metrics, the API socket, and signals. SIGTERM and
// SIGINT end the process without withdrawing anything: the kernel keeps its routes and peers keep
// ours under graceful restart, so containers keep talking while the agent is restarted. SIGHUP
// re-reads the config file (reload.ts says what changes live).
import { serveAgent } from '../api/server.js';
import { Datastore } from '../datastore/index.js';
import { Ipam } from '../ipam/index.js';
import { version } from '../version.js';
import { Agent, etcdOptionsOf } from './agent.js';
import type { AgentFlags } from './config.js';
import { resolveWithFile } from './config-file.js';
import { openDataplane } from './dataplane-adapter.js';
import { ipamView } from './ipam-adapter.js';
import { LeakGc } from './leak-gc.js';
import { createLogger } from './logger.js';
import { AgentMetrics } from './metrics.js';
import { reloadConfig } from './reload.js';
import { agentService } from './service.js';
import { StatusReporter } from './status-reporter.js';

export async function runAgent(flags: AgentFlags & { config?: string }): Promise<void> {
  const configFile = flags.config || process.env.TSROUTE_CONFIG || undefined;
  const config = resolveWithFile(flags, configFile);
  const log = createLogger(config.logLevel, config.nodeName);
  const metrics = new AgentMetrics();
  const datastore = new Datastore(etcdOptionsOf(config));
  const rawIpam = new Ipam(datastore);
  const ipam = ipamView(rawIpam, datastore, config.nodeName);
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
        await reporter?.stop();
        await leakGc?.stop();
        await agent.stop();
        await metrics.close();
      })(),
      new Promise((r) => setTimeout(r, 2000)),
    ]);
    process.exit(0);
  };
  let server: Awaited<ReturnType<typeof serveAgent>> | undefined;
  let reporter: StatusReporter | undefined;
  let leakGc: LeakGc | undefined;
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // Without a handler SIGHUP would end the process: with one, a reload never does.
  process.on('SIGHUP', () => {
    if (!configFile) return log.warn('SIGHUP: no --config file to re-read; nothing changed');
    try {
      const { applied, needRestart } = reloadConfig(config, flags, configFile, log);
      // a BGPConfiguration logSeverity, while set, still wins over the file's log-level
      agent.applyLogLevel();
      log.info({ file: configFile, applied, needRestart }, 'SIGHUP: config file re-read');
      if (needRestart.length) log.warn({ settings: needRestart }, 'these changed settings take effect at restart');
    } catch (err) {
      log.error({ file: configFile, err: (err as Error).message }, 'SIGHUP: config file refused; running on unchanged');
    }
  });

  // the picture of the whole fabric, read from etcd at each request (nodes, blocks, every agent's status)
  // (its renderer is loaded at the first request: most agents are never asked for it)
  metrics.fabricPage = async () => {
    const { fabricSnapshot, readFabricFacts, renderPage } = await import('../fabric-view/index.js');
    return renderPage(
      fabricSnapshot(await readFabricFacts(datastore, `tsroute fabric (seen from ${config.nodeName})`)),
      { source: `from etcd, by the agent on ${config.nodeName}` },
    );
  };
  await metrics.serve(config.metricsHost, config.metricsPort);
  await agent.start();
  leakGc = new LeakGc({
    etcd: etcdOptionsOf(config),
    node: config.nodeName,
    graceMs: config.leakGraceMs,
    intervalMs: config.leakCheckIntervalMs,
    ttlS: config.statusTtlS,
    ipam: rawIpam,
    metrics: metrics.families,
    log: log.child({ component: 'ipam-gc' }),
    emit: (e) => agent.events.emit(e),
    onReleased: () => agent.scheduleRefresh(),
  });
  const gc = leakGc;
  const service = agentService(agent);
  server = await serveAgent(service, config.apiSocket);
  reporter = new StatusReporter(
    etcdOptionsOf(config),
    config.nodeName,
    config.statusIntervalMs,
    config.statusTtlS,
    {
      status: () => service.getStatus({}),
      peerStates: () => agent.bgp?.speaker.peers().map((p) => ({ address: p.address, state: p.state })) ?? [],
      fingerprint: () => `${agent.endpoints.list().length} ${agent.rejectedResources().length} ${gc.isLeader}`,
      ipamGcLeader: () => gc.isLeader,
    },
    log.child({ component: 'status' }),
  );
  reporter.start();
  log.info({ socket: config.apiSocket, metricsPort: config.metricsPort || undefined }, 'API serving');
  // Runs until a signal: the speaker's sockets and the timers keep the event loop alive.
  await new Promise<never>(() => {});
}
