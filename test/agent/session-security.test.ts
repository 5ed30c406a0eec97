// BGP session security and addressing, end to end: real `tsroute node run` agents in namespaces
// against real FRR and BIRD, with the BGPPeer settings applied through the CLI. What is checked is
// what the router sees (which of our addresses the session comes from, whether it comes up at all)
// and what `node status` tells a person when it does not.
import { writeFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import type { Peer } from '../../src/api/types.js';
import { type LabAgent, startAgent } from '../../src/lab/agent.js';
import {
  Bird,
  Frr,
  type Lab,
  type Netns,
  type PeerSpec,
  type Router,
  sleep,
  startEtcd,
  waitFor,
} from '../../src/lab/index.js';
import { apply, bgpConfigYaml, poolYaml } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

/** A BGPPeer for node h1 (any spec, nested fields included, as YAML through JSON). */
function peerDoc(name: string, spec: Record<string, unknown>): string {
  return `apiVersion: tsroute.io/v1
kind: BGPPeer
metadata:
  name: ${name}
spec: ${JSON.stringify({ node: 'h1', ...spec })}
---
`;
}

interface OneHost {
  lab: Lab;
  etcdApply: (yaml: string) => Promise<void>;
  agent: LabAgent;
}

/** etcd, the manifests, and one agent (h1, AS 65001) in `ns` with `bgpAddress`. */
async function startHost(
  lab: Lab,
  ns: Netns,
  bgpAddress: string,
  manifests: string,
  env?: NodeJS.ProcessEnv,
): Promise<OneHost> {
  const etcd = await startEtcd(lab);
  await apply(lab, etcd, poolYaml('pool4', '10.65.0.0/16', 26) + bgpConfigYaml(64512, false) + manifests);
  const agent = await startAgent(lab, ns, { name: 'h1', etcd, bgpAddress, as: 65001, env });
  return { lab, agent, etcdApply: (yaml) => apply(lab, etcd, yaml) };
}

async function agentPeer(agent: LabAgent, address: string): Promise<Peer | undefined> {
  return (await agent.status()).peers.find((p) => p.address === address);
}

async function routerState(router: Router, peer: string): Promise<string> {
  return (await router.sessions()).find((s) => s.peer === peer)?.state ?? 'Unknown';
}

/** Waits until the agent and the router both have the session Established. */
async function established(t: ExecutionContext, agent: LabAgent, router: Router, ours: string, theirs: string) {
  await waitFor(
    `session ${ours} ↔ ${theirs} Established at the agent and at ${router.kind}`,
    async () =>
      (await agentPeer(agent, ours))?.state === 'Established' && (await routerState(router, theirs)) === 'Established',
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  t.pass();
}

/**
 * Watches the session for `ms` and fails if it is ever Established on either side; returns the
 * agent's last word on it.
 */
async function neverUp(
  t: ExecutionContext,
  agent: LabAgent,
  router: Router,
  ours: string,
  theirs: string,
  ms = 8000,
): Promise<Peer | undefined> {
  // A session that was up before the change must first go down.
  await waitFor(
    `session ${ours} to leave Established`,
    async () =>
      (await agentPeer(agent, ours))?.state !== 'Established' && (await routerState(router, theirs)) !== 'Established',
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  const until = Date.now() + ms;
  let last: Peer | undefined;
  while (Date.now() < until) {
    last = await agentPeer(agent, ours);
    t.not(last?.state, 'Established', `agent: session to ${ours} came up`);
    t.not(await routerState(router, theirs), 'Established', `${router.kind}: session from ${theirs} came up`);
    await sleep(400);
  }
  return last;
}

test('sourceAddress: UseNodeIP binds the node IP, None lets the kernel choose, an address binds it (seen at FRR)', async (t) => {
  const lab = await labFor(t);
  const tor = await lab.namespace('tor', { forwarding: true });
  const h1 = await lab.namespace('h1', { forwarding: true });
  // The kernel's own choice toward the ToR is the link's first address (10.0.1.2); the node's BGP
  // address is a second one (10.0.1.3), and 10.0.1.4 is a third.
  await lab.link(tor, '10.0.1.1/24', h1, ['10.0.1.2/24', '10.0.1.3/24', '10.0.1.4/24'], {
    aIf: 'to-h1',
    bIf: 'uplink',
  });
  // FRR only listens (passive): the session's remote address at FRR is the one our connection came from.
  const neighbors: PeerSpec[] = ['10.0.1.2', '10.0.1.3', '10.0.1.4'].map((address) => ({
    address,
    as: 65001,
    passive: true,
  }));
  const frr = await Frr.start(lab, tor, { routerId: '10.0.1.1', as: 65000, peers: neighbors });
  const torPeer = { peerIP: '10.0.1.1', asNumber: 65000 };
  const host = await startHost(lab, h1, '10.0.1.3', peerDoc('tor', { ...torPeer, sourceAddress: 'UseNodeIP' }));

  const upFrom = async (expected: string) => {
    await established(t, host.agent, frr, '10.0.1.1', expected);
    const states = await frr.sessions();
    t.deepEqual(
      states.filter((s) => s.state === 'Established').map((s) => s.peer),
      [expected],
      `FRR sees exactly one session, from ${expected}`,
    );
  };
  await upFrom('10.0.1.3');
  await host.etcdApply(peerDoc('tor', { ...torPeer, sourceAddress: 'None' }));
  await upFrom('10.0.1.2');
  await host.etcdApply(peerDoc('tor', { ...torPeer, sourceAddress: '10.0.1.4' }));
  await upFrom('10.0.1.4');
  // Unset means UseNodeIP, the documented default.
  await host.etcdApply(peerDoc('tor', torPeer));
  await upFrom('10.0.1.3');
});

for (const kind of ['frr', 'bird'] as const) {
  test(`TCP-MD5 with ${kind}: the right password carries routes, a wrong or missing one never comes up and status says why`, async (t) => {
    const lab = await labFor(t);
    const torNs = await lab.namespace('tor', { forwarding: true });
    const h1 = await lab.namespace('h1', { forwarding: true });
    await lab.link(torNs, '10.0.1.1/24', h1, '10.0.1.2/24', { aIf: 'to-h1', bIf: 'uplink' });
    const secret = 'tsr-md5-s3cret';
    const spec = {
      routerId: '10.0.1.1',
      as: 65000,
      peers: [{ address: '10.0.1.2', as: 65001, localAddress: '10.0.1.1', password: secret }],
      originate: ['10.200.0.0/24'],
    };
    const router = kind === 'frr' ? await Frr.start(lab, torNs, spec) : await Bird.start(lab, torNs, spec);
    const right = lab.path('md5-right');
    const wrong = lab.path('md5-wrong');
    writeFileSync(right, `${secret}\n`);
    writeFileSync(wrong, 'not-the-secret\n');
    const torPeer = { peerIP: '10.0.1.1', asNumber: 65000 };
    const host = await startHost(lab, h1, '10.0.1.2', peerDoc('tor', { ...torPeer, password: { fromFile: right } }), {
      TSR_BGP_MD5: secret,
    });

    await established(t, host.agent, router, '10.0.1.1', '10.0.1.2');
    const route = await waitFor('10.200.0.0/24 from the ToR in h1 kernel', async () => {
      const r = await h1.route('10.200.0.0/24');
      return r?.protocol === 'bgp' ? r : undefined;
    });
    t.is(route.gateway, '10.0.1.1');

    await host.etcdApply(peerDoc('tor', { ...torPeer, password: { fromFile: wrong } }));
    const wrongKey = await neverUp(t, host.agent, router, '10.0.1.1', '10.0.1.2');
    t.regex(wrongKey?.info ?? '', /no answer .*TCP-MD5 is configured: check the password on both sides/);
    t.notRegex(wrongKey?.info ?? '', /s3cret|not-the-secret/, 'the password never shows');

    await host.etcdApply(peerDoc('tor', torPeer));
    const missing = await neverUp(t, host.agent, router, '10.0.1.1', '10.0.1.2');
    t.regex(missing?.info ?? '', /if the peer requires TCP-MD5, set spec.password/);

    await host.etcdApply(peerDoc('tor', { ...torPeer, password: { fromFile: lab.path('no-such-file') } }));
    await waitFor('an unreadable password file to show in node status', async () =>
      /not started: cannot read password file .*no-such-file: ENOENT/.test(
        (await agentPeer(host.agent, '10.0.1.1'))?.info ?? '',
      ),
    );
    const out = await host.agent.cli(['node', 'status']);
    t.regex(out.stdout, /10\.0\.1\.1\s+65000\s+node\s+Idle.*not started: cannot read password file/);

    await host.etcdApply(peerDoc('tor', { ...torPeer, password: { fromEnv: 'TSR_NOT_SET' } }));
    await waitFor('an unset password variable to show in node status', async () =>
      /not started: password variable TSR_NOT_SET is not set/.test(
        (await agentPeer(host.agent, '10.0.1.1'))?.info ?? '',
      ),
    );

    // The right password again, from the agent's environment this time: the session returns.
    await host.etcdApply(peerDoc('tor', { ...torPeer, password: { fromEnv: 'TSR_BGP_MD5' } }));
    await established(t, host.agent, router, '10.0.1.1', '10.0.1.2');
  });
}

test('GTSM (ttlSecurity): a peer one hop away comes up, two hops away is refused until ttlSecurity is 2 (FRR)', async (t) => {
  const lab = await labFor(t);
  const h1 = await lab.namespace('h1', { forwarding: true });
  const nearNs = await lab.namespace('near', { forwarding: true });
  const mid = await lab.namespace('mid', { forwarding: true });
  const farNs = await lab.namespace('far', { forwarding: true });
  await lab.link(nearNs, '10.0.1.1/24', h1, '10.0.1.2/24', { aIf: 'to-h1', bIf: 'uplink' });
  await lab.link(mid, '10.0.2.1/24', h1, '10.0.2.2/24', { aIf: 'to-h1', bIf: 'link2' });
  await lab.link(mid, '10.0.3.1/24', farNs, '10.0.3.2/24', { aIf: 'to-far', bIf: 'to-mid' });
  await h1.ip('route', 'add', '10.0.3.0/24', 'via', '10.0.2.1');
  await farNs.ip('route', 'add', '10.0.2.0/24', 'via', '10.0.3.1');
  // near requires TTL 255 from us (hops 1): it comes up only if we send 255.
  const near = await Frr.start(lab, nearNs, {
    routerId: '10.0.1.1',
    as: 65000,
    peers: [{ address: '10.0.1.2', as: 65001, ttlSecurity: 1 }],
  });
  // far sends 255 and accepts 254 (hops 2): from its side the session is fine; only our check can refuse it.
  const far = await Frr.start(lab, farNs, {
    routerId: '10.0.3.2',
    as: 65002,
    peers: [{ address: '10.0.2.2', as: 65001, ttlSecurity: 2, localAddress: '10.0.3.2' }],
  });
  const farPeer = { peerIP: '10.0.3.2', asNumber: 65002, sourceAddress: 'None' };
  const host = await startHost(
    lab,
    h1,
    '10.0.1.2',
    peerDoc('near', { peerIP: '10.0.1.1', asNumber: 65000, ttlSecurity: 1 }) +
      peerDoc('far', { ...farPeer, ttlSecurity: 1 }),
  );
  await established(t, host.agent, near, '10.0.1.1', '10.0.1.2');
  await neverUp(t, host.agent, far, '10.0.3.2', '10.0.2.2');
  await host.etcdApply(peerDoc('far', { ...farPeer, ttlSecurity: 2 }));
  await established(t, host.agent, far, '10.0.3.2', '10.0.2.2');
  t.is((await agentPeer(host.agent, '10.0.1.1'))?.state, 'Established', 'the near session was not touched');
});

for (const kind of ['frr', 'bird'] as const) {
  test(`eBGP multihop to a ${kind} ToR loopback two hops away: refused at TTL 1 (status says why), up with ebgpMultihop 2`, async (t) => {
    const lab = await labFor(t);
    const h1 = await lab.namespace('h1', { forwarding: true });
    const mid = await lab.namespace('mid', { forwarding: true });
    const torNs = await lab.namespace('tor', { forwarding: true });
    await lab.link(mid, '10.0.2.1/24', h1, '10.0.2.2/24', { aIf: 'to-h1', bIf: 'uplink' });
    await lab.link(mid, '10.0.3.1/24', torNs, '10.0.3.2/24', { aIf: 'to-tor', bIf: 'to-mid' });
    await torNs.ip('addr', 'add', '10.255.0.1/32', 'dev', 'lo');
    await h1.ip('route', 'add', '10.255.0.1/32', 'via', '10.0.2.1');
    await mid.ip('route', 'add', '10.255.0.1/32', 'via', '10.0.3.2');
    await torNs.ip('route', 'add', '10.0.2.0/24', 'via', '10.0.3.1');
    const spec = {
      routerId: '10.255.0.1',
      as: 65000,
      peers: [{ address: '10.0.2.2', as: 65001, localAddress: '10.255.0.1', multihop: 2 }],
      originate: ['10.200.0.0/24'],
    };
    const router = kind === 'frr' ? await Frr.start(lab, torNs, spec) : await Bird.start(lab, torNs, spec);
    const torPeer = { peerIP: '10.255.0.1', asNumber: 65000 };
    const host = await startHost(lab, h1, '10.0.2.2', peerDoc('tor', torPeer));

    const single = await neverUp(t, host.agent, router, '10.255.0.1', '10.0.2.2');
    t.regex(single?.info ?? '', /eBGP sends TTL 1: set spec.ebgpMultihop/);

    await host.etcdApply(peerDoc('tor', { ...torPeer, ebgpMultihop: 2 }));
    await established(t, host.agent, router, '10.255.0.1', '10.0.2.2');
    const accepted = await waitFor('the ToR route accepted over the multihop session', async () => {
      const p = await agentPeer(host.agent, '10.255.0.1');
      return p && p.routesAccepted >= 1 ? p.routesAccepted : undefined;
    });
    t.true(accepted >= 1);
  });
}

test('node-to-node mesh between nodes of different ASes routed apart keeps the kernel TTL (no BGPPeer to set ebgpMultihop on)', async (t) => {
  const lab = await labFor(t);
  const r = await lab.namespace('r', { forwarding: true });
  const h1 = await lab.namespace('h1', { forwarding: true });
  const h2 = await lab.namespace('h2', { forwarding: true });
  await lab.link(r, '10.0.1.1/24', h1, '10.0.1.2/24', { aIf: 'to-h1', bIf: 'uplink' });
  await lab.link(r, '10.0.2.1/24', h2, '10.0.2.2/24', { aIf: 'to-h2', bIf: 'uplink' });
  await h1.ip('route', 'add', '10.0.2.0/24', 'via', '10.0.1.1');
  await h2.ip('route', 'add', '10.0.1.0/24', 'via', '10.0.2.1');
  const etcd = await startEtcd(lab);
  await apply(lab, etcd, poolYaml('pool4', '10.65.0.0/16', 26) + bgpConfigYaml(64512, true));
  const [a1, a2] = await Promise.all([
    startAgent(lab, h1, { name: 'h1', etcd, bgpAddress: '10.0.1.2', as: 65001 }),
    startAgent(lab, h2, { name: 'h2', etcd, bgpAddress: '10.0.2.2', as: 65002 }),
  ]);
  await waitFor(
    'the eBGP mesh session across the router Established on both nodes',
    async () =>
      (await agentPeer(a1, '10.0.2.2'))?.state === 'Established' &&
      (await agentPeer(a2, '10.0.1.2'))?.state === 'Established',
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  t.is((await agentPeer(a1, '10.0.2.2'))?.asNumber, 65002);
});
