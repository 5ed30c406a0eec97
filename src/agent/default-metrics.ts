// Node's process and runtime series (`tsroute_process_*`, `tsroute_nodejs_*`: CPU, memory, file
// descriptors, heap spaces, GC, event-loop lag) as prom-client defines them. Imported only when the
// agent serves metrics: prom-client and its collectors cost idle memory an agent without
// `--metrics-port` has no use for (issue 14).
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Starts the collectors; the function returns their exposition text at each scrape. */
export function defaultMetrics(prefix: string): () => Promise<string> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  return () => registry.metrics();
}
