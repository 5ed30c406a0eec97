// ExaBGP as a scriptable peer: it records every message it receives (parsed JSON and raw hex, one
// JSON line each) and sends whatever API commands a test writes — including hand-made attributes
// (`attribute [ 0xTYPE 0xFLAGS 0xVALUE ]`) for malformed-UPDATE tests. It has no FIB.

import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Daemon } from './daemon.js';
import { requireBinary } from './exec.js';
import type { Lab } from './lab.js';
import type { Netns } from './netns.js';
import {
  type Family,
  familyOf,
  type Origination,
  type RibRoute,
  type Router,
  type RouterSpec,
  type SessionState,
  TEST_TIMERS,
  toOrigination,
} from './router.js';
import { waitFor } from './wait.js';

/**
 * The API process ExaBGP runs: copies ExaBGP's JSON (stdin) to a file, and copies command lines
 * from a FIFO to ExaBGP (stdout). Written into the lab folder at start, so it works from dist/ too.
 */
const API_SCRIPT = `import os, sys, threading
received, commands = sys.argv[1], sys.argv[2]
def forward():
    while True:
        with open(commands) as fifo:
            for line in fifo:
                sys.stdout.write(line if line.endswith('\\n') else line + '\\n')
                sys.stdout.flush()
threading.Thread(target=forward, daemon=True).start()
with open(received, 'a', buffering=1) as out:
    for line in sys.stdin:
        out.write(line)
`;

export interface ExaMessage {
  type: string;
  /** With `packets`: the raw message as "0xFFFF…" hex, split into header and body. */
  header?: string;
  body?: string;
  neighbor?: {
    address?: { peer?: string };
    state?: string;
    message?: {
      update?: {
        announce?: Record<string, Record<string, { nlri: string }[] | Record<string, unknown>>>;
        withdraw?: Record<string, { nlri: string }[] | Record<string, unknown>>;
        attribute?: Record<string, unknown>;
      };
      eor?: { afi: string; safi: string };
    };
    open?: unknown;
    notification?: unknown;
  };
}

export function exabgpConfig(spec: RouterSpec, apiScript: string, receivedFile: string, commandFifo: string): string {
  const origins = (spec.originate ?? []).map(toOrigination);
  const lines = [
    'process api {',
    `  run /usr/bin/python3 ${apiScript} ${receivedFile} ${commandFifo};`,
    '  encoder json;',
    '}',
  ];
  for (const peer of spec.peers) {
    const families: Family[] = peer.families ?? [familyOf(peer.address)];
    lines.push(`neighbor ${peer.address} {`, `  router-id ${spec.routerId};`);
    if (peer.localAddress) lines.push(`  local-address ${peer.localAddress};`);
    lines.push(
      `  local-as ${spec.as};`,
      `  peer-as ${peer.as};`,
      `  hold-time ${peer.holdTime ?? TEST_TIMERS.holdTime};`,
    );
    if (peer.port) lines.push(`  peer-port ${peer.port};`);
    if (peer.passive) lines.push('  passive;');
    lines.push(`  family { ${families.map((f) => `${f} unicast;`).join(' ')} }`);
    lines.push(
      '  capability { route-refresh;',
      ...(peer.gracefulRestart ? [`    graceful-restart ${peer.gracefulRestart.restartTime};`] : []),
      '  }',
    );
    lines.push(
      '  api { processes [ api ]; receive { parsed; packets; consolidate; open; update; notification; refresh; } neighbor-changes; }',
    );
    const mine = origins.filter((o) => families.includes(familyOf(o.prefix)));
    if (mine.length) lines.push('  static {', ...mine.map((o) => `    ${exaRoute(o)};`), '  }');
    lines.push('}');
  }
  if (spec.extraConfig) lines.push(spec.extraConfig);
  return `${lines.join('\n')}\n`;
}

function exaRoute(o: Origination): string {
  let s = `route ${o.prefix} next-hop self`;
  if (o.communities?.length) s += ` community [ ${o.communities.join(' ')} ]`;
  if (o.largeCommunities?.length) s += ` large-community [ ${o.largeCommunities.join(' ')} ]`;
  if (o.med !== undefined) s += ` med ${o.med}`;
  return s;
}

export class Exabgp implements Router {
  readonly kind = 'exabgp' as const;

  private constructor(
    readonly ns: Netns,
    readonly spec: RouterSpec,
    private readonly receivedFile: string,
    private readonly commandFifo: string,
    private readonly daemon: Daemon,
  ) {}

  static async start(lab: Lab, ns: Netns, spec: RouterSpec): Promise<Exabgp> {
    const binary = requireBinary('exabgp');
    const apiScript = lab.path('exabgp-api.py');
    if (!existsSync(apiScript)) writeFileSync(apiScript, API_SCRIPT);
    const receivedFile = lab.path(`exabgp-${ns.label}-received.jsonl`);
    const commandFifo = lab.path(`exabgp-${ns.label}-commands.fifo`);
    writeFileSync(receivedFile, '');
    execFileSync('mkfifo', [commandFifo]);
    const confFile = lab.path(`exabgp-${ns.label}.conf`);
    writeFileSync(confFile, exabgpConfig(spec, apiScript, receivedFile, commandFifo));
    const bind = spec.peers.find((p) => p.localAddress)?.localAddress;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      'exabgp.daemon.user': 'root',
      'exabgp.api.cli': 'false',
      'exabgp.log.destination': `${lab.logDir}/exabgp-${ns.label}.log`,
      'exabgp.tcp.bind': bind ?? '',
      'exabgp.tcp.port': String(spec.listenPort ?? 179),
    };
    const daemon = ns.spawn('exabgp', [binary, confFile], env);
    const exa = new Exabgp(ns, spec, receivedFile, commandFifo, daemon);
    await waitFor(`ExaBGP in ${ns.label} to start its API process`, () => {
      daemon.assertRunning();
      return readFileSync(`${lab.logDir}/exabgp-${ns.label}.log`, 'utf8').includes('api') || daemon.running;
    });
    return exa;
  }

  /** Every JSON message ExaBGP reported, oldest first (a line still being written is left for later). */
  messages(): ExaMessage[] {
    const out: ExaMessage[] = [];
    for (const line of readFileSync(this.receivedFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        // ExaBGP quotes the fields of a ROUTE-REFRESH twice ("afi": ""ipv4"").
        out.push(JSON.parse(line.replace(/""([\w-]+)""/g, '"$1"')) as ExaMessage);
      } catch {
        // the last line, not complete yet
      }
    }
    return out;
  }

  /** Raw received BGP messages (header+body hex) of one type: "open", "update", "notification", ... */
  rawMessages(type: string): Buffer[] {
    return this.messages()
      .filter((m) => m.type === type && m.header !== undefined)
      .map((m) => Buffer.from(`${m.header!.replace(/^0x/i, '')}${(m.body ?? '').replace(/^0x/i, '')}`, 'hex'));
  }

  /** Writes one ExaBGP API command (e.g. "neighbor 10.0.0.1 announce route 10.1.0.0/24 next-hop self"). */
  send(command: string): void {
    appendFileSync(this.commandFifo, `${command}\n`);
  }

  async sessions(): Promise<SessionState[]> {
    const last = new Map<string, string>();
    for (const m of this.messages()) {
      if (m.type === 'state' && m.neighbor?.address?.peer) last.set(m.neighbor.address.peer, m.neighbor.state ?? '');
    }
    return this.spec.peers.map((p) => ({
      peer: p.address,
      peerAs: p.as,
      state: last.get(p.address) === 'up' ? 'Established' : 'Idle',
      info: last.get(p.address),
    }));
  }

  /** The routes the peer currently announces to ExaBGP, replayed from the recorded UPDATEs. */
  async routes(family: Family = 'ipv4'): Promise<RibRoute[]> {
    const afi = `${family} unicast`;
    const rib = new Map<string, RibRoute>();
    for (const m of this.messages()) {
      const update = m.type === 'update' ? m.neighbor?.message?.update : undefined;
      if (!update) continue;
      const withdrawn = update.withdraw?.[afi];
      for (const w of Array.isArray(withdrawn) ? withdrawn : []) rib.delete(w.nlri);
      const attrs = update.attribute ?? {};
      for (const [nextHop, nlris] of Object.entries(update.announce?.[afi] ?? {})) {
        for (const n of Array.isArray(nlris) ? nlris : []) {
          rib.set(n.nlri, {
            prefix: n.nlri,
            nextHop,
            asPath: ((attrs['as-path'] as number[] | undefined) ?? []).flat(),
            communities: ((attrs.community as [number, number][] | undefined) ?? []).map(([a, b]) => `${a}:${b}`),
            largeCommunities: ((attrs['large-community'] as [number, number, number][] | undefined) ?? []).map((c) =>
              c.join(':'),
            ),
            med: attrs.med as number | undefined,
            localPref: attrs['local-preference'] as number | undefined,
          });
        }
      }
    }
    return [...rib.values()];
  }

  async announce(route: string | Origination): Promise<void> {
    this.send(`announce ${exaRoute(toOrigination(route))}`);
  }

  async withdraw(prefix: string): Promise<void> {
    this.send(`withdraw route ${prefix} next-hop self`);
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
  }

  log(): string {
    return this.daemon.tail();
  }
}
