// A first table through a fresh process runs in V8's interpreter until its hot paths are compiled;
// measured here, that made the first 100,000 routes after a start take 0.27 s instead of 0.19 s.
// So at start the speaker puts a small synthetic table through a throwaway engine — encode, decode,
// import, decision, export, withdraw — while its sessions are still connecting (a session takes a
// second or more to come up; this takes ~100 ms of CPU, in slices). Nothing of it reaches a peer.
import type { AddressFamily, Logger } from './config.js';
import { compilePolicy } from './policy/evaluate.js';
import { AS_SEQUENCE, AttrStore } from './rib/attributes.js';
import type { PathSource } from './rib/path.js';
import { newScratch } from './rib/prefix-key.js';
import { PrefixTable } from './rib/prefix-table.js';
import type { ExportTarget, LocalIdentity } from './rib/propagation.js';
import { SlotPrefixes } from './rib/slot-prefixes.js';
import { RouteEngine, type SessionPort, yieldToLoop } from './route-engine.js';
import { encodeBatch, encodeUpdates } from './session/codec.js';
import { decodeMessage } from './wire/decode.js';
import { MessageFramer } from './wire/framer.js';
import type { WireContext } from './wire/types.js';

const PREFIXES = 20_000;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const CTX: WireContext = { fourOctetAs: true, ebgp: true, wireNlri: true };

/** UPDATEs announcing (or withdrawing) `n` IPv4 /24s, as a peer would send them. */
function updates(n: number, withdraw: boolean): Buffer[] {
  const table = new PrefixTable(0);
  const k = newScratch();
  const slots: number[] = [];
  for (let i = 0; i < n; i++) {
    k.words[0] = (10 << 24) | (i << 8);
    k.len = 24;
    slots.push(table.findOrAdd(k));
  }
  const prefixes = new SlotPrefixes(table, slots);
  const none = new SlotPrefixes(table, []);
  const attrs = new AttrStore().intern({
    origin: 0,
    asPath: [{ type: AS_SEQUENCE, asns: [64999] }],
    nextHop: '192.0.2.1',
  });
  return encodeUpdates(
    withdraw
      ? { family: 'ipv4', withdraw: prefixes, announce: [] }
      : { family: 'ipv4', withdraw: none, announce: [{ attrs, prefixes }] },
    CTX,
  );
}

function port(address: string, kind: 'ebgp' | 'ibgp'): SessionPort {
  const source: PathSource = { id: -1, kind, address, routerId: address, asn: 64999, rrClient: false };
  const target: ExportTarget = { kind, address, routerId: address, rrClient: false, selfIpv4: '192.0.2.254' };
  return {
    source,
    target,
    families: new Set<AddressFamily>(['ipv4']),
    importPolicy: compilePolicy(undefined),
    exportPolicy: compilePolicy(undefined),
    sendBatch: (batch) => encodeBatch(batch, CTX).count >= 0,
    sendEndOfRib: () => {},
    drained: () => Promise.resolve(),
    pauseInput: () => {},
    received: 0,
    closed: false,
  };
}

/** Runs the warm-up; resolves when it is done. Errors are logged, never thrown. */
export async function warmUp(local: LocalIdentity, log: Logger): Promise<void> {
  const started = performance.now();
  try {
    const engine = new RouteEngine(local, 1, silent);
    const from = port('192.0.2.1', 'ebgp');
    const to = port('192.0.2.2', 'ebgp');
    engine.addSession(from);
    engine.addSession(to);
    for (const withdraw of [false, true]) {
      const framer = new MessageFramer();
      for (const bytes of updates(PREFIXES, withdraw)) {
        const frames = framer.push(bytes);
        if (!Array.isArray(frames)) throw new Error(frames.error);
        for (const frame of frames) {
          const m = decodeMessage(frame, CTX).message;
          if (m?.type === 'update') engine.importUpdate(from, m);
        }
        await yieldToLoop();
      }
      while (engine.rib.pendingCount > 0 || engine.busy) await yieldToLoop();
    }
    engine.removeSession(from);
    engine.removeSession(to);
    log.debug({ ms: Math.round(performance.now() - started) }, 'speaker warmed up');
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'speaker warm-up failed (no harm done: the first table is slower)');
  }
}
