// Prometheus metrics of one agent: sessions, routes, endpoints, IPAM and event-loop lag, served on
// 127.0.0.1 by default. The event-loop lag histogram is the one to watch: a BGP session misses its
// hold timer when the loop stalls.
//
// The families are kept in src/agent/prometheus-text.ts's plain maps whether or not they are served;
// prom-client (for Node's process defaults) and the HTTP server come only with `serve` on a port.
import { createServer, type Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type PeerSample, registerPeerMetrics } from './peer-metrics.js';
import { MetricSet } from './prometheus-text.js';

export class AgentMetrics {
  /** Every family of the agent's own; more are added by the parts that own them (the leak GC). */
  readonly families = new MetricSet();
  readonly peers = this.families.gauge('tsroute_bgp_peers', 'BGP peers by session state', ['state']);
  readonly locRibRoutes = this.families.gauge('tsroute_bgp_loc_rib_routes', 'prefixes in the Loc-RIB');
  readonly kernelRoutes = this.families.gauge('tsroute_kernel_routes', 'kernel routes owned by the agent');
  readonly endpoints = this.families.gauge('tsroute_endpoints', 'wired endpoints');
  readonly endpointAddSeconds = this.families.histogram(
    'tsroute_endpoint_add_seconds',
    'time to wire one endpoint (IPAM + veth + routes)',
    [0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1],
  );
  readonly errors = this.families.counter('tsroute_errors_total', 'errors by component', ['component']);
  readonly rejectedResources = this.families.gauge(
    'tsroute_rejected_resources',
    'resources in etcd this agent does not apply (invalid or conflicting; see tsroute node status), by kind',
    ['kind'],
  );
  readonly maxPrefixWarnings = this.families.counter(
    'tsroute_bgp_max_prefix_warnings_total',
    "times a peer's prefix count reached its max-prefix warning threshold",
    ['peer'],
  );
  readonly eventLoopLagMax = this.families.gauge(
    'tsroute_event_loop_lag_max_seconds',
    'largest event-loop delay seen since the last scrape',
  );
  /** The /fabric page (HTML), when the process set one: see src/fabric-view/. */
  fabricPage?: () => Promise<string>;
  /** The sessions the per-peer series are read from at each scrape (set by the agent's speaker). */
  peerSource: () => PeerSample[] = () => [];
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private server?: Server;

  constructor() {
    registerPeerMetrics(this.families, () => this.peerSource());
    this.loopDelay.enable();
  }

  /** Largest event-loop delay in ms since the last call (and resets the window). */
  takeMaxLoopLagMs(): number {
    const ms = this.loopDelay.max / 1e6;
    this.loopDelay.reset();
    return Number.isFinite(ms) ? ms : 0;
  }

  async serve(host: string, port: number): Promise<void> {
    if (!port) return;
    const { defaultMetrics } = await import('./default-metrics.js');
    const processDefaults = defaultMetrics('tsroute_');
    this.server = createServer(async (req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/fabric' && this.fabricPage) {
        try {
          const html = await this.fabricPage();
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
        } catch (err) {
          // etcd away: say so (the page's refresh tries again), never take the metrics server down
          res
            .writeHead(503, { 'content-type': 'text/plain' })
            .end(`cannot draw the fabric: ${(err as Error).message}\n`);
        }
        return;
      }
      if (path !== '/metrics') {
        res.writeHead(404).end(`see /metrics${this.fabricPage ? ' or /fabric' : ''}\n`);
        return;
      }
      this.eventLoopLagMax.set(this.takeMaxLoopLagMs() / 1000);
      const text = `${this.families.text()}\n${await processDefaults()}`;
      res.writeHead(200, { 'content-type': MetricSet.CONTENT_TYPE }).end(text);
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, host, () => resolve());
    });
  }

  async close(): Promise<void> {
    this.loopDelay.disable();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
