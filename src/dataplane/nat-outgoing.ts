// nat-outgoing: masquerade from the pools that ask for it to destinations outside every pool, in
// one nftables table of our own (`ip tsroute_nat`) that is replaced whole on each change. One
// `nft -f -` per change is fine: pools change rarely.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { inNetns } from './netns.js';

export const NAT_TABLE = 'tsroute_nat';

/**
 * The system tool by absolute path: under npm scripts node_modules/.bin comes first on PATH, and
 * it holds an unrelated `nft` (a Node file tracer).
 */
function systemBinary(name: string): string {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin'])
    if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  return name;
}

/** The nft script that makes our table say exactly this (and nothing when no pool wants NAT). */
export function natScript(natPools: readonly string[], allPools: readonly string[]): string {
  const v4 = (xs: readonly string[]) => xs.filter((x) => !x.includes(':'));
  const nat = v4(natPools);
  const all = v4(allPools);
  // "table" first so that "delete table" cannot fail on a host that never had it
  const script = [`table ip ${NAT_TABLE}`, `delete table ip ${NAT_TABLE}`];
  if (nat.length)
    script.push(
      `table ip ${NAT_TABLE} {`,
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      `    ip saddr { ${nat.join(', ')} } ip daddr != { ${all.join(', ')} } masquerade`,
      '  }',
      '}',
    );
  return `${script.join('\n')}\n`;
}

/** Applies the script, in the namespace at `netnsPath` (the child is forked from inside it) or ours. */
export function setNatOutgoing(
  natPools: readonly string[],
  allPools: readonly string[],
  netnsPath?: string,
): Promise<void> {
  const script = natScript(natPools, allPools);
  return new Promise((resolve, reject) => {
    const start = () =>
      execFile(systemBinary('nft'), ['-f', '-'], { timeout: 30_000 }, (err, _stdout, stderr) => {
        if (err) reject(new Error(`nft -f -: ${stderr.trim() || err.message}`));
        else resolve();
      });
    const child = netnsPath ? inNetns(netnsPath, start) : start();
    child.stdin?.end(script);
  });
}
