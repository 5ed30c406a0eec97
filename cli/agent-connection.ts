// How CLI commands that talk to the local agent find it: --api-socket, then TSROUTE_API_SOCKET,
// then the default path. Commands that use it add the option through `withApiSocket`.
import type { Command } from 'commander';
import { AgentClient } from '../src/api/client.js';
import { DEFAULT_API_SOCKET } from '../src/api/types.js';

export function withApiSocket(cmd: Command): Command {
  return cmd.option('--api-socket <path>', `agent API socket (env TSROUTE_API_SOCKET, default ${DEFAULT_API_SOCKET})`);
}

export function agentClient(opts: { apiSocket?: string }, timeoutMs?: number): AgentClient {
  return new AgentClient(opts.apiSocket || process.env.TSROUTE_API_SOCKET || DEFAULT_API_SOCKET, timeoutMs);
}

/** Runs `fn` with a client and always closes it, so the CLI process can exit promptly. */
export async function withAgent<T>(
  opts: { apiSocket?: string },
  fn: (client: AgentClient) => Promise<T>,
  timeoutMs?: number,
): Promise<T> {
  const client = agentClient(opts, timeoutMs);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
