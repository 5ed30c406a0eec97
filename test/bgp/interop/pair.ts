// Two namespaces joined by one veth (IPv4 and IPv6 on it): tsroute on side A, a real router on B,
// one session per address family over its own transport, short timers.
import type { ExecutionContext } from 'ava';
import type { PeerOptions, SpeakerOptions } from '../../../bgp/index.js';
import {
  Bird,
  Exabgp,
  Frr,
  Gobgp,
  type Lab,
  type Netns,
  type Origination,
  type PeerSpec,
  type Router,
  type RouterSpec,
  waitFor,
} from '../../../src/lab/index.js';
import { labFor } from '../../helpers/lab.js';
import { TsrouteNode } from './tsroute-node.js';

export type RouterKind = 'bird' | 'frr' | 'gobgp' | 'exabgp';

export const A4 = '10.99.0.1';
export const B4 = '10.99.0.2';
export const A6 = 'fd99::1';
export const B6 = 'fd99::2';
export const TIMERS = { connectRetry: 1, holdTime: 9, keepalive: 3 } as const;

export async function startRouter(lab: Lab, ns: Netns, kind: RouterKind, spec: RouterSpec): Promise<Router> {
  if (kind === 'bird') {
    // iBGP next hops resolve recursively in BIRD: give it the connected networks to resolve against.
    return Bird.start(lab, ns, { ...spec, extraConfig: 'protocol direct { ipv4; ipv6; }' });
  }
  if (kind === 'frr') return Frr.start(lab, ns, spec);
  if (kind === 'gobgp') return Gobgp.start(lab, ns, spec);
  return Exabgp.start(lab, ns, spec);
}

export interface Pair {
  lab: Lab;
  a: Netns;
  b: Netns;
  ts: TsrouteNode;
  router: Router;
  /** Milliseconds from tsroute's addPeer until both sessions were Established. */
  upMs: number;
}

export async function tsrouteAndRouter(
  t: ExecutionContext,
  kind: RouterKind,
  {
    asA = 65001,
    asB = 65002,
    originate = [] as Origination[],
    peer = {} as Partial<PeerOptions>,
    routerPeer = {} as Partial<PeerSpec>,
    speaker = {} as Partial<SpeakerOptions>,
    families = ['ipv4', 'ipv6'] as ('ipv4' | 'ipv6')[],
  } = {},
): Promise<Pair> {
  const lab = await labFor(t);
  const a = await lab.namespace('a');
  const b = await lab.namespace('b');
  await lab.link(a, [`${A4}/24`, `${A6}/64`], b, [`${B4}/24`, `${B6}/64`]);
  const peers: PeerSpec[] = [];
  if (families.includes('ipv4')) peers.push({ address: A4, as: asA, localAddress: B4, ...routerPeer });
  if (families.includes('ipv6')) peers.push({ address: A6, as: asA, localAddress: B6, ...routerPeer });
  const router = await startRouter(lab, b, kind, { routerId: B4, as: asB, peers, originate });
  const ts = await TsrouteNode.start(lab, a, { asn: asA, routerId: A4, ...speaker });
  // The clock measures the session, not the router's start: a daemon "started" may not listen yet,
  // and a refused first connection costs a ConnectRetry period.
  await waitFor(`${kind} to listen on TCP 179`, async () =>
    /:179\b/.test((await b.exec(['ss', '-Hltn', 'sport = :179'])).stdout),
  );
  // FRR listens before its peers leave Idle, and answers a connection in that window with an FSM
  // error (5/0): wait until it reports every peer past Idle, as a router that is ready would.
  if (kind === 'frr')
    await waitFor(`${kind} peers out of Idle`, async () => {
      const sessions = await router.sessions();
      return sessions.length > 0 && sessions.every((x) => x.state !== 'Idle');
    });
  const started = Date.now();
  if (families.includes('ipv4'))
    await ts.addPeer({ address: B4, asn: asB, localAddress: A4, families: ['ipv4'], ...TIMERS, ...peer });
  if (families.includes('ipv6'))
    await ts.addPeer({ address: B6, asn: asB, localAddress: A6, families: ['ipv6'], ...TIMERS, ...peer });
  for (const addr of families.map((f) => (f === 'ipv4' ? B4 : B6))) await ts.waitEstablished(addr);
  const upMs = Date.now() - started;
  return { lab, a, b, ts, router, upMs };
}
