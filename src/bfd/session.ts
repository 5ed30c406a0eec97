// One BFD session (RFC 5880 asynchronous mode, no echo, no demand, no authentication) as a pure
// function: step(session, event) → { session, actions }. No clock, no socket, no randomness inside:
// the caller passes `now` (ms) and a random number in [0, 1) for jitter, and carries out the actions.
import { BfdDiag, BfdState, type ControlPacket, type PacketFields } from './packet.js';

/** §6.8.3: while not Up, the transmit interval we ask for is at least one second. */
export const SLOW_TX_US = 1_000_000;

/** What the operator asks for (microseconds, as on the wire; the API speaks milliseconds). */
export interface SessionConfig {
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  detectMult: number;
}

/** The state variables of §6.8.1 plus the two deadlines the caller sleeps on. */
export interface Session {
  readonly config: SessionConfig;
  readonly localDiscr: number;
  readonly remoteDiscr: number;
  readonly state: BfdState;
  readonly remoteState: BfdState;
  readonly diag: BfdDiag;
  /** What we put in Desired Min TX / Required Min RX of the packets we send. */
  readonly advertisedTxUs: number;
  readonly advertisedRxUs: number;
  /** What we act on: an increase of our TX or a decrease of our RX waits for the poll's Final (§6.8.3). */
  readonly txInUseUs: number;
  readonly rxInUseUs: number;
  readonly remoteMinRxUs: number;
  readonly remoteMinTxUs: number;
  readonly remoteDetectMult: number;
  readonly polling: boolean;
  /** ms timestamps; detectAt undefined until the first packet from the peer. */
  readonly nextTxAt: number;
  readonly detectAt: number | undefined;
}

export type SessionEvent =
  | { type: 'rx'; packet: ControlPacket; now: number; rand: number }
  /** The caller's timer fired: now ≥ nextTxAt or now ≥ detectAt. */
  | { type: 'timer'; now: number; rand: number }
  | { type: 'config'; config: SessionConfig; now: number; rand: number }
  /** The session is being removed: tell the peer (AdminDown, diag 7) so it does not count it as a failure. */
  | { type: 'admin-down'; now: number };

export type SessionAction =
  | { type: 'send'; packet: PacketFields }
  | { type: 'state'; from: BfdState; to: BfdState; diag: BfdDiag };

export interface StepResult {
  session: Session;
  actions: SessionAction[];
}

export function newSession(localDiscr: number, config: SessionConfig, now: number): Session {
  const tx = Math.max(config.desiredMinTxUs, SLOW_TX_US);
  return {
    config,
    localDiscr,
    remoteDiscr: 0,
    state: BfdState.Down,
    remoteState: BfdState.Down,
    diag: BfdDiag.None,
    advertisedTxUs: tx,
    advertisedRxUs: config.requiredMinRxUs,
    txInUseUs: tx,
    rxInUseUs: config.requiredMinRxUs,
    remoteMinRxUs: 1, // §6.8.1: initial value 1
    remoteMinTxUs: 0,
    remoteDetectMult: 0,
    polling: false,
    nextTxAt: now,
    detectAt: undefined,
  };
}

/**
 * §6.8.7: the interval between our packets is the larger of what we want and what the peer can take,
 * reduced by a random 0–25 % (0–10 % extra, i.e. 75–90 %, when the detect multiplier is 1). Zero
 * when the peer asked for no packets (Required Min RX 0).
 */
export function txIntervalMs(s: Session, rand: number): number {
  if (s.remoteMinRxUs === 0) return 0;
  const base = Math.max(s.txInUseUs, s.remoteMinRxUs) / 1000;
  const width = s.config.detectMult === 1 ? 0.15 : 0.25;
  return base * (0.75 + rand * width);
}

/** §6.8.4 (asynchronous mode): the peer's multiplier × the larger of our RX and its TX. */
export function detectionTimeMs(s: Session): number {
  return (s.remoteDetectMult * Math.max(s.rxInUseUs, s.remoteMinTxUs)) / 1000;
}

function packetOf(s: Session, flags: { poll: boolean; final: boolean }): PacketFields {
  return {
    diag: s.diag,
    state: s.state,
    poll: flags.poll,
    final: flags.final,
    detectMult: s.config.detectMult,
    myDiscriminator: s.localDiscr,
    yourDiscriminator: s.remoteDiscr,
    desiredMinTxInterval: s.advertisedTxUs,
    requiredMinRxInterval: s.advertisedRxUs,
  };
}

/** The values to advertise in state `state` for `config` (§6.8.3 slow rate while not Up). */
function wanted(config: SessionConfig, state: BfdState): { tx: number; rx: number } {
  return {
    tx: state === BfdState.Up ? config.desiredMinTxUs : Math.max(config.desiredMinTxUs, SLOW_TX_US),
    rx: config.requiredMinRxUs,
  };
}

/**
 * Moves the advertised intervals to what `state` and `config` want. While Up a change starts a
 * poll sequence and the in-use values follow the §6.8.3 rules (a slower TX and a faster RX only
 * once the peer answered with Final); not Up, they simply take effect.
 */
function retarget(s: Session, config: SessionConfig): Session {
  const w = wanted(config, s.state);
  if (w.tx === s.advertisedTxUs && w.rx === s.advertisedRxUs) return { ...s, config };
  if (s.state !== BfdState.Up)
    return { ...s, config, advertisedTxUs: w.tx, advertisedRxUs: w.rx, txInUseUs: w.tx, rxInUseUs: w.rx };
  return {
    ...s,
    config,
    advertisedTxUs: w.tx,
    advertisedRxUs: w.rx,
    txInUseUs: Math.min(w.tx, s.txInUseUs),
    rxInUseUs: Math.max(w.rx, s.rxInUseUs),
    polling: true,
  };
}

function setState(s: Session, to: BfdState, diag: BfdDiag, actions: SessionAction[]): Session {
  if (s.state === to) return s;
  actions.push({ type: 'state', from: s.state, to, diag });
  return retarget({ ...s, state: to, diag, polling: to === BfdState.Up ? s.polling : false }, s.config);
}

/** Sends one periodic packet now and schedules the next one (jittered). */
function transmit(s: Session, now: number, rand: number, actions: SessionAction[]): Session {
  const interval = txIntervalMs(s, rand);
  if (interval === 0) return { ...s, nextTxAt: Number.POSITIVE_INFINITY };
  // A remote discriminator of 0 is fine: we take the Active role (§6.8.7) and send from the start.
  actions.push({ type: 'send', packet: packetOf(s, { poll: s.polling, final: false }) });
  return { ...s, nextTxAt: now + interval };
}

function receive(s0: Session, p: ControlPacket, now: number, rand: number, actions: SessionAction[]): Session {
  let s: Session = {
    ...s0,
    remoteDiscr: p.myDiscriminator,
    remoteState: p.state,
    remoteMinRxUs: p.requiredMinRxInterval,
    remoteMinTxUs: p.desiredMinTxInterval,
    remoteDetectMult: p.detectMult,
  };
  // §6.8.6: a Final ends our poll sequence; the deferred interval changes now take effect.
  if (p.final && s.polling) s = { ...s, polling: false, txInUseUs: s.advertisedTxUs, rxInUseUs: s.advertisedRxUs };
  s = { ...s, detectAt: now + detectionTimeMs(s) };
  if (s.state === BfdState.AdminDown) return s;
  const before = s.state;
  if (p.state === BfdState.AdminDown) {
    if (s.state !== BfdState.Down) s = setState(s, BfdState.Down, BfdDiag.NeighborSignaledSessionDown, actions);
  } else if (s.state === BfdState.Down) {
    if (p.state === BfdState.Down) s = setState(s, BfdState.Init, s.diag, actions);
    else if (p.state === BfdState.Init) s = setState(s, BfdState.Up, s.diag, actions);
  } else if (s.state === BfdState.Init) {
    if (p.state === BfdState.Init || p.state === BfdState.Up) s = setState(s, BfdState.Up, s.diag, actions);
  } else if (p.state === BfdState.Down) {
    s = setState(s, BfdState.Down, BfdDiag.NeighborSignaledSessionDown, actions);
  }
  // §6.8.7: answer a Poll with a Final at once, Poll bit clear, outside the periodic schedule.
  if (p.poll) actions.push({ type: 'send', packet: packetOf(s, { poll: false, final: true }) });
  // Tell the peer our new state at once rather than up to a (slow) interval later; this packet also
  // carries the poll that announces the faster Up intervals.
  if (s.state !== before) return transmit(s, now, rand, actions);
  // The peer may have lowered what it can take: do not keep waiting out a longer old interval.
  const interval = txIntervalMs(s, rand);
  if (interval > 0 && s.nextTxAt > now + interval) s = { ...s, nextTxAt: now + interval };
  return s;
}

export function step(s: Session, e: SessionEvent): StepResult {
  const actions: SessionAction[] = [];
  switch (e.type) {
    case 'rx':
      return { session: receive(s, e.packet, e.now, e.rand, actions), actions };
    case 'config': {
      const next = retarget(s, e.config);
      // A poll starts at once; otherwise the new intervals take over from the next periodic packet.
      if (next.polling && !s.polling) return { session: transmit(next, e.now, e.rand, actions), actions };
      return { session: next, actions };
    }
    case 'admin-down': {
      const next = setState(s, BfdState.AdminDown, BfdDiag.AdministrativelyDown, actions);
      actions.push({ type: 'send', packet: packetOf(next, { poll: false, final: false }) });
      return { session: { ...next, nextTxAt: Number.POSITIVE_INFINITY, detectAt: undefined }, actions };
    }
    case 'timer': {
      let next = s;
      if (next.detectAt !== undefined && e.now >= next.detectAt) {
        // §6.8.4 / §6.8.1: nothing heard for a detection time: the peer is gone, forget its discriminator.
        next = { ...next, detectAt: undefined, remoteDiscr: 0, remoteState: BfdState.Down, remoteMinRxUs: 1 };
        if (next.state === BfdState.Init || next.state === BfdState.Up)
          next = setState(next, BfdState.Down, BfdDiag.ControlDetectionTimeExpired, actions);
      }
      if (e.now >= next.nextTxAt && next.state !== BfdState.AdminDown) next = transmit(next, e.now, e.rand, actions);
      return { session: next, actions };
    }
  }
}
