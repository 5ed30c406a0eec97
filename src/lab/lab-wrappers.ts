// The per-node command folder of a kept lab: small shell wrappers that `tsroute lab exec` puts first
// on PATH, so inside a node `tsroute` runs this checkout's CLI against that node's agent and etcd,
// and `vtysh` / `birdc` reach that node's router without the socket flags a lab needs (each router
// of a lab has its own sockets, not the distribution's default paths).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tsrouteArgv } from './agent.js';
import { requireBinary } from './exec.js';

/** What one node's wrappers point at. */
export interface NodeTools {
  /** The node's agent API socket (hosts only). */
  apiSocket?: string;
  /** etcd as reachable from inside any namespace (its unix socket endpoint). */
  etcdEndpoint?: string;
  /** FRR's vty socket folder (FRR nodes only). */
  vtyDir?: string;
  /** BIRD's control socket (BIRD nodes only). */
  birdSocket?: string;
}

/** Single-quotes a word for sh. */
export function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function script(lines: string[]): string {
  return `#!/bin/sh\n# written by tsroute lab up; removed by tsroute lab down\n${lines.join('\n')}\n`;
}

/** Writes the wrappers of one node into `binDir` (created) and returns the names written. */
export function writeNodeWrappers(binDir: string, tools: NodeTools): string[] {
  mkdirSync(binDir, { recursive: true });
  const files: Record<string, string> = {};
  // A variable already set by the caller wins, so `TSROUTE_API_SOCKET=… tsroute …` still works.
  const env: string[] = [];
  if (tools.apiSocket) env.push(`export TSROUTE_API_SOCKET="\${TSROUTE_API_SOCKET:-${tools.apiSocket}}"`);
  if (tools.etcdEndpoint) env.push(`export TSROUTE_ETCD_ENDPOINTS="\${TSROUTE_ETCD_ENDPOINTS:-${tools.etcdEndpoint}}"`);
  files.tsroute = script([...env, `exec ${tsrouteArgv().map(shQuote).join(' ')} "$@"`]);
  if (tools.vtyDir)
    files.vtysh = script([`exec ${shQuote(requireBinary('vtysh'))} --vty_socket ${shQuote(tools.vtyDir)} "$@"`]);
  if (tools.birdSocket)
    files.birdc = script([`exec ${shQuote(requireBinary('birdc'))} -s ${shQuote(tools.birdSocket)} "$@"`]);
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(binDir, name), text);
    chmodSync(join(binDir, name), 0o755);
  }
  return Object.keys(files);
}
