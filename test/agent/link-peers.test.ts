// Finding unnumbered peers (the kernel's neighbour table stands in as a fake here; the real one is
// read in test/agent/unnumbered.test.ts at FRR and BIRD) and giving link-local next hops their link.
import test from 'ava';
import pino from 'pino';
import { choosePeer, LinkPeers, type LinkPeersIo, linksOf } from '../../src/agent/link-peers.js';

test('choosePeer keeps the current peer, else prefers a router, else the lowest address', (t) => {
  const n = (address: string, router = false) => ({ address, router });
  t.is(choosePeer([], undefined), undefined);
  t.is(choosePeer([n('fe80::9'), n('fe80::2')], undefined), 'fe80::2');
  t.is(choosePeer([n('fe80::2'), n('fe80::9', true)], undefined), 'fe80::9');
  t.is(choosePeer([n('fe80::2'), n('fe80::9', true)], 'fe80::2'), 'fe80::2');
  t.is(choosePeer([n('fe80::9', true)], 'fe80::2'), 'fe80::9');
});

test('linksOf: interface peers are discovered, fe80::…%IF peers only need their link', (t) => {
  t.deepEqual(linksOf([{ interface: 'eth1' }, { peerIP: 'fe80::2%eth2' }, { peerIP: '10.0.0.1' }]), {
    discover: ['eth1'],
    known: ['eth2'],
    scoped: [{ address: 'fe80::2', ifname: 'eth2' }],
  });
});

test('LinkPeers: finds the router, advertises until then, scopes its next hops, reports a change once', async (t) => {
  const table = new Map([['eth1', { ifindex: 7, neighbours: [] as { address: string; router: boolean }[] }]]);
  const advertised: string[] = [];
  const io: LinkPeersIo = {
    neighbours: async (ifname) => table.get(ifname),
    advertise: (ifname) => advertised.push(ifname),
  };
  let changes = 0;
  const links = new LinkPeers(pino({ level: 'silent' }), () => changes++, io);
  links.watch(['eth1'], []);
  await new Promise((r) => setTimeout(r, 50));
  t.is(links.peerOn('eth1'), undefined);
  t.deepEqual(advertised, ['eth1']);
  table.get('eth1')!.neighbours.push({ address: 'fe80::1', router: true });
  await new Promise((r) => setTimeout(r, 1200));
  links.close();
  t.is(links.peerOn('eth1'), 'fe80::1');
  t.true(changes >= 1);
  t.deepEqual(links.scope(['fe80::1', '10.0.0.1', 'fe80::5']), ['fe80::1%7', '10.0.0.1', 'fe80::5']);
});
