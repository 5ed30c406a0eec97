// What `tsroute node status` prints: the BIRD `show protocols` picture of a host, plus its blocks.
import type { Status } from '../src/api/types.js';
import { byAddress } from './address-order.js';
import { formatAge, renderTable } from './table.js';

/** `wide` adds each peer's router ID, hold time, message counts and capabilities. */
export function renderNodeStatus(s: Status, now = Date.now(), wide = false): string {
  const lines: string[] = [];
  lines.push(`node ${s.node}  AS ${s.asNumber}  router-id ${s.routerId}  tsroute ${s.version}`);
  lines.push(
    `up ${formatAge(s.startedUnixMs, now)}  endpoints ${s.endpointCount}  kernel routes ${s.kernelRouteCount}  datastore ${s.datastoreConnected ? 'connected' : 'DISCONNECTED'}`,
  );
  lines.push('');
  // The BFD column only when some session runs BFD (RFC 5880), so the common table stays as it was.
  const bfd = s.peers.some((p) => p.bfd);
  if (s.routingMode === 'Static') lines.push('routing mode Static: no BGP; routes to the other hosts come from etcd');
  else if (s.peers.length === 0) lines.push('no BGP peers');
  else
    lines.push(
      renderTable(
        [
          'PEER',
          'AS',
          'TYPE',
          'STATE',
          ...(bfd ? ['BFD'] : []),
          'SINCE',
          'RECEIVED',
          'ACCEPTED',
          'ADVERTISED',
          ...(wide ? ['ROUTER-ID', 'HOLD', 'MSGS-IN', 'MSGS-OUT', 'CAPABILITIES'] : []),
          'INFO',
        ],
        byAddress(s.peers, (p) => p.address).map((p) => [
          p.address,
          p.asNumber,
          p.type,
          p.state,
          ...(bfd ? [p.bfd || '-'] : []),
          formatAge(p.sinceUnixMs, now),
          p.routesReceived,
          p.routesAccepted,
          p.routesAdvertised,
          ...(wide
            ? [p.routerId || '-', p.holdTime, p.messagesReceived, p.messagesSent, p.capabilities.join(',') || '-']
            : []),
          p.info || '',
        ]),
      ),
    );
  lines.push('');
  if (s.blocks.length === 0) lines.push('no address blocks');
  else
    lines.push(
      renderTable(
        ['BLOCK', 'IN USE', 'KIND'],
        byAddress(s.blocks, (b) => b.cidr).map((b) => [
          b.cidr,
          `${b.inUse}/${b.size}`,
          b.borrowed ? 'borrowed' : 'affine',
        ]),
      ),
    );
  // One line per resource the agent does not apply, so a typo in one peer is found, not guessed.
  const rejected = s.rejectedResources ?? [];
  if (rejected.length) {
    lines.push('');
    lines.push(`${rejected.length} resource(s) not applied:`);
    for (const r of rejected)
      lines.push(
        `  error: ${r.kind} "${r.name}": ${r.reason}${r.lastGoodKept ? ' (its last valid version stays in force)' : ''}`,
      );
  }
  return lines.join('\n');
}
