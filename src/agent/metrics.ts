// Prometheus metrics of one agent: sessions, routes, endpoints, IPAM and event-loop lag, served on
// 127.0.0.1 by default. The event-loop lag histogram is the one to watch: a BGP session misses its
// hold timer when the loop stalls.
import { createServer, type Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { type PeerSample, registerPeerMetrics } from './peer-metrics.js';

export class AgentMetrics {
  readonly registry = new Registry();
  readonly peers = new Gauge({
    name: 'tsroute_bgp_peers',
    help: 'BGP peers by session state',
    labelNames: ['state'],
    registers: [this.registry],
  });
  readonly locRibRoutes = new Gauge({
    name: 'tsroute_bgp_loc_rib_routes',
    help: 'prefixes in the Loc-RIB',
    registers: [this.registry],
  });
  readonly kernelRoutes = new Gauge({
    name: 'tsroute_kernel_routes',
    help: 'kernel routes owned by the agent',
    registers: [this.registry],
  });
  readonly endpoints = new Gauge({ name: 'tsroute_endpoints', help: 'wired endpoints', registers: [this.registry] });
  readonly endpointAddSeconds = new Histogram({
    name: 'tsroute_endpoint_add_seconds',
    help: 'time to wire one endpoint (IPAM + veth + routes)',
    buckets: [0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'tsroute_errors_total',
    help: 'errors by component',
    labelNames: ['component'],
    registers: [this.registry],
  });
  readonly rejectedResources = new Gauge({
    name: 'tsroute_rejected_resources',
    help: 'resources in etcd this agent does not apply (invalid or conflicting; see tsroute node status), by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly maxPrefixWarnings = new Counter({
    name: 'tsroute_bgp_max_prefix_warnings_total',
    help: "times a peer's prefix count reached its max-prefix warning threshold",
    labelNames: ['peer'],
    registers: [this.registry],
  });
  readonly eventLoopLagMax = new Gauge({
    name: 'tsroute_event_loop_lag_max_seconds',
    help: 'largest event-loop delay seen since the last scrape',
    registers: [this.registry],
  });
  /** The /fabric page (HTML), when the process set one: see src/fabric-view/. */
  fabricPage?: () => Promise<string>;
  /** The sessions the per-peer series are read from at each scrape (set by the agent's speaker). */
  peerSource: () => PeerSample[] = () => [];
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private server?: Server;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tsroute_' });
    registerPeerMetrics(this.registry, () => this.peerSource());
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
      res.writeHead(200, { 'content-type': this.registry.contentType }).end(await this.registry.metrics());
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
