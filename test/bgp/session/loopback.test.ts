// Two tsroute speakers in this process, over 127.0.0.0/8: sessions, routes both ways, attributes,
// withdrawals, collision resolution, hold-time negotiation and the public views. No namespaces needed.
import test from 'ava';
import { type BestPathEvent, BgpSpeaker, type PeerOptions } from '../../../bgp/index.js';
import { freePort, waitFor } from '../../../src/lab/index.js';

async function pair(
  a: { asn: number; extra?: Partial<PeerOptions> },
  b: { asn: number; extra?: Partial<PeerOptions> },
  opts: { multipath?: number } = {},
) {
  const [pa, pb] = [await freePort(), await freePort()];
  const sa = new BgpSpeaker({ asn: a.asn, routerId: '1.1.1.1', listen: { address: '127.0.0.1', port: pa }, ...opts });
  const sb = new BgpSpeaker({ asn: b.asn, routerId: '2.2.2.2', listen: { address: '127.0.0.2', port: pb } });
  const timers = { connectRetry: 1, holdTime: 9 };
  sa.addPeer({ address: '127.0.0.2', port: pb, asn: b.asn, localAddress: '127.0.0.1', ...timers, ...a.extra });
  sb.addPeer({ address: '127.0.0.1', port: pa, asn: a.asn, localAddress: '127.0.0.2', ...timers, ...b.extra });
  await Promise.all([sa.start(), sb.start()]);
  return { sa, sb };
}

const established = (s: BgpSpeaker) => s.peers().every((p) => p.state === 'Established');

test('eBGP: session up quickly, routes with communities and MED flow, withdrawals propagate', async (t) => {
  const { sa, sb } = await pair({ asn: 65001 }, { asn: 65002 });
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  const started = Date.now();
  await waitFor('both Established', () => established(sa) && established(sb));
  t.log(`Established after ${Date.now() - started} ms`);
  t.true(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
  const events: BestPathEvent[] = [];
  sb.on('best-path-changed', (e) => events.push(e));
  sa.announce('10.1.0.0/24', { communities: ['65001:100'], largeCommunities: ['65001:1:2'], med: 7 });
  sa.announce('fd00:1::/48');
  const v4 = await waitFor('v4 at B', () => sb.locRib({ prefix: '10.1.0.0/24' })[0]);
  t.deepEqual(v4.asPath, [65001]);
  t.is(v4.nextHop, '127.0.0.1');
  t.deepEqual(v4.communities, ['65001:100']);
  t.deepEqual(v4.largeCommunities, ['65001:1:2']);
  t.is(v4.med, 7);
  t.is(v4.localPref, undefined);
  const v6 = await waitFor('v6 at B', () => sb.locRib({ prefix: 'fd00:1::/48' })[0]);
  t.is(v6.nextHop, '::ffff:127.0.0.1');
  t.like(
    events.find((e) => e.prefix === '10.1.0.0/24'),
    { withdrawn: false, nextHops: ['127.0.0.1'], local: false },
  );
  t.deepEqual(
    sa
      .adjRibOut('127.0.0.2')
      .map((r) => r.prefix)
      .sort(),
    ['10.1.0.0/24', 'fd00:1::/48'],
  );
  const status = sb.peer('127.0.0.1')!;
  t.deepEqual(status.capabilities?.families, ['ipv4', 'ipv6']);
  t.true(status.capabilities?.fourOctetAs);
  t.is(status.capabilities?.holdTime, 9);
  t.is(status.counters.prefixesAccepted, 2);
  sa.withdraw('10.1.0.0/24');
  await waitFor('withdrawn at B', () => sb.locRib({ prefix: '10.1.0.0/24' }).length === 0);
  await waitFor('withdraw event', () => events.some((e) => e.prefix === '10.1.0.0/24' && e.withdrawn));
  t.pass();
});

test('iBGP: LOCAL_PREF carried, next hop kept, 4-octet AS numbers', async (t) => {
  const { sa, sb } = await pair({ asn: 4200000001 }, { asn: 4200000001 });
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  await waitFor('both Established', () => established(sa) && established(sb));
  sa.announce('10.2.0.0/24', { localPref: 250, nextHop: '127.0.0.9' });
  const r = await waitFor('route at B', () => sb.locRib({ prefix: '10.2.0.0/24' })[0]);
  t.is(r.localPref, 250);
  t.is(r.nextHop, '127.0.0.9');
  t.deepEqual(r.asPath, []);
  t.is(sb.peer('127.0.0.1')!.type, 'ibgp');
});

test('a wrong peer AS is refused with an OPEN error and the session never comes up', async (t) => {
  const { sa, sb } = await pair({ asn: 65001, extra: { asn: 65099 } }, { asn: 65002 });
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  await waitFor('A reports the bad peer AS', () => sa.peer('127.0.0.2')!.lastError?.includes('65002'));
  t.not(sa.peer('127.0.0.2')!.state, 'Established');
});

test('export policy rejecting a range and adding a community; import policy setting LOCAL_PREF', async (t) => {
  const { sa, sb } = await pair(
    {
      asn: 65001,
      extra: {
        exportPolicy: {
          rules: [
            { match: { prefixes: [{ prefix: '10.9.0.0/16', le: 32 }] }, action: 'reject' },
            { set: { addCommunities: ['65001:42'] }, action: 'accept' },
          ],
        },
      },
    },
    { asn: 65002, extra: { importPolicy: { rules: [{ set: { localPref: 300 } }] } } },
  );
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  await waitFor('both Established', () => established(sa) && established(sb));
  sa.announce('10.9.1.0/24');
  sa.announce('10.8.1.0/24');
  const r = await waitFor('10.8.1.0/24 at B', () => sb.locRib({ prefix: '10.8.1.0/24' })[0]);
  t.deepEqual(r.communities, ['65001:42']);
  t.is(r.localPref, 300);
  t.deepEqual(sb.locRib({ prefix: '10.9.1.0/24' }), []);
});

test('max-prefix: exceeding the limit closes the session with Cease/max-prefix', async (t) => {
  const { sa, sb } = await pair({ asn: 65001 }, { asn: 65002, extra: { maxPrefix: 2 } });
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  await waitFor('both Established', () => established(sa) && established(sb));
  for (const p of ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24']) sa.announce(p);
  await waitFor('A hears Cease/1', () => sa.peer('127.0.0.2')!.lastError?.startsWith('received NOTIFICATION 6/1'));
  await waitFor('B drops the routes', () => sb.locRib().length === 0);
  t.not(sb.peer('127.0.0.1')!.state, 'Established');
});

test('removePeer sends Cease/peer de-configured and withdraws its routes', async (t) => {
  const { sa, sb } = await pair({ asn: 65001 }, { asn: 65002 });
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  await waitFor('both Established', () => established(sa) && established(sb));
  sb.announce('10.3.0.0/24');
  await waitFor('route at A', () => sa.locRib({ prefix: '10.3.0.0/24' }).length === 1);
  sb.removePeer('127.0.0.1');
  await waitFor('A hears Cease/3', () => sa.peer('127.0.0.2')!.lastError?.startsWith('received NOTIFICATION 6/3'));
  t.deepEqual(sa.locRib({ prefix: '10.3.0.0/24' }), []);
});

test('IPv4 and IPv6 both ways with a 4-octet AS: attributes arrive, an IPv6 withdrawal propagates', async (t) => {
  const { sa, sb } = await pair({ asn: 65001 }, { asn: 4200000002 });
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  await waitFor('both Established', () => established(sa) && established(sb));
  sa.announce('10.7.0.0/24', { communities: ['65001:7'], largeCommunities: ['65001:7:7'], med: 3 });
  sb.announce('fd00:7::/48', { communities: ['65002:9'] });
  sb.announce('10.8.0.0/16');
  const atB = await waitFor('v4 at B', () => sb.locRib({ prefix: '10.7.0.0/24' })[0]);
  t.deepEqual(atB.communities, ['65001:7']);
  t.deepEqual(atB.largeCommunities, ['65001:7:7']);
  t.is(atB.med, 3);
  const v6 = await waitFor('v6 at A', () => sa.locRib({ prefix: 'fd00:7::/48' })[0]);
  t.deepEqual(v6.asPath, [4200000002]);
  t.deepEqual(v6.communities, ['65002:9']);
  t.is(v6.nextHop, '::ffff:127.0.0.2');
  await waitFor('v4 at A', () => sa.locRib({ prefix: '10.8.0.0/16' })[0]);
  sb.withdraw('fd00:7::/48');
  await waitFor('v6 withdrawn at A', () => sa.locRib({ prefix: 'fd00:7::/48' }).length === 0);
  t.deepEqual(
    sb.adjRibOut('127.0.0.1').map((r) => r.prefix),
    ['10.8.0.0/16'],
    'the Adj-RIB-Out view shows what the peer still holds',
  );
});

test('churn: waves of announcements and withdrawals (prefix slots freed and reused) leave the peer with exactly our table', async (t) => {
  const { sa, sb } = await pair({ asn: 65001 }, { asn: 65002 });
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  await waitFor('both Established', () => established(sa) && established(sb));
  let seed = 42;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return Math.floor((seed / 2 ** 32) * n);
  };
  const prefixOf = (i: number) => (i % 5 === 0 ? `fd00:${i.toString(16)}::/48` : `10.${i >> 8}.${i & 255}.0/24`);
  const mine = new Set<string>();
  for (let wave = 0; wave < 6; wave++) {
    for (let k = 0; k < 3000; k++) {
      const p = prefixOf(rnd(4000));
      if (mine.has(p) && rnd(2) === 0) {
        sa.withdraw(p);
        mine.delete(p);
      } else {
        sa.announce(p, { med: wave });
        mine.add(p);
      }
    }
    const want = [...mine].sort().join(' ');
    const seen = () =>
      sb
        .locRib()
        .map((r) => r.prefix)
        .sort()
        .join(' ');
    await waitFor(`wave ${wave}: B holds exactly A's ${mine.size} prefixes`, () => seen() === want, {
      timeoutMs: 20_000,
    });
    t.is(seen(), want, `wave ${wave}`);
  }
  t.is(sa.peer('127.0.0.2')!.counters.prefixesAdvertised, mine.size);
});

test('the start-up warm-up (a synthetic table through a throwaway engine) leaves nothing in the RIB and sends nothing', async (t) => {
  const lines: string[] = [];
  const logger = {
    debug: (_o: object, m?: string) => lines.push(m ?? ''),
    info() {},
    warn: (_o: object, m?: string) => lines.push(`warn: ${m}`),
    error() {},
  };
  const [pa, pb] = [await freePort(), await freePort()];
  const sa = new BgpSpeaker({ asn: 65001, routerId: '1.1.1.1', listen: { address: '127.0.0.1', port: pa }, logger });
  const sb = new BgpSpeaker({ asn: 65002, routerId: '2.2.2.2', listen: { address: '127.0.0.2', port: pb } });
  t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
  sa.addPeer({ address: '127.0.0.2', port: pb, asn: 65002, localAddress: '127.0.0.1', connectRetry: 1, holdTime: 9 });
  sb.addPeer({ address: '127.0.0.1', port: pa, asn: 65001, localAddress: '127.0.0.2', connectRetry: 1, holdTime: 9 });
  await Promise.all([sa.start(), sb.start()]);
  await waitFor('warmed up', () => lines.includes('speaker warmed up'), { timeoutMs: 60_000 });
  await waitFor('both Established', () => established(sa) && established(sb));
  t.false(
    lines.some((l) => l.startsWith('warn')),
    lines.join('\n'),
  );
  t.deepEqual(sa.stats(), { prefixes: 0, attributeSets: 0, peers: 1, established: 1 });
  t.deepEqual(sb.locRib(), [], 'nothing of the synthetic table reached the peer');
  t.is(sb.peer('127.0.0.1')!.counters.prefixesReceived, 0);
});
