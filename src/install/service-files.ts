// `tsroute node install-service`: writes the systemd unit shipped in packaging/ with ExecStart naming
// this installation (the Node binary running now and the package's compiled CLI), and an example
// config file where none exists yet. An existing config is never touched: it is the admin's.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const UNIT_PATH = '/etc/systemd/system/tsroute-node.service';
export const CONFIG_PATH = '/etc/tsroute/node.yaml';

/** packaging/ and dist/cli/main.js, from the sources (tsx) or from dist/. */
function packageFile(...candidates: string[]): string {
  for (const rel of candidates) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`${candidates[0]} is not in this installation (is the package installed whole, or built?)`);
}

export function packagingFile(name: string): string {
  return packageFile(`../../packaging/${name}`, `../../../packaging/${name}`);
}

/** The compiled CLI systemd should start (never the TypeScript sources). */
export function compiledCli(): string {
  return packageFile('../../cli/main.js', '../../dist/cli/main.js');
}

/**
 * The unit text with ExecStart set to `node main.js node run --config FILE` and Documentation to
 * this installation's docs/operations.md.
 */
export function renderUnit(template: string, nodeBinary: string, cli: string, configPath: string): string {
  const exec = `ExecStart=${nodeBinary} ${cli} node run --config ${configPath}`;
  if (!/^ExecStart=.*$/m.test(template)) throw new Error('the unit template has no ExecStart line');
  const docs = join(dirname(cli), '..', '..', 'docs', 'operations.md');
  return template.replace(/^ExecStart=.*$/m, exec).replace(/^Documentation=.*$/m, `Documentation=file:${docs}`);
}

export interface InstallResult {
  unit: string;
  config: string;
  configWritten: boolean;
}

function writeAtomically(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tsroute-tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

/** Writes the unit (always: it is generated) and the example config (only when absent) under `root`. */
export function installService(root: string, configPath = CONFIG_PATH): InstallResult {
  if (!configPath.startsWith('/')) throw new Error(`--config must be an absolute path, got "${configPath}"`);
  const unit = join(root, UNIT_PATH);
  const config = join(root, configPath);
  writeAtomically(
    unit,
    renderUnit(
      readFileSync(packagingFile('tsroute-node.service'), 'utf8'),
      process.execPath,
      compiledCli(),
      configPath,
    ),
    0o644,
  );
  const configWritten = !existsSync(config);
  // 0600: the file may name client keys and, later, peer passwords.
  if (configWritten) writeAtomically(config, readFileSync(packagingFile('node.yaml'), 'utf8'), 0o600);
  return { unit, config, configWritten };
}
