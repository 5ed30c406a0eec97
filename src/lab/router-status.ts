// The BGP sessions of a lab's routers, read the way an operator would: FRR through
// `vtysh show bgp summary json`, BIRD through `birdc show protocols all`. `tsroute lab status` shows
// them beside the agents' own view, so a session that one side calls Established and the other not
// is visible at once.
import { run } from './exec.js';

export interface RouterSession {
  /** The neighbor's address. */
  peer: string;
  peerAs?: number;
  /** BGP state as the router names it (Established, Active, Connect, …). */
  state: string;
  /** Prefixes received (FRR: pfxRcd; BIRD: routes imported, summed over channels). */
  received: number;
  /** The router's own name for the session (BIRD's protocol name), when it has one. */
  name?: string;
}

interface FrrSummaryPeer {
  remoteAs?: number;
  state?: string;
  pfxRcd?: number;
}

/** Parses `show bgp summary json` (one object per address family, each with its peers). */
export function parseFrrSummary(json: string): RouterSession[] {
  const byPeer = new Map<string, RouterSession>();
  const families = JSON.parse(json) as Record<string, { peers?: Record<string, FrrSummaryPeer> }>;
  for (const family of Object.values(families)) {
    for (const [peer, p] of Object.entries(family?.peers ?? {})) {
      const seen = byPeer.get(peer);
      // A session carrying two families is one session: add up what each family received.
      if (seen) seen.received += p.pfxRcd ?? 0;
      else byPeer.set(peer, { peer, peerAs: p.remoteAs, state: p.state ?? 'Unknown', received: p.pfxRcd ?? 0 });
    }
  }
  return [...byPeer.values()];
}

/** Parses `birdc show protocols all`: one session per BGP protocol block. */
export function parseBirdProtocols(text: string): RouterSession[] {
  const out: RouterSession[] = [];
  // A block starts at a line that is not indented: "name  BGP  ---  up  since  info".
  for (const block of text.split(/\n(?=\S)/)) {
    const head = block.split('\n')[0]!.trim().split(/\s+/);
    if (head[1] !== 'BGP') continue;
    const field = (re: RegExp) => re.exec(block)?.[1];
    const imported = [...block.matchAll(/Routes:\s+(\d+) imported/g)].reduce((n, m) => n + Number(m[1]), 0);
    const as = field(/Neighbor AS:\s+(\d+)/);
    out.push({
      name: head[0],
      peer: field(/Neighbor address:\s+(\S+)/) ?? '?',
      peerAs: as ? Number(as) : undefined,
      state: field(/BGP state:\s+(\w+)/) ?? 'Unknown',
      received: imported,
    });
  }
  return out;
}

/** Asks one router of a running lab for its sessions. */
export async function routerSessions(router: {
  kind: 'frr' | 'bird';
  ns: string;
  control: string;
}): Promise<RouterSession[]> {
  const inNs = ['ip', 'netns', 'exec', router.ns];
  if (router.kind === 'frr') {
    const { stdout } = await run([...inNs, 'vtysh', '--vty_socket', router.control, '-c', 'show bgp summary json']);
    return parseFrrSummary(stdout);
  }
  const { stdout } = await run([...inNs, 'birdc', '-s', router.control, 'show', 'protocols', 'all']);
  return parseBirdProtocols(stdout);
}
