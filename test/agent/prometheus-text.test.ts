// The agent's own Prometheus families (src/agent/prometheus-text.ts) write what prom-client wrote for
// the same families and the same updates, byte for byte: the agent stopped loading prom-client unless
// metrics are served (issue 14, idle RSS), and no scraper, alert or dashboard may see a difference.
import test from 'ava';
import * as prom from 'prom-client';
import { AgentMetrics } from '../../src/agent/metrics.js';
import { Collected, Counter, Gauge, MetricSet } from '../../src/agent/prometheus-text.js';

test('gauges, counters, a histogram and collected families: the same text as prom-client', async (t) => {
  const ours = new MetricSet();
  const reg = new prom.Registry();
  const g1 = ours.gauge('x_peers', 'peers by state', ['state']);
  const p1 = new prom.Gauge({ name: 'x_peers', help: 'peers by state', labelNames: ['state'], registers: [reg] });
  const g2 = ours.gauge('x_routes', 'routes\\with "quotes"\nand a newline');
  const p2 = new prom.Gauge({ name: 'x_routes', help: 'routes\\with "quotes"\nand a newline', registers: [reg] });
  const c1 = ours.counter('x_errors_total', 'errors', ['component']);
  const p3 = new prom.Counter({ name: 'x_errors_total', help: 'errors', labelNames: ['component'], registers: [reg] });
  const c2 = ours.counter('x_released_total', 'released');
  const p4 = new prom.Counter({ name: 'x_released_total', help: 'released', registers: [reg] });
  const buckets = [0.005, 0.01, 0.25, 1];
  const h = ours.histogram('x_seconds', 'time', buckets);
  const p5 = new prom.Histogram({ name: 'x_seconds', help: 'time', buckets, registers: [reg] });
  const empty = ours.gauge('x_rejected', 'rejected by kind', ['kind']);
  new prom.Gauge({ name: 'x_rejected', help: 'rejected by kind', labelNames: ['kind'], registers: [reg] });
  const source = [
    { peer: '10.0.0.1', state: 'Established', err: '' },
    { peer: 'fe80::1%eth0', state: 'Active', err: 'connect ECONNREFUSED "x"\\y\nz' },
  ];
  ours.add(
    new Collected(new Gauge('x_peer_up', 'up', ['peer', 'error']), (g) => {
      for (const p of source) g.set({ peer: p.peer, error: p.err }, p.state === 'Established' ? 1 : 0);
    }),
  );
  new prom.Gauge({
    name: 'x_peer_up',
    help: 'up',
    labelNames: ['peer', 'error'],
    registers: [reg],
    collect() {
      this.reset();
      for (const p of source) this.set({ peer: p.peer, error: p.err }, p.state === 'Established' ? 1 : 0);
    },
  });
  ours.add(
    new Collected(new Counter('x_flaps_total', 'flaps', ['peer']), (c) => {
      for (const p of source) c.inc({ peer: p.peer }, p.peer.length);
    }),
  );
  new prom.Counter({
    name: 'x_flaps_total',
    help: 'flaps',
    labelNames: ['peer'],
    registers: [reg],
    collect() {
      this.reset();
      for (const p of source) this.inc({ peer: p.peer }, p.peer.length);
    },
  });

  t.is(ours.text(), await reg.metrics(), 'before any update');
  g1.set({ state: 'Established' }, 3);
  p1.set({ state: 'Established' }, 3);
  g1.set({ state: 'Idle' }, 1);
  p1.set({ state: 'Idle' }, 1);
  g2.set(0.1 + 0.2);
  p2.set(0.1 + 0.2);
  c1.inc({ component: 'bgp' });
  p3.inc({ component: 'bgp' });
  c1.inc({ component: 'bgp' });
  p3.inc({ component: 'bgp' });
  c1.inc({ component: 'cluster' });
  p3.inc({ component: 'cluster' });
  c2.inc(4);
  p4.inc(4);
  for (const v of [0.001, 0.005, 0.02, 0.5, 3, 0.0042]) {
    h.observe(v);
    p5.observe(v);
  }
  t.is(ours.text(), await reg.metrics(), 'after updates');
  g1.reset();
  p1.reset();
  g1.set({ state: 'Active' }, 2);
  p1.set({ state: 'Active' }, 2);
  g2.set(Number.POSITIVE_INFINITY);
  p2.set(Number.POSITIVE_INFINITY);
  empty.set({ kind: 'BGPPeer' }, 0);
  empty.reset();
  source.pop();
  t.is(ours.text(), await reg.metrics(), 'after a reset and a peer gone');
});

test('a family name is registered once; a label the family does not have and a counter going down are refused', (t) => {
  const set = new MetricSet();
  const g = set.gauge('x', 'x', ['kind']);
  t.throws(() => set.gauge('x', 'again'), { message: /already registered/ });
  t.throws(() => g.set({ other: 'a' }, 1), { message: /unknown label "other"/ });
  t.throws(() => set.counter('y', 'y').inc(-1), { message: /only goes up/ });
});

test("the agent's families name every documented series", (t) => {
  const m = new AgentMetrics();
  t.teardown(() => m.close());
  const text = m.families.text();
  for (const name of [
    'tsroute_bgp_peers',
    'tsroute_bgp_loc_rib_routes',
    'tsroute_kernel_routes',
    'tsroute_endpoints',
    'tsroute_endpoint_add_seconds',
    'tsroute_errors_total',
    'tsroute_rejected_resources',
    'tsroute_bgp_max_prefix_warnings_total',
    'tsroute_event_loop_lag_max_seconds',
    'tsroute_bgp_peer_state',
    'tsroute_bgp_peer_up',
    'tsroute_bfd_session_up',
    'tsroute_bgp_peer_prefixes_received',
    'tsroute_bgp_peer_prefixes_accepted',
    'tsroute_bgp_peer_prefixes_advertised',
    'tsroute_bgp_peer_flaps_total',
    'tsroute_bgp_peer_last_error_info',
  ])
    t.regex(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
});
