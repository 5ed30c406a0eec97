// The CNI invocation: environment variables and the network configuration on stdin, parsed and
// checked once, with the spec's error codes for what is missing or malformed.
import { CNI_ERR, CniError } from './errors.js';

export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export const PLUGIN_VERSION = '1.1.0';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'STATUS' | 'GC';

/** The tsroute plugin's network configuration (plus the well-known CNI keys we read). */
export interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  /** Agent API socket; default /run/tsroute/agent.sock (env TSROUTE_API_SOCKET wins for tests). */
  agentSocket?: string;
  /** Restrict allocation to these tsroute pools. */
  pools?: string[];
  ipv4?: boolean;
  ipv6?: boolean;
  mtu?: number;
  /** Passed through to the result unchanged (the spec's DNS passthrough). */
  dns?: { nameservers?: string[]; domain?: string; search?: string[]; options?: string[] };
  args?: Record<string, unknown>;
  runtimeConfig?: Record<string, unknown>;
  prevResult?: CniResult;
  'cni.dev/valid-attachments'?: { containerID: string; ifname: string }[];
}

export interface CniResult {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string; mtu?: number }[];
  ips?: { address: string; gateway?: string; interface?: number; version?: string }[];
  routes?: { dst: string; gw?: string; scope?: number }[];
  dns?: NetConf['dns'];
}

export interface Invocation {
  command: CniCommand;
  containerId: string;
  netns: string;
  ifname: string;
  /** CNI_ARGS as key/value pairs (K8S_POD_NAME=...;IgnoreUnknown=1). */
  args: Record<string, string>;
  conf: NetConf;
}

/** The VERSION answer (CNI spec 1.1, "VERSION": the versions this plugin speaks). */
export function versionResult(conf: Pick<NetConf, 'cniVersion'>) {
  return { cniVersion: conf.cniVersion || PLUGIN_VERSION, supportedVersions: [...SUPPORTED_VERSIONS] };
}

const COMMANDS: CniCommand[] = ['ADD', 'DEL', 'CHECK', 'VERSION', 'STATUS', 'GC'];

export function parseCniArgs(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? '').split(';')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CniError(CNI_ERR.INVALID_ENVIRONMENT, `CNI_ARGS entry "${pair}" is not KEY=VALUE`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** Compares dotted versions numerically: -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

export function parseInvocation(env: NodeJS.ProcessEnv, stdin: string): Invocation {
  const command = env.CNI_COMMAND as CniCommand | undefined;
  if (!command || !COMMANDS.includes(command)) {
    throw new CniError(
      CNI_ERR.INVALID_ENVIRONMENT,
      `CNI_COMMAND must be one of ${COMMANDS.join(', ')} (got "${command ?? ''}")`,
    );
  }
  let conf: NetConf;
  if (command === 'VERSION' && !stdin.trim()) {
    conf = { cniVersion: PLUGIN_VERSION, name: '', type: 'tsroute' };
  } else {
    try {
      conf = JSON.parse(stdin) as NetConf;
    } catch (err) {
      throw new CniError(
        CNI_ERR.DECODE_FAILURE,
        'the network configuration on stdin is not valid JSON',
        (err as Error).message,
      );
    }
    if (typeof conf !== 'object' || conf === null || Array.isArray(conf)) {
      throw new CniError(CNI_ERR.DECODE_FAILURE, 'the network configuration on stdin must be a JSON object');
    }
  }
  const version = conf.cniVersion ?? '';
  if (command !== 'VERSION' && !SUPPORTED_VERSIONS.includes(version as (typeof SUPPORTED_VERSIONS)[number])) {
    throw new CniError(
      CNI_ERR.INCOMPATIBLE_VERSION,
      `cniVersion "${version}" is not supported; use one of ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
  if ((command === 'STATUS' || command === 'GC') && compareVersions(version, '1.1.0') < 0) {
    throw new CniError(
      CNI_ERR.INCOMPATIBLE_VERSION,
      `${command} needs cniVersion 1.1.0 or newer (config says ${version})`,
    );
  }
  if (command !== 'VERSION' && (!conf.name || typeof conf.name !== 'string')) {
    throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, 'the network configuration has no "name"');
  }
  for (const key of ['pools'] as const) {
    if (conf[key] !== undefined && !(Array.isArray(conf[key]) && conf[key]!.every((p) => typeof p === 'string'))) {
      throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, `"${key}" must be a list of pool names`);
    }
  }
  if (conf.mtu !== undefined && !(Number.isInteger(conf.mtu) && conf.mtu >= 576 && conf.mtu <= 65535)) {
    throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, `"mtu" must be an integer from 576 to 65535 (got ${conf.mtu})`);
  }
  const args = parseCniArgs(env.CNI_ARGS);
  const inv: Invocation = {
    command,
    containerId: env.CNI_CONTAINERID ?? '',
    netns: env.CNI_NETNS ?? '',
    ifname: env.CNI_IFNAME ?? '',
    args,
    conf,
  };
  if (command === 'ADD' || command === 'CHECK' || command === 'DEL') {
    if (!inv.containerId) throw new CniError(CNI_ERR.INVALID_ENVIRONMENT, 'CNI_CONTAINERID is required');
    if (!inv.ifname) throw new CniError(CNI_ERR.INVALID_ENVIRONMENT, 'CNI_IFNAME is required');
    if (inv.ifname.length > 15 || /[/:\s]/.test(inv.ifname) || inv.ifname === '.' || inv.ifname === '..') {
      throw new CniError(CNI_ERR.INVALID_ENVIRONMENT, `CNI_IFNAME "${inv.ifname}" is not a valid interface name`);
    }
    if (command !== 'DEL' && !inv.netns) throw new CniError(CNI_ERR.INVALID_ENVIRONMENT, 'CNI_NETNS is required');
  }
  return inv;
}
