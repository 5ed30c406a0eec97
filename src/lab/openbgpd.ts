// OpenBGPD (Debian `openbgpd`, 7.x) in a lab namespace: one daemon with its own control socket, so
// tests can take a neighbor down with a shutdown text (`bgpctl neighbor X down "text"`) and up again,
// as operators of OpenBGPD routers do. It writes no kernel routes on Linux; tests read its RIB.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import type { Daemon } from './daemon.js';
import { requireBinary } from './exec.js';
import type { Lab } from './lab.js';
import type { Netns } from './netns.js';
import { waitFor } from './wait.js';

export interface OpenbgpdSpec {
  routerId: string;
  as: number;
  listen: string;
  neighbors: { address: string; as: number; holdTime?: number }[];
  /** Prefixes to originate (`network P`). */
  networks?: string[];
}

export function openbgpdConfig(spec: OpenbgpdSpec, socket: string): string {
  const lines = [
    `AS ${spec.as}`,
    `router-id ${spec.routerId}`,
    `listen on ${spec.listen}`,
    `socket "${socket}"`,
    // OpenBGPD's default is 120 s; the agent's own retries are what the tests look at.
    'connect-retry 1',
    ...(spec.networks ?? []).map((n) => `network ${n}`),
  ];
  for (const n of spec.neighbors)
    lines.push(`neighbor ${n.address} {`, `  remote-as ${n.as}`, `  holdtime ${n.holdTime ?? 9}`, '}');
  lines.push('allow from any', 'allow to any');
  return `${lines.join('\n')}\n`;
}

export class Openbgpd {
  private constructor(
    readonly ns: Netns,
    readonly spec: OpenbgpdSpec,
    readonly socket: string,
    readonly daemon: Daemon,
  ) {}

  static async start(lab: Lab, ns: Netns, spec: OpenbgpdSpec): Promise<Openbgpd> {
    const bgpd = requireBinary('/usr/sbin/bgpd');
    requireBinary('/usr/sbin/bgpctl');
    // Its privilege-separated children chroot to the _openbgpd user's home.
    mkdirSync('/run/openbgpd', { recursive: true });
    const dir = lab.path(`openbgpd-${ns.label}`);
    mkdirSync(dir, { recursive: true });
    const socket = `${dir}/bgpd.sock`;
    const conf = `${dir}/bgpd.conf`;
    writeFileSync(conf, openbgpdConfig(spec, socket));
    chmodSync(conf, 0o600);
    const daemon = ns.spawn('openbgpd', [bgpd, '-d', '-f', conf]);
    const router = new Openbgpd(ns, spec, socket, daemon);
    lab.onDestroy(() => daemon.stop());
    await waitFor('OpenBGPD to answer bgpctl', async () => {
      daemon.assertRunning();
      await router.bgpctl('show', 'summary');
      return true;
    });
    return router;
  }

  /** Runs `bgpctl -s SOCKET args…` and returns its output. */
  async bgpctl(...args: string[]): Promise<string> {
    return (await this.ns.exec(['/usr/sbin/bgpctl', '-s', this.socket, ...args])).stdout;
  }

  /** The neighbor's state as `bgpctl show neighbor` says ("Established", "Idle", "Active", …). */
  async state(address: string): Promise<string> {
    const out = await this.bgpctl('show', 'neighbor', address);
    return /BGP state = (\w+)/.exec(out)?.[1] ?? 'Unknown';
  }

  stop(): Promise<void> {
    return this.daemon.stop();
  }
}
