// The agent's settings: flags first, then TSROUTE_* environment variables, then defaults.
// Resolved once at start into a plain object, validated with messages a person can act on.

import { isIPv4, isIPv6 } from 'node:net';
import { hostname } from 'node:os';
import { DEFAULT_API_SOCKET } from '../api/types.js';
import { asNumberProblem, labelKeyProblem, labelValueProblem } from '../model/index.js';

export interface AgentConfig {
  nodeName: string;
  etcdEndpoints: string[];
  etcdTls?: { ca?: string; cert?: string; key?: string };
  /** The address this host peers from and announces as next hop (IPv4), and optionally IPv6. */
  bgpAddress4?: string;
  bgpAddress6?: string;
  /** Overrides the cluster's AS for this node (otherwise Node.spec.asNumber, then BGPConfiguration). */
  asNumber?: number;
  apiSocket: string;
  /** 0 turns the Prometheus endpoint off. */
  metricsPort: number;
  metricsHost: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  labels: Record<string, string>;
  /** How often the dataplane compares the kernel with what it wants, in ms. */
  resyncIntervalMs: number;
  /** How long an empty affine block is kept before it is released, in ms. */
  emptyBlockGraceMs: number;
  /** How often this node's status in etcd is re-written (heartbeat), in ms; changes are written sooner. */
  statusIntervalMs: number;
  /** TTL of the etcd lease the status lives under, in seconds: the record vanishes this long after a crash. */
  statusTtlS: number;
  /** An address allocated with no endpoint for this long is released by the elected agent, in ms. */
  leakGraceMs: number;
  /** How often the elected agent runs the IPAM leak check, in ms. */
  leakCheckIntervalMs: number;
}

export interface AgentFlags {
  name?: string;
  etcdEndpoints?: string;
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
  bgpAddress?: string;
  bgpAddress6?: string;
  as?: string;
  apiSocket?: string;
  metricsPort?: string;
  metricsHost?: string;
  logLevel?: string;
  label?: string[];
  resyncInterval?: string;
  statusInterval?: string;
  statusTtl?: string;
  leakGrace?: string;
  leakCheckInterval?: string;
}

export class ConfigError extends Error {
  readonly exitCode = 1;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

function pick(flag: string | undefined, env: NodeJS.ProcessEnv, name: string): string | undefined {
  if (flag !== undefined && flag !== '') return flag;
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

function integer(value: string, what: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${what} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

/** "5s", "500ms", "2m" or a bare number of seconds. */
export function parseDuration(value: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m) throw new ConfigError(`${what} must be a duration like 30s, 500ms or 2m, got "${value}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000);
}

export function resolveAgentConfig(flags: AgentFlags, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const nodeName = pick(flags.name, env, 'TSROUTE_NODE_NAME') ?? hostname();
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(nodeName))
    throw new ConfigError(`node name "${nodeName}" must be lower-case letters, digits, "-" and "." (as a DNS name)`);

  const endpoints = (pick(flags.etcdEndpoints, env, 'TSROUTE_ETCD_ENDPOINTS') ?? 'http://127.0.0.1:2379')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const e of endpoints)
    if (!/^(https?|unix):\/\//.test(e))
      throw new ConfigError(`etcd endpoint "${e}" must start with http://, https:// or unix://`);

  const bgpAddress4 = pick(flags.bgpAddress, env, 'TSROUTE_BGP_ADDRESS');
  if (bgpAddress4 !== undefined && !isIPv4(bgpAddress4))
    throw new ConfigError(`--bgp-address must be an IPv4 address, got "${bgpAddress4}"`);
  const bgpAddress6 = pick(flags.bgpAddress6, env, 'TSROUTE_BGP_ADDRESS6');
  if (bgpAddress6 !== undefined && !isIPv6(bgpAddress6))
    throw new ConfigError(`--bgp-address6 must be an IPv6 address, got "${bgpAddress6}"`);

  const asText = pick(flags.as, env, 'TSROUTE_AS');
  const asNumber = asText === undefined ? undefined : integer(asText, '--as', 1, 4294967295);
  const asProblem = asNumber === undefined ? undefined : asNumberProblem(asNumber);
  if (asProblem) throw new ConfigError(`--as: ${asProblem}`);

  const logLevel = (pick(flags.logLevel, env, 'TSROUTE_LOG_LEVEL') ?? 'info') as AgentConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);

  const labels: Record<string, string> = {};
  const labelTexts = flags.label?.length ? flags.label : (env.TSROUTE_NODE_LABELS?.split(',').filter(Boolean) ?? []);
  for (const l of labelTexts) {
    const [k, v] = l.split('=');
    if (!k || v === undefined || l.split('=').length !== 2)
      throw new ConfigError(`label "${l}" must look like key=value`);
    const problem = labelKeyProblem(k.trim()) ?? labelValueProblem(k.trim(), v.trim());
    if (problem) throw new ConfigError(problem);
    labels[k.trim()] = v.trim();
  }

  const tls = {
    ca: pick(flags.etcdCa, env, 'TSROUTE_ETCD_CA'),
    cert: pick(flags.etcdCert, env, 'TSROUTE_ETCD_CERT'),
    key: pick(flags.etcdKey, env, 'TSROUTE_ETCD_KEY'),
  };
  if ((tls.cert === undefined) !== (tls.key === undefined))
    throw new ConfigError('--etcd-cert and --etcd-key go together: give both or neither');

  return {
    nodeName,
    etcdEndpoints: endpoints,
    etcdTls: tls.ca || tls.cert ? tls : undefined,
    bgpAddress4,
    bgpAddress6,
    asNumber,
    apiSocket: pick(flags.apiSocket, env, 'TSROUTE_API_SOCKET') ?? DEFAULT_API_SOCKET,
    metricsPort: integer(pick(flags.metricsPort, env, 'TSROUTE_METRICS_PORT') ?? '0', '--metrics-port', 0, 65535),
    metricsHost: pick(flags.metricsHost, env, 'TSROUTE_METRICS_HOST') ?? '127.0.0.1',
    logLevel,
    labels,
    resyncIntervalMs: parseDuration(
      pick(flags.resyncInterval, env, 'TSROUTE_RESYNC_INTERVAL') ?? '30s',
      '--resync-interval',
    ),
    emptyBlockGraceMs: parseDuration(env.TSROUTE_EMPTY_BLOCK_GRACE ?? '5m', 'TSROUTE_EMPTY_BLOCK_GRACE'),
    ...statusSettings(flags, env),
  };
}

/** Heartbeat and leak-GC timing; each at least a bound that keeps etcd and the event loop calm. */
function statusSettings(flags: AgentFlags, env: NodeJS.ProcessEnv) {
  const duration = (flag: string | undefined, name: string, what: string, fallback: string, minMs: number) => {
    const ms = parseDuration(pick(flag, env, name) ?? fallback, what);
    if (ms < minMs) throw new ConfigError(`${what} must be at least ${minMs} ms, got "${pick(flag, env, name)}"`);
    return ms;
  };
  const statusIntervalMs = duration(flags.statusInterval, 'TSROUTE_STATUS_INTERVAL', '--status-interval', '10s', 500);
  // etcd refuses leases shorter than its minimum (about 2 s with default election timers)
  const ttlMs = duration(
    flags.statusTtl,
    'TSROUTE_STATUS_TTL',
    '--status-ttl',
    `${Math.ceil((3 * statusIntervalMs) / 1000)}s`,
    2000,
  );
  if (ttlMs <= statusIntervalMs)
    throw new ConfigError(`--status-ttl (${ttlMs} ms) must be longer than --status-interval (${statusIntervalMs} ms)`);
  return {
    statusIntervalMs,
    statusTtlS: Math.ceil(ttlMs / 1000),
    leakGraceMs: duration(flags.leakGrace, 'TSROUTE_LEAK_GRACE', '--leak-grace', '15m', 0),
    leakCheckIntervalMs: duration(
      flags.leakCheckInterval,
      'TSROUTE_LEAK_CHECK_INTERVAL',
      '--leak-check-interval',
      '1m',
      500,
    ),
  };
}
