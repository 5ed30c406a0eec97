// A real `tsroute node run` inside a lab namespace, for tests, benchmarks and the lab runner.
// It reaches etcd through the etcd's unix socket (no route out of the namespace needed) and serves
// its API on a socket in the lab's folder, so a test talks to each host's agent like the CLI would.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../api/client.js';
import type { Status } from '../api/types.js';
import { BUILT_CLI, builtCliProblem } from './built-cli.js';
import type { Daemon } from './daemon.js';
import type { Etcd } from './etcd.js';
import { CommandError, type RunResult, run } from './exec.js';
import type { Lab } from './lab.js';
import type { Netns } from './netns.js';
import { waitFor } from './wait.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * argv that runs the `tsroute` CLI: the compiled bin when TSROUTE_TEST_DIST=1 (scripts/test.sh sets
 * it after building) or when the build is newer than every source, else the TypeScript sources
 * through tsx, so a test never runs a stale build (and pays tsx's start-up only when it must).
 */
export function tsrouteArgv(): string[] {
  const dist = join(repoRoot, 'dist', 'cli', 'main.js');
  if (process.env.TSROUTE_TEST_DIST === '1' && existsSync(dist)) return [process.execPath, dist];
  if (repoRoot.endsWith('dist')) return [process.execPath, join(repoRoot, 'cli', 'main.js')];
  if (!builtCliProblem()) return [process.execPath, BUILT_CLI];
  return [process.execPath, '--import', 'tsx', join(repoRoot, 'cli', 'main.ts')];
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Awaits a command and returns its exit code and output instead of rejecting on a non-zero exit. */
export async function outcome(p: Promise<RunResult>): Promise<CliResult> {
  try {
    const r = await p;
    return { code: 0, ...r };
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Runs the `tsroute` CLI in the root namespace and returns its exit code and output. */
export function tsroute(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return outcome(
    run([...tsrouteArgv(), ...args], {
      env: { ...process.env, ...opts.env },
      input: opts.input,
      timeoutMs: opts.timeoutMs ?? 60_000,
    }),
  );
}

/**
 * How an agent's Node runs, as packaging/tsroute-node.service runs it: V8's young generation capped at
 * 2 MB semi-spaces and two malloc arenas, which took ~20 MB off an idle agent's RSS (docs/agent.md,
 * "Idle"). TSROUTE_AGENT_NODE_FLAGS replaces the flags (`''` for Node's defaults, to compare).
 */
const AGENT_NODE_FLAGS = (process.env.TSROUTE_AGENT_NODE_FLAGS ?? '--max-semi-space-size=2')
  .split(/\s+/)
  .filter(Boolean);
const AGENT_ENV = { MALLOC_ARENA_MAX: '2' };

export interface AgentOptions {
  name: string;
  etcd: Etcd;
  bgpAddress?: string;
  bgpAddress6?: string;
  as?: number;
  labels?: Record<string, string>;
  logLevel?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the API (default 60 s; a lab starting six agents at once on a loaded machine needs more). */
  startTimeoutMs?: number;
}

export class LabAgent {
  daemon!: Daemon;
  readonly client: AgentClient;

  constructor(
    readonly lab: Lab,
    readonly ns: Netns,
    readonly opts: AgentOptions,
    readonly apiSocket: string,
  ) {
    this.client = new AgentClient(apiSocket, 10_000);
    lab.onDestroy(() => this.client.close());
  }

  private argv(): string[] {
    const o = this.opts;
    const [node, ...cli] = tsrouteArgv();
    const args = [
      node!,
      ...AGENT_NODE_FLAGS,
      ...cli,
      'node',
      'run',
      '--name',
      o.name,
      '--etcd-endpoints',
      o.etcd.socketEndpoint,
      '--api-socket',
      this.apiSocket,
      '--log-level',
      o.logLevel ?? 'debug',
      '--resync-interval',
      '5s',
    ];
    if (o.bgpAddress) args.push('--bgp-address', o.bgpAddress);
    if (o.bgpAddress6) args.push('--bgp-address6', o.bgpAddress6);
    if (o.as) args.push('--as', String(o.as));
    for (const [k, v] of Object.entries(o.labels ?? {})) args.push('--label', `${k}=${v}`);
    args.push(...(o.extraArgs ?? []));
    return args;
  }

  /** Starts the agent and waits until its API answers. */
  async start(): Promise<this> {
    this.daemon = this.ns.spawn(`agent-${this.opts.name}`, this.argv(), {
      ...AGENT_ENV,
      ...process.env,
      ...this.opts.env,
    });
    await waitFor(
      `agent ${this.opts.name} to serve its API`,
      async () => {
        this.daemon.assertRunning();
        if (!existsSync(this.apiSocket)) return false;
        try {
          await this.client.getStatus(1000);
          return true;
        } catch {
          return false;
        }
      },
      // generous: on a loaded 2-core machine a Node process can take seconds to start
      { timeoutMs: this.opts.startTimeoutMs ?? 60_000, intervalMs: 100 },
    );
    return this;
  }

  status(): Promise<Status> {
    return this.client.getStatus(5000);
  }

  /** Stops the agent gracefully (SIGTERM): it withdraws nothing and leaves the dataplane as it is. */
  async stop(): Promise<void> {
    await this.daemon.stop();
  }

  /** SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    await this.daemon.stop(0);
  }

  /** The `tsroute` CLI against this agent's API socket (run in the agent's namespace). */
  cli(args: string[]): Promise<CliResult> {
    return outcome(
      this.ns.exec([...tsrouteArgv(), ...args], {
        env: {
          ...process.env,
          TSROUTE_API_SOCKET: this.apiSocket,
          TSROUTE_ETCD_ENDPOINTS: this.opts.etcd.socketEndpoint,
        },
      }),
    );
  }
}

/** Starts `tsroute node run` in `ns`; the lab stops it when destroyed. */
export async function startAgent(lab: Lab, ns: Netns, opts: AgentOptions): Promise<LabAgent> {
  const agent = new LabAgent(lab, ns, opts, lab.path(`agent-${opts.name}.sock`));
  return agent.start();
}
