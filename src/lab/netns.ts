// One network namespace the harness created: run commands in it, start daemons in it, and read its
// kernel state (addresses, routes) as data.
import type { Daemon } from './daemon.js';
import { Daemon as DaemonClass } from './daemon.js';
import { type RunResult, run } from './exec.js';

/** A kernel route as `ip -j route` reports it (the fields the tests read). */
export interface KernelRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  type?: string;
  metric?: number;
  prefsrc?: string;
  nexthops?: { gateway?: string; dev?: string; weight?: number }[];
  flags?: string[];
}

export class Netns {
  constructor(
    /** The kernel name (`ip netns list`), carrying the run prefix. */
    readonly name: string,
    /** The short name the test gave it. */
    readonly label: string,
    private readonly logDir: string,
    private readonly onDaemon: (d: Daemon) => void,
  ) {}

  /** Path of the namespace file, for nsenter/setns and CNI_NETNS. */
  get path(): string {
    return `/run/netns/${this.name}`;
  }

  /** Runs argv inside the namespace (`ip netns exec`). */
  exec(argv: string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
    return run(['ip', 'netns', 'exec', this.name, ...argv], opts);
  }

  /** Runs `ip ARGS` against the namespace (`ip -n NAME ARGS`). */
  ip(...args: string[]): Promise<RunResult> {
    return run(['ip', '-n', this.name, ...args]);
  }

  /** Starts a long-running process inside the namespace; the lab stops it on destroy. */
  spawn(name: string, argv: string[], env?: NodeJS.ProcessEnv): Daemon {
    const daemon = DaemonClass.start(
      `${name}@${this.label}`,
      ['ip', 'netns', 'exec', this.name, ...argv],
      `${this.logDir}/${this.label}-${name}.log`,
      { env },
    );
    this.onDaemon(daemon);
    return daemon;
  }

  /** The kernel routes of one table (main by default), IPv4 or IPv6. */
  async routes(family: 4 | 6 = 4, table = 'main'): Promise<KernelRoute[]> {
    const { stdout } = await run(['ip', '-j', `-${family}`, '-n', this.name, 'route', 'show', 'table', table]);
    return stdout.trim() ? (JSON.parse(stdout) as KernelRoute[]) : [];
  }

  /** The route for exactly `prefix` (e.g. "10.100.1.0/26"), if the kernel has one. */
  async route(prefix: string, table = 'main'): Promise<KernelRoute | undefined> {
    const family = prefix.includes(':') ? 6 : 4;
    const bare = prefix.endsWith('/32') || prefix.endsWith('/128') ? prefix.split('/')[0] : prefix;
    return (await this.routes(family, table)).find((r) => r.dst === prefix || r.dst === bare);
  }

  /** Addresses on the namespace's links, as `ip -j addr` reports them. */
  async addresses(): Promise<{ ifname: string; addr_info: { local: string; prefixlen: number; family: string }[] }[]> {
    const { stdout } = await this.ip('-j', 'addr', 'show');
    return JSON.parse(stdout);
  }

  /** One ping round; true when a reply came back in time. */
  async ping(
    address: string,
    { count = 1, timeoutS = 1 }: { count?: number; timeoutS?: number } = {},
  ): Promise<boolean> {
    try {
      await this.exec(['ping', '-n', '-q', '-c', String(count), '-W', String(timeoutS), address], {
        timeoutMs: (timeoutS * count + 2) * 1000,
      });
      return true;
    } catch {
      return false;
    }
  }

  /** Sets a sysctl inside the namespace (e.g. net.ipv4.ip_forward=1). */
  async sysctl(key: string, value: string | number): Promise<void> {
    await this.exec(['sysctl', '-q', '-w', `${key}=${value}`]);
  }
}
