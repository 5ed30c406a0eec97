// A lab: the namespaces, links, daemons and temp files one test (or one lab run) makes, and the
// guarantee that all of them go away — on success, on failure, on SIGINT/SIGTERM and at exit.
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Daemon } from './daemon.js';
import { stopPid } from './daemon.js';
import { requireBinary, run, runSyncQuiet } from './exec.js';
import { Netns } from './netns.js';
import { RUN_PREFIX, uniqueName } from './run-prefix.js';

export interface LinkEnd {
  ns: Netns;
  /** Interface name inside the namespace (≤ 15 characters). */
  ifname: string;
  /** Addresses with prefix length, e.g. "10.99.0.1/30" or "fd00::1/64". */
  addresses: string[];
}

const liveLabs = new Set<Lab>();
let exitHooksInstalled = false;

/** Synchronous clean-up of every lab still alive: the last line of defence at exit or on a signal. */
function destroyAllSync(): void {
  for (const lab of liveLabs) lab.destroySync();
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.once('exit', destroyAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      destroyAllSync();
      process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const)[signal]);
    });
  }
}

export class Lab {
  readonly namespaces: Netns[] = [];
  private readonly daemons: Daemon[] = [];
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private destroyed = false;

  private constructor(
    /** Prefix of every namespace of this lab: `<run prefix>-<pid><n>-<label>`. */
    readonly id: string,
    /** A temp folder for configs, sockets and logs; removed on destroy. */
    readonly dir: string,
    /** Where the logs go when the lab is destroyed (a kept lab's log folder), if anywhere. */
    readonly keepLogsIn?: string,
  ) {}

  /**
   * A new, empty lab. `label` only makes names readable (a test title, a topology name).
   * With `keepLogsIn`, that path is a link to the live log folder while the lab runs, and a copy of
   * it after the lab is destroyed (so a user finds the logs at one path, during and after).
   */
  static async create(label: string, { keepLogsIn }: { keepLogsIn?: string } = {}): Promise<Lab> {
    requireBinary('ip');
    const id = uniqueName(label);
    const dir = mkdtempSync(join(tmpdir(), `${id}-`));
    mkdirSync(join(dir, 'logs'));
    const lab = new Lab(id, dir, keepLogsIn);
    if (keepLogsIn) {
      rmSync(keepLogsIn, { recursive: true, force: true });
      symlinkSync(lab.logDir, keepLogsIn);
    }
    liveLabs.add(lab);
    installExitHooks();
    return lab;
  }

  get logDir(): string {
    return join(this.dir, 'logs');
  }

  /** A new namespace with loopback up. Names inside it are the test's own. */
  async namespace(label: string, { forwarding = false }: { forwarding?: boolean } = {}): Promise<Netns> {
    this.assertAlive();
    const name = `${this.id}-${label}`;
    await run(['ip', 'netns', 'add', name]);
    const ns = new Netns(name, label, this.logDir, (d) => this.daemons.push(d));
    this.namespaces.push(ns);
    await ns.ip('link', 'set', 'lo', 'up');
    if (forwarding) {
      await ns.sysctl('net.ipv4.ip_forward', 1);
      await ns.sysctl('net.ipv6.conf.all.forwarding', 1);
    }
    return ns;
  }

  /**
   * A veth pair whose ends are created directly inside the two namespaces (never visible in the
   * host's namespace), with addresses and both ends up.
   */
  async link(
    a: Netns,
    aAddresses: string | string[],
    b: Netns,
    bAddresses: string | string[],
    { aIf = `eth-${b.label}`.slice(0, 15), bIf = `eth-${a.label}`.slice(0, 15) }: { aIf?: string; bIf?: string } = {},
  ): Promise<[LinkEnd, LinkEnd]> {
    this.assertAlive();
    await run(['ip', 'link', 'add', aIf, 'netns', a.name, 'type', 'veth', 'peer', 'name', bIf, 'netns', b.name]);
    const ends: [LinkEnd, LinkEnd] = [
      { ns: a, ifname: aIf, addresses: [aAddresses].flat() },
      { ns: b, ifname: bIf, addresses: [bAddresses].flat() },
    ];
    for (const end of ends) {
      for (const address of end.addresses) {
        // nodad: an IPv6 address is usable at once instead of after duplicate detection (~1 s).
        const extra = address.includes(':') ? ['nodad'] : [];
        await end.ns.ip('addr', 'add', address, 'dev', end.ifname, ...extra);
      }
      await end.ns.ip('link', 'set', end.ifname, 'up');
    }
    return ends;
  }

  /** A Linux bridge inside `ns` (a layer-2 segment: the "switch" of a mesh topology). */
  async bridge(ns: Netns, name: string): Promise<string> {
    await ns.ip('link', 'add', name, 'type', 'bridge');
    await ns.ip('link', 'set', name, 'up');
    return name;
  }

  /** Runs `fn` on destroy, before the namespaces go (last registered runs first). */
  onDestroy(fn: () => Promise<void> | void): void {
    this.cleanups.push(fn);
  }

  /** Tracks a daemon started outside Netns.spawn (e.g. etcd in the host namespace). */
  adopt(daemon: Daemon): void {
    this.daemons.push(daemon);
  }

  /** A path inside the lab's temp folder. */
  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Stops every daemon, runs clean-ups, deletes namespaces (and any process left in them), removes the folder. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const errors: unknown[] = [];
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    }
    await Promise.all(this.daemons.map((d) => d.stop().catch((err) => errors.push(err))));
    for (const ns of this.namespaces.reverse()) {
      try {
        // Processes still inside a namespace this lab made are this lab's (daemonized FRR, a test's child).
        const { stdout } = await run(['ip', 'netns', 'pids', ns.name]);
        await Promise.all(
          stdout
            .split(/\s+/)
            .filter(Boolean)
            .map((pid) => stopPid(Number(pid), 2_000)),
        );
        await run(['ip', 'netns', 'del', ns.name]);
      } catch (err) {
        errors.push(err);
      }
    }
    liveLabs.delete(this);
    try {
      this.keepLogs();
    } catch (err) {
      errors.push(err);
    }
    if (!process.env.TSROUTE_KEEP_LAB_DIR) rmSync(this.dir, { recursive: true, force: true });
    if (errors.length) throw new AggregateError(errors, `lab ${this.id}: ${errors.length} clean-up step(s) failed`);
  }

  /** The same, synchronously and best-effort: for exit and signal handlers. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const d of this.daemons) if (d.running && d.pid > 0) killQuiet(d.pid);
    for (const ns of this.namespaces) {
      for (const pid of runSyncQuiet(['ip', 'netns', 'pids', ns.name]).split(/\s+/).filter(Boolean))
        killQuiet(Number(pid));
      runSyncQuiet(['ip', 'netns', 'del', ns.name]);
    }
    liveLabs.delete(this);
    try {
      this.keepLogs();
    } catch {
      // best effort at exit
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Replaces the link at `keepLogsIn` with a copy of the log folder, before the folder goes. */
  private keepLogs(): void {
    if (!this.keepLogsIn) return;
    rmSync(this.keepLogsIn, { recursive: true, force: true });
    cpSync(this.logDir, this.keepLogsIn, { recursive: true });
  }

  private assertAlive(): void {
    if (this.destroyed) throw new Error(`lab ${this.id} is already destroyed`);
  }
}

function killQuiet(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/**
 * Removes the leftovers of one run — namespaces and temp folders whose names start with
 * `<prefix>-` — and nothing else. Used by the test driver after the suite, and by hand after a crash.
 */
export async function sweepRun(prefix: string = RUN_PREFIX): Promise<string[]> {
  if (!/^tsr[a-z0-9]+$/.test(prefix)) throw new Error(`refusing to sweep with prefix "${prefix}"`);
  const removed: string[] = [];
  const { stdout } = await run(['ip', 'netns', 'list']);
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0];
    if (!name?.startsWith(`${prefix}-`)) continue;
    const pids = (await run(['ip', 'netns', 'pids', name])).stdout.split(/\s+/).filter(Boolean);
    await Promise.all(pids.map((pid) => stopPid(Number(pid), 1_000)));
    await run(['ip', 'netns', 'del', name]);
    removed.push(name);
  }
  const { readdirSync } = await import('node:fs');
  for (const entry of readdirSync(tmpdir())) {
    if (entry.startsWith(`${prefix}-`)) {
      rmSync(join(tmpdir(), entry), { recursive: true, force: true });
      removed.push(join(tmpdir(), entry));
    }
  }
  return removed;
}
