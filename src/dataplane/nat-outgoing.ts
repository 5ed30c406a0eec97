// nat-outgoing: masquerade from the pools that ask for it to destinations outside every pool, in
// nftables tables of our own (`ip tsroute_nat`, `ip6 tsroute_nat`) replaced whole on each change. One
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

/**
 * The nft script that makes our tables say exactly this (and nothing when no pool wants NAT): one
 * `ip` table for IPv4 pools and one `ip6` table for IPv6 pools (nftables NAT is per family).
 */
export function natScript(natPools: readonly string[], allPools: readonly string[]): string {
  const script: string[] = [];
  for (const [family, v6] of [
    ['ip', false],
    ['ip6', true],
  ] as const) {
    const ofFamily = (xs: readonly string[]) => xs.filter((x) => x.includes(':') === v6);
    const nat = ofFamily(natPools);
    const all = ofFamily(allPools);
    // "table" first so that "delete table" cannot fail on a host that never had it
    script.push(`table ${family} ${NAT_TABLE}`, `delete table ${family} ${NAT_TABLE}`);
    if (nat.length)
      script.push(
        `table ${family} ${NAT_TABLE} {`,
        '  chain postrouting {',
        '    type nat hook postrouting priority srcnat; policy accept;',
        `    ${family} saddr { ${nat.join(', ')} } ${family} daddr != { ${all.join(', ')} } masquerade`,
        '  }',
        '}',
      );
  }
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
