// Which dataplane the agent runs on. One place to switch implementations.
import { ipDataplane } from './ip-dataplane.js';
import type { Logger } from './logger.js';
import type { Dataplane } from './ports.js';

export async function openDataplane(opts: { log: Logger; resyncIntervalMs: number }): Promise<Dataplane> {
  return ipDataplane(opts.log, opts.resyncIntervalMs);
}
