// RFC 5492 §5: a peer that refuses our capabilities. No real router here refuses the standard ones,
// so the peer is a scripted one on 127.0.0.0/8: it answers the first OPEN with Unsupported
// Capability listing two, the second with Unsupported Optional Parameter, and takes the third.
import { createServer } from 'node:net';
import test from 'ava';
import { BgpSpeaker } from '../../../bgp/index.js';
import { decodeMessage } from '../../../bgp/wire/decode.js';
import { MessageFramer } from '../../../bgp/wire/framer.js';
import { encodeKeepalive, encodeNotification } from '../../../bgp/wire/message.js';
import { encodeOpen } from '../../../bgp/wire/open.js';
import type { Message, OpenMessage } from '../../../bgp/wire/types.js';
import { freePort, waitFor } from '../../../src/lab/index.js';

test('refused capabilities: 2/7 drops the listed ones, 2/4 drops them all, then plain BGP-4 comes up and works', async (t) => {
  const port = await freePort();
  const opens: OpenMessage[] = [];
  const updates: Message[] = [];
  const server = createServer((socket) => {
    const framer = new MessageFramer();
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      const frames = framer.push(chunk);
      if (!Array.isArray(frames)) return void socket.destroy();
      for (const frame of frames) {
        const m = decodeMessage(frame, { fourOctetAs: false, ebgp: true }).message;
        if (m?.type === 'update') updates.push(m);
        if (m?.type !== 'open') continue;
        opens.push(m);
        // Enhanced route refresh (70, empty) and graceful restart (64, restart time 120) refused.
        if (opens.length === 1) socket.end(encodeNotification(2, 7, Uint8Array.from([70, 0, 64, 2, 0, 120])));
        else if (opens.length === 2) socket.end(encodeNotification(2, 4, new Uint8Array()));
        else {
          socket.write(encodeOpen({ myAs: 65002, holdTime: 9, bgpId: '127.0.0.2', capabilities: [] }));
          socket.write(encodeKeepalive());
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.2', resolve));
  const speaker = new BgpSpeaker({
    asn: 65001,
    routerId: '1.1.1.1',
    listen: false,
    gracefulRestart: { restartTime: 120, restarting: false },
  });
  t.teardown(async () => {
    await speaker.stop();
    server.close();
  });
  speaker.addPeer({ address: '127.0.0.2', port, asn: 65002, localAddress: '127.0.0.1', connectRetry: 1, holdTime: 9 });
  await speaker.start();
  await waitFor('Established on the third OPEN', () => speaker.peer('127.0.0.2')?.state === 'Established', {
    timeoutMs: 20_000,
  });
  const kinds = (o: OpenMessage) => o.capabilities.map((c) => c.kind);
  t.true(kinds(opens[0]!).includes('enhanced-route-refresh') && kinds(opens[0]!).includes('graceful-restart'));
  t.false(kinds(opens[1]!).includes('enhanced-route-refresh'), 'refused capability left out');
  t.false(kinds(opens[1]!).includes('graceful-restart'), 'refused capability left out');
  t.true(kinds(opens[1]!).includes('four-octet-as') && kinds(opens[1]!).includes('route-refresh'), 'the others kept');
  t.deepEqual(opens[2]!.capabilities, [], 'after 2/4, no capabilities at all');
  const status = speaker.peer('127.0.0.2')!;
  t.deepEqual(status.capabilities?.families, ['ipv4']);
  t.false(status.capabilities?.fourOctetAs);
  // The plain session carries routes: IPv4 NLRI, a 2-octet AS path.
  speaker.announce('10.9.0.0/24');
  const update = await waitFor('an UPDATE at the peer', () =>
    updates.find((u) => u.type === 'update' && u.nlri.prefixes.length > 0),
  );
  t.true(update.type === 'update' && update.nlri.prefixes.includes('10.9.0.0/24'));
  t.deepEqual(update.type === 'update' ? update.attributes.asPath : undefined, [{ type: 2, asns: [65001] }]);
});
