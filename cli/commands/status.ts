// `tsroute status`: the whole cluster in one table, from what every agent publishes in etcd under
// its lease (src/agent/status-reporter.ts) joined with the Node resources and the IPAM check.
// It flags what needs a person: nodes with no status or a stale heartbeat, sessions not
// Established, resources an agent does not apply, IPAM problems and leaks. Like
// `calicoctl node status`, it ends non-zero when something is wrong: exit 4 when anything is
// flagged (so scripts tell "flagged" from 1 bad flag, 2 etcd unreachable).
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { listNodeStatus, type NodeStatusRecord } from '../../src/datastore/index.js';
import { Ipam } from '../../src/ipam/index.js';
import { type EtcdFlags, withDatastore, withEtcd } from '../etcd-options.js';
import { action, EXIT_FLAGGED } from '../exit.js';
import { OUTPUT_HELP, outputFormat, print } from '../output.js';
import { formatAge, renderTable } from '../table.js';

/** A heartbeat older than this many of the agent's own intervals is stale. */
export const STALE_INTERVALS = 3;

export type FlagKind =
  | 'no-status'
  | 'stale-heartbeat'
  | 'session-not-established'
  | 'resources-not-applied'
  | 'ipam-problem'
  | 'ipam-leak';

export interface Flag {
  kind: FlagKind;
  /** The node it is about; absent for cluster-wide IPAM findings. */
  node?: string;
  message: string;
}

export interface NodeRow {
  node: string;
  /** The agent's last published status; null when there is none (never ran, stopped, lease expired). */
  status: NodeStatusRecord | null;
  heartbeatAgeMs: number | null;
  stale: boolean;
  flags: Flag[];
}

export interface ClusterStatus {
  checkedAt: string;
  nodes: NodeRow[];
  ipam: { problems: { kind: string; message: string }[]; leaks: number };
  flags: Flag[];
  ok: boolean;
}

function nodeFlags(node: string, s: NodeStatusRecord | null, ageMs: number | null): Flag[] {
  if (!s)
    return [
      {
        kind: 'no-status',
        node,
        message: `node "${node}" has no status in etcd: its agent is not running, never ran, or its lease expired`,
      },
    ];
  const out: Flag[] = [];
  if (ageMs !== null && ageMs > STALE_INTERVALS * s.intervalMs)
    out.push({
      kind: 'stale-heartbeat',
      node,
      message: `node "${node}": last heartbeat ${Math.round(ageMs / 1000)}s ago (expected every ${s.intervalMs / 1000}s)`,
    });
  for (const p of s.peers)
    if (p.state !== 'Established')
      out.push({
        kind: 'session-not-established',
        node,
        message: `node "${node}": BGP peer ${p.address} (AS ${p.asNumber}) is ${p.state}${p.lastError ? `: ${p.lastError}` : ''}`,
      });
  for (const r of s.rejectedResources)
    out.push({ kind: 'resources-not-applied', node, message: `node "${node}": ${r.kind} "${r.name}": ${r.reason}` });
  return out;
}

/** Joins the Node resources, the published statuses and an IPAM check into one report. */
export function clusterStatus(
  nodeNames: string[],
  statuses: Map<string, NodeStatusRecord>,
  ipam: { problems: { kind: string; message: string }[]; leaks: { address: string; node: string; reason: string }[] },
  now = Date.now(),
): ClusterStatus {
  const names = [...new Set([...nodeNames, ...statuses.keys()])].sort();
  const nodes = names.map((node): NodeRow => {
    const status = statuses.get(node) ?? null;
    const heartbeatAgeMs = status ? Math.max(0, now - status.heartbeatUnixMs) : null;
    const flags = nodeFlags(node, status, heartbeatAgeMs);
    const stale = flags.some((f) => f.kind === 'no-status' || f.kind === 'stale-heartbeat');
    return { node, status, heartbeatAgeMs, stale, flags };
  });
  const flags = [
    ...nodes.flatMap((n) => n.flags),
    ...ipam.problems.map((p): Flag => ({ kind: 'ipam-problem', message: p.message })),
    ...ipam.leaks.map(
      (l): Flag => ({
        kind: 'ipam-leak',
        node: l.node,
        message: `address ${l.address} (node "${l.node}") is allocated but ${l.reason === 'node-gone' ? 'its node is gone' : 'no endpoint uses it'}`,
      }),
    ),
  ];
  return {
    checkedAt: new Date(now).toISOString(),
    nodes,
    ipam: { problems: ipam.problems.map((p) => ({ kind: p.kind, message: p.message })), leaks: ipam.leaks.length },
    flags,
    ok: flags.length === 0,
  };
}

function stateCell(n: NodeRow): string {
  if (!n.status) return 'NO-STATUS';
  if (n.stale) return 'STALE';
  return n.flags.length ? 'DEGRADED' : 'OK';
}

export function renderClusterStatus(c: ClusterStatus, wide: boolean): string {
  const header = ['NODE', 'STATE', 'HEARTBEAT', 'SESSIONS', 'BLOCKS', 'ENDPOINTS', 'ROUTES', 'VERSION'];
  if (wide) header.push('AS', 'ROUTER-ID', 'UP', 'NOT-APPLIED', 'IPAM-GC');
  const now = Date.parse(c.checkedAt);
  const rows = c.nodes.map((n) => {
    const s = n.status;
    const up = s ? s.peers.filter((p) => p.state === 'Established').length : 0;
    const row: (string | number)[] = [
      n.node,
      stateCell(n),
      s && n.heartbeatAgeMs !== null ? `${formatAge(s.heartbeatUnixMs, now)} ago` : '-',
      s ? `${up}/${s.peers.length}` : '-',
      s ? s.blocks.length : '-',
      s ? s.endpoints : '-',
      s ? s.kernelRoutes : '-',
      s?.version ?? '-',
    ];
    if (wide)
      row.push(
        s?.asNumber ?? '-',
        s?.routerId ?? '-',
        s ? formatAge(s.startedUnixMs, now) : '-',
        s ? s.rejectedResources.length : '-',
        s?.ipamGcLeader ? 'leader' : '-',
      );
    return row;
  });
  const lines = [c.nodes.length ? renderTable(header, rows) : 'No nodes found.'];
  lines.push('');
  if (c.ok) lines.push('no problems found');
  else {
    lines.push(`${c.flags.length} problem(s):`);
    for (const f of c.flags) lines.push(`  ${f.kind}: ${f.message}`);
  }
  return lines.join('\n');
}

export function registerStatus(program: Command): void {
  withEtcd(
    program
      .command('status')
      .description('every node in one table, from the status each agent keeps in etcd; flags what is wrong')
      .option('-o, --output <format>', OUTPUT_HELP, 'table')
      .addHelpText(
        'after',
        `\nExit code: 0 nothing flagged, ${EXIT_FLAGGED} something flagged (listed), 1 bad flag, 2 etcd unreachable.\n` +
          'What each flag means and what to do: docs/operations.md#troubleshooting\n' +
          '\nExamples:\n  tsroute status\n  tsroute status -o json | jq .flags',
      ),
  ).action(
    action(async (o: EtcdFlags & { output?: string }) => {
      const format = outputFormat(o.output);
      const report = await withDatastore(o, async (ds) => {
        const [nodes, statuses, check] = await Promise.all([
          ds.list('Node'),
          listNodeStatus(ds.kv),
          new Ipam(ds).check(),
        ]);
        return clusterStatus(
          nodes.map((n) => n.metadata.name),
          statuses,
          check,
        );
      });
      if (format === 'json') print(JSON.stringify(report, null, 2));
      else if (format === 'yaml') print(stringify(report).trimEnd());
      else print(renderClusterStatus(report, format === 'wide'));
      if (!report.ok) process.exitCode = EXIT_FLAGGED;
    }),
  );
}
