// Cutting a link inside a lab namespace, the two ways a fabric link fails:
//  - 'drop': every packet in and out of the interface is dropped (an nftables netdev table with
//    ingress and egress hooks) while the kernel link stays up: a broken optic or a wedged line card.
//    No carrier loss tells anyone; only BFD or the BGP hold timer notices. This is the case BFD is for.
//  - 'down': `ip link set dev X down`, the carrier goes on both ends of the veth pair, so the
//    kernel on the far side removes its connected routes at once.
import { requireBinary } from './exec.js';
import type { Netns } from './netns.js';

export type CutKind = 'drop' | 'down';

/**
 * Runs nftables' `nft` in `ns`. By absolute path: under npm/npx, node_modules/.bin comes first on PATH
 * and holds an unrelated `nft` (@vercel/nft, a dev tool's dependency) that exits 0 doing nothing.
 */
export async function nft(ns: Netns, args: string[], input?: string): Promise<string> {
  return (await ns.exec([requireBinary('/usr/sbin/nft'), ...args], { input })).stdout;
}

/** One table per interface, so two cuts in one namespace stay apart. */
const tableName = (ifname: string) => `tsroute_cut_${ifname.replace(/[^A-Za-z0-9_]/g, '_')}`;

/** The nftables script that drops everything on `ifname` (priority -500: before anything else). */
export function dropScript(ifname: string): string {
  return [
    `table netdev ${tableName(ifname)} {`,
    `  chain in { type filter hook ingress device "${ifname}" priority -500; policy drop; }`,
    `  chain out { type filter hook egress device "${ifname}" priority -500; policy drop; }`,
    '}',
    '',
  ].join('\n');
}

/** Cuts `ifname` in `ns`; resolves once the cut is in place. */
export async function cutLink(ns: Netns, ifname: string, kind: CutKind): Promise<void> {
  if (kind === 'down') await ns.ip('link', 'set', 'dev', ifname, 'down');
  else await nft(ns, ['-f', '-'], dropScript(ifname));
}

/** Undoes cutLink. */
export async function restoreLink(ns: Netns, ifname: string, kind: CutKind): Promise<void> {
  if (kind === 'down') await ns.ip('link', 'set', 'dev', ifname, 'up');
  else await nft(ns, ['delete', 'table', 'netdev', tableName(ifname)]);
}
