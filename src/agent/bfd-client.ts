// BGP as a client of BFD (RFC 5882): one BFD session per planned BGP session with bfd enabled; when a
// BFD session that was Up goes Down, the BGP session is taken down at once (not after a hold time),
// and it may start again once BFD is Up. The BFD sessions themselves run in BfdService's worker thread.
import { BfdService, type BfdService as BfdServiceType, type BfdStateChange } from '../bfd/service.js';
import type { Logger } from './logger.js';
import type { PlannedBfd, PlannedPeer } from './peer-plan.js';

export interface BfdClientHooks {
  /** BFD saw the path die: take the BGP session down now. */
  down(address: string, why: string): void;
  /** BFD is Up again after a down(): the BGP session may start again. */
  up(address: string): void;
}

interface Wanted {
  local?: string;
  timing: PlannedBfd;
  key: string;
}

export class BfdClient {
  private service?: Promise<BfdServiceType>;
  private wanted = new Map<string, Wanted>();
  private readonly states = new Map<string, BfdStateChange>();
  /** Sessions we took down because of BFD (and only those come back on BFD Up). */
  private readonly heldDown = new Set<string>();
  private failed?: string;

  constructor(
    private readonly log: Logger,
    private readonly hooks: BfdClientHooks,
  ) {}

  /** Brings the BFD sessions in line with the planned BGP sessions (only the difference). */
  apply(plan: PlannedPeer[]): void {
    const next = new Map<string, Wanted>();
    for (const p of plan) {
      if (!p.bfd) continue;
      next.set(p.address, { local: p.localAddress, timing: p.bfd, key: JSON.stringify([p.localAddress, p.bfd]) });
    }
    if (next.size === 0 && !this.service) return;
    const previous = this.wanted;
    this.wanted = next;
    const service = this.ensureService();
    void service.then(
      (svc) => {
        for (const address of previous.keys()) {
          if (next.has(address)) continue;
          svc.remove(address);
          this.states.delete(address);
          // BFD turned off for a session we held down: it runs again without BFD.
          if (this.heldDown.delete(address)) this.hooks.up(address);
        }
        for (const [address, w] of next) {
          const old = previous.get(address);
          if (old?.key === w.key) continue;
          if (old && old.local !== w.local) svc.remove(address);
          try {
            svc.add({ peer: address, local: w.local, timing: w.timing });
          } catch (err) {
            this.log.error({ peer: address, err: (err as Error).message }, 'BFD session not started');
          }
        }
      },
      () => {},
    );
  }

  private ensureService(): Promise<BfdServiceType> {
    if (this.service) return this.service;
    this.service = BfdService.start().then(
      (svc) => {
        svc.on('state', (c) => this.onState(c));
        svc.on('error', (err) => this.log.error({ err: err.message }, 'BFD error'));
        return svc;
      },
      (err: Error) => {
        // BFD that cannot run never stops BGP: the sessions run without it and status says why.
        this.failed = err.message;
        this.log.error({ err: err.message }, 'BFD could not start; BGP sessions run without it');
        throw err;
      },
    );
    return this.service;
  }

  private onState(c: BfdStateChange): void {
    if (!this.wanted.has(c.peer)) return;
    this.states.set(c.peer, c);
    this.log.info({ peer: c.peer, from: c.previous, to: c.state, diag: c.diag }, 'BFD session state');
    if (c.state === 'Down' && c.previous === 'Up') {
      this.heldDown.add(c.peer);
      this.hooks.down(c.peer, `BFD down: ${c.diag}`);
    } else if (c.state === 'Up' && this.heldDown.delete(c.peer)) {
      this.hooks.up(c.peer);
    }
  }

  /** True while the BGP session with `address` is held down because its BFD session is down. */
  holdsDown(address: string): boolean {
    return this.heldDown.has(address);
  }

  /** "" when BFD is off for `address`, else its state (and why it is down). */
  state(address: string): string {
    if (!this.wanted.has(address)) return '';
    if (this.failed) return `not running: ${this.failed}`;
    const c = this.states.get(address);
    if (!c) return 'Down';
    return c.state === 'Up' || c.diag === 'none' ? c.state : `${c.state} (${c.diag})`;
  }

  async close(): Promise<void> {
    const service = this.service;
    this.service = undefined;
    if (service) await service.then((s) => s.close()).catch(() => {});
  }
}
