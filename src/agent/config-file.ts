// The agent's config file (`tsroute node run --config /etc/tsroute/node.yaml`): a YAML map whose keys
// are the flags of `node run` without the leading "--" (plus `labels` as a map). It is turned into
// the TSROUTE_* environment names the flags already fall back to, laid under the real environment,
// so one resolver (config.ts) gives the precedence flags > environment > file > defaults.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { type AgentConfig, ConfigError, resolveAgentConfig } from './config.js';

/** File key → the environment variable that carries the same setting. */
export const FILE_KEYS: Readonly<Record<string, string>> = {
  name: 'TSROUTE_NODE_NAME',
  'etcd-endpoints': 'TSROUTE_ETCD_ENDPOINTS',
  'etcd-ca': 'TSROUTE_ETCD_CA',
  'etcd-cert': 'TSROUTE_ETCD_CERT',
  'etcd-key': 'TSROUTE_ETCD_KEY',
  'bgp-address': 'TSROUTE_BGP_ADDRESS',
  'bgp-address6': 'TSROUTE_BGP_ADDRESS6',
  as: 'TSROUTE_AS',
  labels: 'TSROUTE_NODE_LABELS',
  'api-socket': 'TSROUTE_API_SOCKET',
  'metrics-port': 'TSROUTE_METRICS_PORT',
  'metrics-host': 'TSROUTE_METRICS_HOST',
  'log-level': 'TSROUTE_LOG_LEVEL',
  'resync-interval': 'TSROUTE_RESYNC_INTERVAL',
  'empty-block-grace': 'TSROUTE_EMPTY_BLOCK_GRACE',
  'status-interval': 'TSROUTE_STATUS_INTERVAL',
  'status-ttl': 'TSROUTE_STATUS_TTL',
  'leak-grace': 'TSROUTE_LEAK_GRACE',
  'leak-check-interval': 'TSROUTE_LEAK_CHECK_INTERVAL',
};

/** "etcdEndpoints" → "etcd-endpoints", for the hint on a camelCase key. */
function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/_/g, '-');
}

function scalar(path: string, key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new ConfigError(`${path}: "${key}" must be a single value, got ${JSON.stringify(value)}`);
}

/** Converts one value of the file into the text its environment variable would hold. */
function envText(path: string, key: string, value: unknown): string {
  if (key === 'etcd-endpoints' && Array.isArray(value)) return value.map((v) => scalar(path, key, v)).join(',');
  if (key === 'labels') {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new ConfigError(`${path}: "labels" must be a map of key: value`);
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => {
        const text = scalar(path, `labels.${k}`, v);
        if (/[,=]/.test(k) || /[,=]/.test(text))
          throw new ConfigError(`${path}: label "${k}: ${text}" must not contain "," or "="`);
        return `${k}=${text}`;
      })
      .join(',');
  }
  return scalar(path, key, value);
}

/**
 * Reads the file into TSROUTE_* variables. Unknown keys, wrong shapes and values the agent would
 * refuse are one error naming the file and the key; nothing is half-applied.
 */
export function readConfigFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the config file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(`${path}: must be a map of settings (key: value), see docs/operations.md`);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const name = FILE_KEYS[key];
    if (!name) {
      const hint = FILE_KEYS[kebab(key)] ? ` (did you mean "${kebab(key)}"?)` : '';
      throw new ConfigError(`${path}: unknown key "${key}"${hint}; known keys: ${Object.keys(FILE_KEYS).join(', ')}`);
    }
    if (value === null || value === undefined) continue; // "key:" with nothing is the default
    env[name] = envText(path, key, value);
  }
  // The file's values on their own (a placeholder name where the file gives none, so that this
  // host's name does not decide whether the file is valid), so an error names the file.
  try {
    resolveAgentConfig({}, { TSROUTE_NODE_NAME: 'config-check', ...env });
  } catch (err) {
    const message = (err as Error).message.replace(/--([a-z0-9-]+)/g, '"$1"').replace(/TSROUTE_[A-Z_]+/g, (v) => {
      const key = Object.keys(FILE_KEYS).find((k) => FILE_KEYS[k] === v);
      return key ? `"${key}"` : v;
    });
    throw new ConfigError(`${path}: ${message}`);
  }
  return env;
}

/** The agent's settings from flags, then the environment, then the file (when given), then defaults. */
export function resolveWithFile(
  flags: Parameters<typeof resolveAgentConfig>[0],
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): AgentConfig {
  if (file === undefined) return resolveAgentConfig(flags, env);
  const setEnv = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  return resolveAgentConfig(flags, { ...readConfigFile(file), ...setEnv });
}
