// Printing resources: a table for people (`-o table`, `-o wide` with more columns), YAML and JSON
// that `tsroute apply -f` takes back unchanged.
import { Option } from 'commander';
import { stringify } from 'yaml';
import type { AnyResource, Kind } from '../src/model/index.js';
import { CliError } from './exit.js';
import { renderTable } from './table.js';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml';
export const OUTPUT_HELP = 'output format: table, wide, json or yaml';

export function outputFormat(text: string | undefined): OutputFormat {
  const f = text ?? 'table';
  if (!['table', 'wide', 'json', 'yaml'].includes(f)) {
    throw new CliError(`--output must be table, wide, json or yaml (got "${f}")`);
  }
  return f as OutputFormat;
}

/** `-o, --output table|wide|json|yaml`, checked when parsed (before etcd or the agent is asked). */
export function outputOption(defaultFormat: OutputFormat = 'table'): Option {
  return new Option('-o, --output <format>', OUTPUT_HELP).argParser(outputFormat).default(defaultFormat);
}

/** Anything as JSON or YAML: what the read commands print for -o json / -o yaml. */
export function dumpAs(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? JSON.stringify(value, null, 2) : stringify(value).trimEnd();
}

type Columns = [string, (r: AnyResource) => string | number | undefined, wide?: boolean][];
const spec = (r: AnyResource) => r.spec as unknown as Record<string, unknown>;
const str = (v: unknown) => (v === undefined || v === null || v === '' ? '-' : String(v));

const COLUMNS: Record<Kind, Columns> = {
  IPPool: [
    ['CIDR', (r) => str(spec(r).cidr)],
    ['BLOCK', (r) => `/${spec(r).blockSize}`],
    ['NAT', (r) => str(spec(r).natOutgoing)],
    ['DISABLED', (r) => str(spec(r).disabled)],
    ['BGP-EXPORT', (r) => (spec(r).disableBGPExport ? 'false' : 'true'), true],
    ['SELECTOR', (r) => str(spec(r).nodeSelector), true],
  ],
  BGPPeer: [
    [
      'PEER',
      (r) =>
        str(
          spec(r).peerIP ??
            (spec(r).interface ? `interface ${spec(r).interface}` : `selector: ${spec(r).peerSelector}`),
        ),
    ],
    ['AS', (r) => str(spec(r).asNumber)],
    [
      'SCOPE',
      (r) =>
        spec(r).node ? `node ${spec(r).node}` : spec(r).nodeSelector ? `nodes ${spec(r).nodeSelector}` : 'global',
    ],
    ['NEXT-HOP', (r) => str(spec(r).nextHopMode), true],
    ['FILTERS', (r) => str((spec(r).filters as string[] | undefined)?.join(',')), true],
    ['MAX-PREFIX', (r) => str(spec(r).maxPrefix), true],
  ],
  BGPConfiguration: [
    ['AS', (r) => str(spec(r).asNumber)],
    ['MESH', (r) => (spec(r).nodeToNodeMeshEnabled === undefined ? '-' : spec(r).nodeToNodeMeshEnabled ? 'on' : 'off')],
    ['PORT', (r) => str(spec(r).listenPort)],
    ['KEEPALIVE', (r) => str(spec(r).keepaliveTime), true],
    ['HOLD', (r) => str(spec(r).holdTime), true],
    ['GR-TIME', (r) => str(spec(r).gracefulRestartTime), true],
  ],
  BGPFilter: [
    [
      'RULES',
      (r) =>
        ['exportV4', 'importV4', 'exportV6', 'importV6'].reduce(
          (n, k) => n + ((spec(r)[k] as unknown[])?.length ?? 0),
          0,
        ),
    ],
  ],
  Node: [
    ['IPV4', (r) => str((spec(r).bgp as Record<string, unknown> | undefined)?.ipv4Address)],
    ['IPV6', (r) => str((spec(r).bgp as Record<string, unknown> | undefined)?.ipv6Address)],
    ['AS', (r) => str((spec(r).bgp as Record<string, unknown> | undefined)?.asNumber)],
    ['RR-CLUSTER', (r) => str((spec(r).bgp as Record<string, unknown> | undefined)?.routeReflectorClusterId), true],
    [
      'LABELS',
      (r) =>
        str(
          Object.entries(r.metadata.labels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        ),
      true,
    ],
  ],
  WorkloadEndpoint: [
    ['NODE', (r) => str(spec(r).node)],
    ['CONTAINER', (r) => str(String(spec(r).containerId).slice(0, 12))],
    ['ADDRESSES', (r) => str((spec(r).addresses as string[] | undefined)?.join(','))],
    ['INTERFACE', (r) => str(spec(r).hostInterface), true],
    ['HANDLE', (r) => str(spec(r).ipamHandle), true],
  ],
  IPAMConfiguration: [
    ['STRICT-AFFINITY', (r) => str(spec(r).strictAffinity)],
    ['MAX-BLOCKS-PER-HOST', (r) => str(spec(r).maxBlocksPerHost)],
  ],
  IPReservation: [['RESERVED', (r) => str((spec(r).reservedCIDRs as string[]).join(','))]],
};

/** One resource or a list, in the format asked for; lists in YAML are multi-document. */
export function renderResources(kind: Kind, items: AnyResource[], format: OutputFormat, single = false): string {
  if (format === 'json') {
    return JSON.stringify(single ? items[0] : { apiVersion: 'tsroute.io/v1', kind: 'List', items }, null, 2);
  }
  if (format === 'yaml') return items.map((r) => stringify(r).trimEnd()).join('\n---\n');
  const cols = COLUMNS[kind].filter((c) => format === 'wide' || !c[2]);
  if (!items.length) return `No ${kind} resources found.`;
  return renderTable(
    ['NAME', ...cols.map((c) => c[0])],
    items.map((r) => [r.metadata.name, ...cols.map((c) => c[1](r) ?? '-')]),
  );
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
