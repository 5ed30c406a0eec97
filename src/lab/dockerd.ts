// A real dockerd (Debian's docker.io, 20.10) for one lab: started inside a lab namespace with
// `nsenter --net` (its firewall rules and links stay there; `ip netns exec` would break its cgroup
// mount), with its own data root, exec root, socket and managed containerd, and stopped by PID.
// Driven with /usr/bin/docker (the Debian client), never a newer `docker` first on PATH.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { busyboxRootfsTar } from './busybox-image.js';
import { Daemon } from './daemon.js';
import { type RunResult, requireBinary, run } from './exec.js';
import type { Lab } from './lab.js';
import type { Netns } from './netns.js';
import { waitFor } from './wait.js';

export const DOCKER_CLIENT = '/usr/bin/docker';
export const DOCKERD = '/usr/sbin/dockerd';

function requireDocker(): void {
  for (const path of [DOCKER_CLIENT, DOCKERD]) {
    if (!existsSync(path)) throw new Error(`${path} is not installed: run "apt-get install -y docker.io"`);
  }
  requireBinary('nsenter');
}

export class Dockerd {
  private constructor(
    readonly ns: Netns,
    readonly daemon: Daemon,
    /** The daemon's API socket (unix path). */
    readonly socket: string,
    private readonly dir: string,
  ) {}

  /** Starts dockerd in `ns`; resolves once it answers. The lab removes its containers and stops it. */
  static async start(lab: Lab, ns: Netns, { name = 'dockerd' }: { name?: string } = {}): Promise<Dockerd> {
    requireDocker();
    const dir = lab.path(name);
    mkdirSync(dir, { recursive: true });
    const socket = `${dir}/docker.sock`;
    // An empty daemon.json of our own: whatever /etc/docker/daemon.json says does not leak in.
    writeFileSync(`${dir}/daemon.json`, '{}\n');
    const argv = [
      'nsenter',
      `--net=${ns.path}`,
      DOCKERD,
      '--config-file',
      `${dir}/daemon.json`,
      '--data-root',
      `${dir}/data`,
      '--exec-root',
      `${dir}/exec`,
      '--pidfile',
      `${dir}/docker.pid`,
      '-H',
      `unix://${socket}`,
      // vfs: plain directories, so no overlay mounts outlive the lab's folder.
      '--storage-driver',
      'vfs',
      // No docker0 and no NAT: the lab's containers use the network under test.
      '--bridge',
      'none',
      '--ip-masq=false',
      '--userland-proxy=false',
    ];
    const daemon = Daemon.start(`${name}@${ns.label}`, argv, `${lab.logDir}/${ns.label}-${name}.log`);
    lab.adopt(daemon);
    const dockerd = new Dockerd(ns, daemon, socket, dir);
    // Registered before waiting, so a daemon that never came up is still stopped.
    lab.onDestroy(() => dockerd.stop());
    await waitFor(
      `${name} in ${ns.label} to answer on ${socket}`,
      async () => {
        daemon.assertRunning();
        await dockerd.docker('version', '--format', '{{.Server.Version}}');
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    return dockerd;
  }

  /** Runs the Debian docker client against this daemon. */
  docker(...args: string[]): Promise<RunResult> {
    return run([DOCKER_CLIENT, '-H', `unix://${this.socket}`, ...args], { timeoutMs: 60_000 });
  }

  /** Imports the busybox rootfs as image `tag` (once per daemon); returns the tag. */
  async importBusybox(tag = 'tsroute/busybox:lab'): Promise<string> {
    const { stdout } = await this.docker('images', '-q', tag);
    if (!stdout.trim()) await this.docker('import', await busyboxRootfsTar(), tag);
    return tag;
  }

  /** Removes every container of this daemon, then stops it by PID (containerd goes with it). */
  async stop(): Promise<void> {
    if (!this.daemon.running) return;
    try {
      const { stdout } = await this.docker('ps', '-aq');
      const ids = stdout.split('\n').filter(Boolean);
      if (ids.length) await this.docker('rm', '-f', ...ids);
    } catch {
      // the daemon is not answering: stopping it is all that is left
    }
    // dockerd waits for its managed containerd on SIGTERM; give it time before SIGKILL.
    await this.daemon.stop(15_000);
  }

  get dataDir(): string {
    return this.dir;
  }
}
