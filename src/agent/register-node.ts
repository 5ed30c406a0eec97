// The agent's own Node resource: created on first start, updated when its addresses, AS or labels
// change. What an administrator set on it (a route-reflector cluster ID, an AS, extra labels) is kept:
// the agent only writes what its own flags say.
import { AlreadyExistsError, ConflictError, type Datastore } from '../datastore/index.js';
import { API_VERSION, type Node, ValidationError } from '../model/index.js';
import type { AgentConfig } from './config.js';

export async function registerNode(datastore: Datastore, config: AgentConfig): Promise<Node> {
  for (let attempt = 0; ; attempt++) {
    const current = await datastore.get('Node', config.nodeName);
    const next: Node = current
      ? structuredClone(current)
      : { apiVersion: API_VERSION, kind: 'Node', metadata: { name: config.nodeName }, spec: {} };
    next.metadata.labels = { ...(next.metadata.labels ?? {}), ...config.labels };
    const bgp = { ...(next.spec.bgp ?? {}) };
    if (config.bgpAddress4) bgp.ipv4Address = config.bgpAddress4;
    if (config.bgpAddress6) bgp.ipv6Address = config.bgpAddress6;
    if (config.asNumber !== undefined) bgp.asNumber = config.asNumber;
    next.spec.bgp = bgp;
    if (
      current &&
      JSON.stringify(current.spec) === JSON.stringify(next.spec) &&
      JSON.stringify(current.metadata.labels ?? {}) === JSON.stringify(next.metadata.labels)
    )
      return current;
    try {
      return current ? await datastore.update(next) : await datastore.create(next);
    } catch (err) {
      // Someone (an admin's `tsroute apply`) wrote the node meanwhile: read it again and merge.
      if ((err instanceof ConflictError || err instanceof AlreadyExistsError) && attempt < 5) continue;
      // The stored Node holds what validation refuses today (an old label key, an AS it no longer
      // accepts): run with what our flags say, unsaved, rather than wait forever; `node status`
      // reports the stored Node as not applied until someone fixes it.
      if (err instanceof ValidationError) return next;
      throw err;
    }
  }
}
