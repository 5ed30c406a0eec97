// Real podman (Debian's 4.3, CNI backend) for one lab: its own containers.conf, storage, run and
// lock folders, run inside a lab namespace (`nsenter --net`, so the CNI plugins' host-side links and
// rules land there), with CNI configs and plugin folders the test chooses.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxRootfsTar } from './busybox-image.js';
import { type RunResult, requireBinary, run } from './exec.js';
import type { Lab } from './lab.js';
import type { Netns } from './netns.js';
import { RUN_PREFIX } from './run-prefix.js';

export const PODMAN = '/usr/bin/podman';
/** Where Debian's containernetworking-plugins (bridge, host-local, loopback ...) live. */
export const STANDARD_CNI_DIR = '/usr/lib/cni';

export interface ContainersConfOptions {
  cniConfigDir: string;
  cniPluginDirs: string[];
  tmpDir: string;
  eventsLog: string;
}

/**
 * containers.conf for this machine (see LAB-NOTES "Container runtimes"): root lacks
 * CAP_SYS_RESOURCE and the nofile hard limit is 20000, so podman's default ulimits make the OCI
 * runtime fail; crun refuses the hybrid cgroup setup, runc works; CNI rather than netavark.
 */
export function containersConf(o: ContainersConfOptions): string {
  const list = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
  return `[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[network]
network_backend = "cni"
network_config_dir = ${JSON.stringify(o.cniConfigDir)}
cni_plugin_dirs = ${list(o.cniPluginDirs)}

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = ${JSON.stringify(o.eventsLog)}
tmp_dir = ${JSON.stringify(o.tmpDir)}
# Lock files in tmp_dir instead of the machine-wide /libpod_lock shared memory segment.
lock_type = "file"
`;
}

/**
 * Writes an executable `name` into `dir` that runs tsroute's CNI plugin: the compiled bin
 * (dist/src/cni/main.js) when `compiled` and it exists, otherwise the TypeScript sources through tsx.
 * Returns which one it used.
 */
export function installCniPlugin(
  dir: string,
  { name = 'tsroute', compiled = false }: { name?: string; compiled?: boolean } = {},
): { path: string; entry: string; compiled: boolean } {
  mkdirSync(dir, { recursive: true });
  const dist = fileURLToPath(new URL('../../dist/src/cni/main.js', import.meta.url));
  const distFromDist = fileURLToPath(new URL('../cni/main.js', import.meta.url)); // when this file runs from dist/
  const source = fileURLToPath(new URL('../cni/main.ts', import.meta.url));
  const builtEntry = [dist, distFromDist].find((p) => p.endsWith('.js') && existsSync(p));
  const useBuilt = (compiled || !existsSync(source)) && builtEntry !== undefined;
  const entry = useBuilt ? builtEntry! : source;
  // An absolute loader path: runtimes start plugins from any working directory.
  const loader = useBuilt ? '' : ` --import ${import.meta.resolve('tsx')}`;
  const path = `${dir}/${name}`;
  writeFileSync(path, `#!/bin/sh\nexec ${process.execPath}${loader} ${entry} "$@"\n`, { mode: 0o755 });
  return { path, entry, compiled: useBuilt };
}

export class Podman {
  private constructor(
    readonly ns: Netns,
    readonly dir: string,
    /** Where network configs (.conflist) go; `addNetwork` writes them. */
    readonly cniConfigDir: string,
    /** podman refuses a run root longer than 50 characters: a short folder under the run prefix. */
    private readonly runRoot: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /**
   * A podman whose containers get their networks from inside `ns`. `cniPluginDirs` are searched
   * first, then Debian's standard plugins. The lab removes its containers on destroy.
   */
  static async create(
    lab: Lab,
    ns: Netns,
    { name = 'podman', cniPluginDirs = [] }: { name?: string; cniPluginDirs?: string[] } = {},
  ): Promise<Podman> {
    if (!existsSync(PODMAN)) throw new Error(`${PODMAN} is not installed: run "apt-get install -y podman runc"`);
    if (!existsSync(`${STANDARD_CNI_DIR}/loopback`)) {
      throw new Error(`CNI plugins are not installed: run "apt-get install -y containernetworking-plugins"`);
    }
    requireBinary('runc');
    requireBinary('nsenter');
    const dir = lab.path(name);
    const cniConfigDir = `${dir}/cni`;
    for (const d of [dir, cniConfigDir, `${dir}/tmp`]) mkdirSync(d, { recursive: true });
    const conf = `${dir}/containers.conf`;
    writeFileSync(
      conf,
      containersConf({
        cniConfigDir,
        cniPluginDirs: [...cniPluginDirs, STANDARD_CNI_DIR],
        tmpDir: `${dir}/tmp`,
        eventsLog: `${dir}/events.log`,
      }),
    );
    const runRoot = mkdtempSync(join(tmpdir(), `${RUN_PREFIX}-pr-`));
    const podman = new Podman(ns, dir, cniConfigDir, runRoot, { ...process.env, CONTAINERS_CONF: conf });
    lab.onDestroy(async () => {
      await podman.removeAll();
      rmSync(runRoot, { recursive: true, force: true });
    });
    return podman;
  }

  /** Writes a CNI network configuration list; `podman run --network NAME` then uses it. */
  addNetwork(conflist: { name: string } & Record<string, unknown>): string {
    const path = `${this.cniConfigDir}/${conflist.name}.conflist`;
    writeFileSync(path, `${JSON.stringify(conflist, null, 2)}\n`);
    return path;
  }

  /** The command line that runs this podman (its namespace, storage, run root); CONTAINERS_CONF in `env`. */
  get argv(): string[] {
    return [
      'nsenter',
      `--net=${this.ns.path}`,
      PODMAN,
      '--root',
      `${this.dir}/storage`,
      '--runroot',
      this.runRoot,
      // vfs: plain directories, so no overlay mounts outlive the lab's folder.
      '--storage-driver',
      'vfs',
    ];
  }

  get containersConf(): string {
    return this.env.CONTAINERS_CONF!;
  }

  /** Runs `podman ARGS` with this lab's configuration, storage and namespace. */
  podman(...args: string[]): Promise<RunResult> {
    return run([...this.argv, ...args], { env: this.env, timeoutMs: 60_000 });
  }

  /** Imports the busybox rootfs as image `tag` (once per lab); returns the tag. */
  async importBusybox(tag = 'localhost/tsroute/busybox:lab'): Promise<string> {
    const { stdout } = await this.podman('images', '-q', tag);
    if (!stdout.trim()) await this.podman('import', await busyboxRootfsTar(), tag);
    return tag;
  }

  /** Removes every container of this podman (their CNI DELs run), quietly. */
  async removeAll(): Promise<void> {
    await this.podman('rm', '--all', '--force', '--time', '0').catch(() => undefined);
  }
}
