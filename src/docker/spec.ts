// Registration with Docker: a spec file /etc/docker/plugins/NAME.spec holding the socket's URL.
// dockerd reads it when a network names the driver NAME, so the plugin can start before or after
// dockerd. (/run/docker/plugins is searched only for NAME.sock files, not specs.)
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DOCKER_PLUGIN_SPEC_DIR = '/etc/docker/plugins';

/** Docker plugin names: what `-d NAME` accepts and what a file name can hold. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function specPath(name: string, dir = DOCKER_PLUGIN_SPEC_DIR): string {
  if (!NAME.test(name)) throw new Error(`"${name}" is not a valid Docker plugin name`);
  return join(dir, `${name}.spec`);
}

/** Writes NAME.spec pointing at the socket; returns its path. */
export function writeSpec(name: string, socketPath: string, dir = DOCKER_PLUGIN_SPEC_DIR): string {
  const path = specPath(name, dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, `unix://${socketPath}\n`);
  return path;
}

/** Removes NAME.spec, but only if it still points at our socket (another plugin may have taken the name). */
export function removeSpec(name: string, socketPath: string, dir = DOCKER_PLUGIN_SPEC_DIR): void {
  const path = specPath(name, dir);
  if (!existsSync(path)) return;
  if (readFileSync(path, 'utf8').trim() === `unix://${socketPath}`) unlinkSync(path);
}
