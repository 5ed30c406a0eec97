// SIGHUP: read the config file again and apply what can change in a running agent. Today that is the
// log level; every other setting is wired into a connection, a socket or a timer at start, so a
// change to it is reported as waiting for a restart rather than half-applied. A file that no longer
// resolves (bad value, unknown key, unreadable) is reported and the agent runs on unchanged.
import type { AgentConfig, AgentFlags } from './config.js';
import { resolveWithFile } from './config-file.js';
import type { Logger } from './logger.js';

/** Settings a SIGHUP applies at once. */
export const LIVE_SETTINGS: readonly (keyof AgentConfig)[] = ['logLevel'];

export interface ReloadResult {
  /** Settings whose new value is now in effect. */
  applied: (keyof AgentConfig)[];
  /** Settings whose value in the file differs from the running one, in effect after a restart. */
  needRestart: (keyof AgentConfig)[];
}

/** Which settings differ between the running config and the newly read one. */
export function changedSettings(running: AgentConfig, next: AgentConfig): (keyof AgentConfig)[] {
  const keys = new Set([...Object.keys(running), ...Object.keys(next)] as (keyof AgentConfig)[]);
  return [...keys].filter((k) => JSON.stringify(running[k]) !== JSON.stringify(next[k]));
}

/**
 * Re-resolves the settings (flags > environment > file > defaults, as at start) and applies the
 * live ones to `running` and the logger. Throws a ConfigError when the file is not valid.
 */
export function reloadConfig(
  running: AgentConfig,
  flags: AgentFlags,
  file: string | undefined,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): ReloadResult {
  const next = resolveWithFile(flags, file, env);
  const changed = changedSettings(running, next);
  const applied = changed.filter((k) => LIVE_SETTINGS.includes(k));
  const needRestart = changed.filter((k) => !LIVE_SETTINGS.includes(k));
  if (applied.includes('logLevel')) {
    running.logLevel = next.logLevel;
    log.level = next.logLevel; // pino children follow their root's level unless they set their own
  }
  return { applied, needRestart };
}
