// The BFD worker thread: owns the UDP sockets and the session timers, so BFD packets keep their
// rhythm however busy the main thread (BGP speaker, datastore, kernel routes) is. It runs the pure
// session machine of session.ts and reports state changes to the main thread by postMessage.
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import type { BfdPeer, BfdSessionStatus, BfdTiming, FromWorker, ToWorker } from './messages.js';
import { DIAG_NAMES, decodeControl, encodeControl, STATE_NAMES } from './packet.js';
import { openReceiver, type Receiver } from './receiver.js';
import { detectionTimeMs, newSession, type Session, type SessionConfig, step } from './session.js';

/** RFC 5881 §4: control packets go to UDP port 3784 ... */
export const BFD_CONTROL_PORT = 3784;
/** ... from a source port in 49152–65535, the same for the whole session. */
const SOURCE_PORT_MIN = 49152;
const SOURCE_PORT_MAX = 65535;
/** RFC 5881 §5: sent with TTL/hop limit 255, and (no authentication) only 255 accepted. */
const TTL = 255;

export interface WorkerOptions {
  /** Port to listen on (3784; tests may pick another). Peers are always sent to `peerPort`. */
  listenPort: number;
  peerPort: number;
  /** Addresses to listen on; default every IPv4 and IPv6 address. */
  listen: string[];
}

interface Entry {
  peer: BfdPeer;
  session: Session;
  socket: dgram.Socket;
  sourcePort: number;
  timer?: NodeJS.Timeout;
  received: number;
  dropped: number;
  lastDropReason?: string;
  since: number;
}

if (!parentPort) throw new Error('src/bfd/worker.ts runs only as a worker thread (BfdService starts it)');
const port = parentPort;
const options = workerData as WorkerOptions;
const sessions = new Map<string, Entry>();
const byDiscr = new Map<number, Entry>();
const receivers: Receiver[] = [];

const post = (m: FromWorker) => port.postMessage(m);
const toConfig = (t: BfdTiming): SessionConfig => ({
  desiredMinTxUs: t.transmitInterval * 1000,
  requiredMinRxUs: t.receiveInterval * 1000,
  detectMult: t.detectMultiplier,
});

function newDiscriminator(): number {
  for (;;) {
    const d = randomInt(1, 0xffffffff);
    if (!byDiscr.has(d)) return d;
  }
}

/** Binds a sending socket to a free source port of the RFC 5881 range (tries random ones, then scans). */
async function bindSource(peer: BfdPeer): Promise<{ socket: dgram.Socket; sourcePort: number }> {
  const type = isIPv6(peer.peer) ? 'udp6' : 'udp4';
  const tryPort = (p: number) =>
    new Promise<dgram.Socket | undefined>((resolve) => {
      const s = dgram.createSocket({ type, reuseAddr: false });
      s.once('error', () => {
        s.close();
        resolve(undefined);
      });
      s.bind({ port: p, address: peer.local, exclusive: true }, () => {
        s.removeAllListeners('error');
        s.on('error', () => {}); // send errors (no route yet) are expected while a link is down
        resolve(s);
      });
    });
  for (let i = 0; i < 64; i++) {
    const p = randomInt(SOURCE_PORT_MIN, SOURCE_PORT_MAX + 1);
    const s = await tryPort(p);
    if (s) {
      s.setTTL(TTL);
      return { socket: s, sourcePort: p };
    }
  }
  throw new Error(`no free UDP source port in ${SOURCE_PORT_MIN}-${SOURCE_PORT_MAX} for BFD to ${peer.peer}`);
}

function schedule(e: Entry): void {
  if (e.timer) clearTimeout(e.timer);
  const next = Math.min(e.session.nextTxAt, e.session.detectAt ?? Number.POSITIVE_INFINITY);
  if (!Number.isFinite(next)) return;
  e.timer = setTimeout(
    () => run(e, { type: 'timer', now: Date.now(), rand: Math.random() }),
    Math.max(0, next - Date.now()),
  );
}

function run(e: Entry, event: Parameters<typeof step>[1]): void {
  if (sessions.get(e.peer.peer) !== e) return;
  const { session, actions } = step(e.session, event);
  e.session = session;
  for (const a of actions) {
    if (a.type === 'send') e.socket.send(encodeControl(a.packet), e.peer.port ?? options.peerPort, e.peer.peer);
    else {
      e.since = Date.now();
      post({
        type: 'state',
        change: {
          peer: e.peer.peer,
          state: STATE_NAMES[a.to],
          previous: STATE_NAMES[a.from],
          diag: DIAG_NAMES[a.diag] ?? String(a.diag),
          at: e.since,
        },
      });
    }
  }
  schedule(e);
}

function onPacket(buf: Buffer, from: string, ttl: number): void {
  const address = from.startsWith('::ffff:') ? from.slice(7) : from;
  const decoded = decodeControl(buf);
  // RFC 5880 §6.8.6: a packet with a Your Discriminator selects its session by it; zero selects
  // by the source address (RFC 5881 §3: single hop, one session per neighbour address).
  const entry =
    decoded.ok && decoded.packet.yourDiscriminator !== 0
      ? byDiscr.get(decoded.packet.yourDiscriminator)
      : sessions.get(address);
  if (!entry || entry.peer.peer !== address) return; // not a session of ours: discarded
  const drop = (reason: string) => {
    entry.dropped++;
    entry.lastDropReason = reason;
  };
  if (!decoded.ok) {
    drop(decoded.reason);
    return;
  }
  // RFC 5881 §5: without authentication, anything but 255 may come from further away than the link.
  if (ttl !== TTL) {
    drop(ttl < 0 ? 'received TTL not reported by the kernel' : `TTL ${ttl}, not ${TTL} (RFC 5881 §5)`);
    return;
  }
  entry.received++;
  run(entry, { type: 'rx', packet: decoded.packet, now: Date.now(), rand: Math.random() });
}

async function add(peer: BfdPeer): Promise<void> {
  if (sessions.has(peer.peer)) return update(peer.peer, peer.timing);
  const { socket, sourcePort } = await bindSource(peer);
  const discr = newDiscriminator();
  const entry: Entry = {
    peer,
    session: newSession(discr, toConfig(peer.timing), Date.now()),
    socket,
    sourcePort,
    received: 0,
    dropped: 0,
    since: Date.now(),
  };
  sessions.set(peer.peer, entry);
  byDiscr.set(discr, entry);
  run(entry, { type: 'timer', now: Date.now(), rand: Math.random() });
}

function update(peer: string, timing: BfdTiming): void {
  const e = sessions.get(peer);
  if (!e) return;
  e.peer = { ...e.peer, timing };
  run(e, { type: 'config', config: toConfig(timing), now: Date.now(), rand: Math.random() });
}

function remove(peer: string): void {
  const e = sessions.get(peer);
  if (!e) return;
  run(e, { type: 'admin-down', now: Date.now() });
  if (e.timer) clearTimeout(e.timer);
  sessions.delete(peer);
  byDiscr.delete(e.session.localDiscr);
  // Let the AdminDown packet leave before the socket closes.
  setTimeout(() => e.socket.close(), 50);
}

function status(): BfdSessionStatus[] {
  return [...sessions.values()].map((e) => ({
    peer: e.peer.peer,
    local: e.peer.local,
    state: STATE_NAMES[e.session.state],
    remoteState: STATE_NAMES[e.session.remoteState],
    diag: DIAG_NAMES[e.session.diag] ?? String(e.session.diag),
    localDiscriminator: e.session.localDiscr,
    remoteDiscriminator: e.session.remoteDiscr,
    txIntervalMs: Math.max(e.session.txInUseUs, e.session.remoteMinRxUs) / 1000,
    detectTimeMs: detectionTimeMs(e.session),
    sourcePort: e.sourcePort,
    received: e.received,
    dropped: e.dropped,
    lastDropReason: e.lastDropReason,
    since: e.since,
  }));
}

async function main(): Promise<void> {
  for (const address of options.listen) {
    receivers.push(openReceiver(address, options.listenPort, onPacket));
  }
  port.on('message', (m: ToWorker) => {
    const task = async () => {
      if (m.type === 'add') await add(m.session);
      else if (m.type === 'update') update(m.peer, m.timing);
      else if (m.type === 'remove') remove(m.peer);
      else if (m.type === 'status') post({ type: 'status', id: m.id, sessions: status() });
      else if (m.type === 'close') {
        for (const peer of [...sessions.keys()]) remove(peer);
        await new Promise((r) => setTimeout(r, 60));
        for (const r of receivers) r.close();
        post({ type: 'closed' });
        port.close();
      }
    };
    task().catch((err: Error) => post({ type: 'error', message: err.message }));
  });
  post({ type: 'ready', ports: receivers.map((r) => r.port) });
}

main().catch((err: Error) => post({ type: 'error', message: `BFD worker failed to start: ${err.message}` }));
