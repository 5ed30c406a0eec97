#!/usr/bin/env node
// The `tsroute` CNI plugin executable: reads the invocation, runs it against the local agent,
// prints the result or the CNI error JSON, and exits 0 or 1 as the spec asks.
import type { AgentClient } from '../api/client.js';
import { DEFAULT_API_SOCKET } from '../api/types.js';
import { type Invocation, PLUGIN_VERSION, parseInvocation, versionResult } from './config.js';
import { CNI_ERR, CniError } from './errors.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

let inv: Invocation | undefined;
let client: AgentClient | undefined;
try {
  inv = parseInvocation(process.env, await readStdin());
  let out: object | undefined;
  if (inv.command === 'VERSION') {
    // Runtimes ask VERSION before every ADD: answered without loading gRPC (~100 ms per start).
    out = versionResult(inv.conf);
  } else {
    const [{ AgentClient }, { runCni }] = await Promise.all([import('../api/client.js'), import('./plugin.js')]);
    const socket = process.env.TSROUTE_API_SOCKET || inv.conf.agentSocket || DEFAULT_API_SOCKET;
    out = await runCni(inv, () => {
      client = new AgentClient(socket, 60_000);
      return client;
    });
  }
  if (out) process.stdout.write(`${JSON.stringify(out)}\n`);
} catch (err) {
  const cniErr =
    err instanceof CniError ? err : new CniError(CNI_ERR.IO_FAILURE, (err as Error).message ?? String(err));
  process.stdout.write(`${JSON.stringify(cniErr.toJSON(inv?.conf.cniVersion || PLUGIN_VERSION))}\n`);
  process.exitCode = 1;
} finally {
  client?.close();
}
