// BFD failover (issue #16): a tsroute host dual-homed to two ToRs (FRR and BIRD, BFD 100 ms × 3 on
// both sessions, both ends; BGP hold time 90 s), a destination behind both ToRs that the host reaches
// over one ECMP route. Inside a ToR's namespace every packet on its host link is dropped while the
// kernel link stays up — the failure only BFD (or, 90 s later, the hold timer) can see. What a user
// relies on is checked: BFD is what took the session down, at once; the host's kernel route keeps
// only the other ToR; the spine stops sending the container's traffic to the cut ToR; and the
// container's pings flow through the other ToR. Each ToR is cut in turn (one FRR, one BIRD), so the
// container's flow, whichever ToR its ECMP hash picks, is on a cut ToR once. Last, one ToR's end of
// the link is set down (`ip link set dev X down`): the same failover, with the carrier gone.
import test, { type ExecutionContext } from 'ava';
import {
  converged,
  DESTINATION,
  DESTINATION_PREFIX,
  type DualTor,
  type DualTorRouter,
  dualTor,
  echoRequestsForwarded,
  nextHopsOf,
  TOR_HOST_IF,
} from '../../src/lab/dual-tor.js';
import { Bird, Frr, waitFor } from '../../src/lab/index.js';
import { type CutKind, cutLink, restoreLink } from '../../src/lab/link-cut.js';
import { labFor } from '../helpers/lab.js';

const BFD = { transmitInterval: 100, receiveInterval: 100, detectMultiplier: 3 };
const HOLD_TIME_S = 90;

/** Why the ToR itself says its session with the host went down. */
async function torDownReason(tor: DualTorRouter): Promise<string> {
  const host = tor.address.replace(/\.1$/, '.2');
  if (tor.router instanceof Frr) {
    const json = JSON.parse(await tor.router.vtysh(`show bgp neighbors ${host} json`)) as Record<
      string,
      { bgpState?: string; lastResetDueTo?: string; lastNotificationReason?: string }
    >;
    // FRR sends Cease/BFD Down (RFC 9384) when its BFD takes the session down.
    const n = json[host];
    return `${n?.bgpState}: ${n?.lastResetDueTo} (${n?.lastNotificationReason})`;
  }
  const text = await (tor.router as Bird).birdc('show protocols all peer1');
  return `${/BGP state:\s+(\w+)/.exec(text)?.[1]}: ${/Last error:\s+(.*)/.exec(text)?.[1]}`;
}

async function cutAndFailOver(
  t: ExecutionContext,
  f: DualTor,
  cut: DualTorRouter,
  other: DualTorRouter,
  how: CutKind = 'drop',
) {
  const kind = `${cut.router.kind}, ${how}`;
  const peerOf = async (tor: DualTorRouter) =>
    (await f.host.agent.status()).peers.find((p) => p.address === tor.address);

  await cutLink(cut.ns, TOR_HOST_IF, how);
  const cutAt = Date.now();

  // 1. The host's BFD detects it and takes that BGP session down at once (the hold timer has 90 s).
  const down = await waitFor(
    `the session to ${cut.name} (${kind}) down`,
    async () => {
      const p = await peerOf(cut);
      return p && p.state !== 'Established' && p;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  const took = Date.now() - cutAt;
  t.log(`${cut.name} (${kind}): host session left Established ${took} ms after the cut; info: ${down.info}`);
  t.true(took < 30_000, `down ${took} ms after the cut: the hold timer (${HOLD_TIME_S} s) cannot have done that`);
  t.regex(down.bfd, /^Down \(control detection time expired\)/, 'BFD detected it: its detection time expired');
  t.regex(down.info, /held down: BFD Down/, 'the session is held down because of BFD');
  t.false(down.adminShutdown);
  t.is((await peerOf(other))?.state, 'Established', 'the other ToR stays');

  // 2. With the drop the kernel link stayed up: the carrier never told anyone.
  const link = JSON.parse((await cut.ns.ip('-j', 'link', 'show', 'dev', TOR_HOST_IF)).stdout) as {
    operstate: string;
  }[];
  if (how === 'drop')
    t.is(link[0]?.operstate, 'UP', `${cut.name}'s ${TOR_HOST_IF} is still up (packets are dropped, not the link)`);
  else t.is(link[0]?.operstate, 'DOWN');

  // 3. The routes via the cut ToR are gone from the host's kernel: only the other ToR is left.
  const route = await waitFor(
    `the host's route to ${DESTINATION_PREFIX} via ${other.name} only`,
    async () => {
      const r = await f.host.ns.route(DESTINATION_PREFIX);
      return nextHopsOf(r).join() === other.address && r;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  t.is(route.protocol, 'bgp');

  // 4. The ToR saw it too (by BFD when only packets are dropped; a link down it may see first by
  // itself, as FRR's fast external failover does), and withdrew the container's block from the spine.
  const reason = await waitFor(`${cut.name}'s own session with the host down`, async () => {
    const r = await torDownReason(cut);
    return !r.startsWith('Established') && r;
  });
  t.log(`${cut.name} (${kind}) says: ${reason}`);
  if (how === 'drop') t.regex(reason, /BFD/i, `${cut.name} took its session down because of BFD`);
  await waitFor(
    `the container's block at the spine via ${other.name} only`,
    async () => {
      const paths = (await f.spine.routes()).filter((r) => r.prefix.startsWith('10.65.'));
      return paths.length === 1 && paths[0]!.nextHop === other.address.replace(/^10\.0\.(\d)\.1$/, '10.0.1$1.1');
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );

  // 5. Traffic flows, through the other ToR.
  // Every answered echo request went through the other ToR (on a loaded machine one of five may go
  // unanswered; the route is what is tested here, not the loss).
  const before = await echoRequestsForwarded(other);
  const pinged = await f.container.ns
    .exec(['ping', '-n', '-q', '-c', '5', '-W', '2', DESTINATION], { timeoutMs: 30_000 })
    .catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const answered = Number(/(\d+) received/.exec(pinged.stdout)?.[1] ?? 0);
  const through = (await echoRequestsForwarded(other)) - before;
  t.true(answered >= 3, `the container reaches ${DESTINATION}: ${answered} of 5 answered`);
  t.true(through >= answered, `${other.name} forwarded ${through} echo requests for ${answered} answers`);

  // 6. The link comes back: BFD Up, BGP Established, ECMP over both ToRs again.
  await restoreLink(cut.ns, TOR_HOST_IF, how);
  await converged(f, true);
}

test('a dual-homed host with BFD 100 ms × 3 (hold time 90 s): all packets on a ToR link dropped → BFD takes that session down, the kernel routes via the other ToR and traffic flows through it (FRR, then BIRD; then a link down)', async (t) => {
  const lab = await labFor(t);
  const f = await dualTor(lab, { bfd: BFD, holdTime: HOLD_TIME_S, keepaliveTime: 30, tors: ['frr', 'bird'] });
  t.true(f.tors[0].router instanceof Frr && f.tors[1].router instanceof Bird);
  const [tor1, tor2] = f.tors;
  await cutAndFailOver(t, f, tor1, tor2);
  await cutAndFailOver(t, f, tor2, tor1);
  // The plain case too: the ToR's end of the link goes down (the host's end loses its carrier).
  await cutAndFailOver(t, f, tor1, tor2, 'down');
});
