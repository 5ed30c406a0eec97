// What the engine tells an ADD-PATH peer (RFC 7911 send), step by step: every exported path of a
// prefix under its own identifier, nothing again for a path that did not change, a withdrawal naming
// only the identifier that went, and everything again on a re-send (ROUTE-REFRESH). A peer without
// ADD-PATH in the same engine still gets the best path only. (The wire effect at GoBGP is in
// test/bgp/interop/add-path.test.ts.)
import test from 'ava';
import type { AddressFamily } from '../../../bgp/config.js';
import { compilePolicy } from '../../../bgp/policy/evaluate.js';
import { AS_SEQUENCE } from '../../../bgp/rib/attributes.js';
import type { PathSource } from '../../../bgp/rib/path.js';
import { PathIdSlotPrefixes } from '../../../bgp/rib/slot-prefixes.js';
import { RouteEngine, type SessionPort, yieldToLoop } from '../../../bgp/route-engine.js';
import type { UpdateBatch } from '../../../bgp/session/codec.js';
import { decodeMessage } from '../../../bgp/wire/decode.js';
import type { UpdateMessage, WireContext } from '../../../bgp/wire/types.js';
import { encodeUpdate } from '../../../bgp/wire/update-encode.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const PREFIX = '10.5.0.0/24';

function port(address: string, asn: number, addPath: boolean, batches: UpdateBatch[]): SessionPort {
  const source: PathSource = { id: asn, kind: 'ebgp', address, routerId: address, asn, rrClient: false };
  return {
    source,
    target: { kind: 'ebgp', address, routerId: address, rrClient: false, selfIpv4: '192.0.2.254' },
    families: new Set<AddressFamily>(['ipv4']),
    addPathSend: new Set<AddressFamily>(addPath ? ['ipv4'] : []),
    importPolicy: compilePolicy(undefined),
    exportPolicy: compilePolicy(undefined),
    sendBatch: (b) => batches.push(b) > 0,
    sendEndOfRib: () => {},
    drained: () => Promise.resolve(),
    pauseInput: () => {},
    received: 0,
    closed: false,
  };
}

/** The batches' announcements and withdrawals as "prefix#id" (or "prefix" without identifiers). */
function seen(batches: UpdateBatch[]) {
  const list = (s: UpdateBatch['withdraw']) =>
    Array.from({ length: s.count }, (_, i) =>
      s instanceof PathIdSlotPrefixes ? `${s.text(i)}#${s.ids[i]}` : s.text(i),
    );
  const out = {
    announced: batches.flatMap((b) => b.announce.flatMap((g) => list(g.prefixes))),
    withdrawn: batches.flatMap((b) => list(b.withdraw)),
  };
  batches.length = 0;
  return out;
}

async function settled(engine: RouteEngine) {
  do await yieldToLoop();
  while (engine.busy || engine.rib.pendingCount > 0);
}

test('an ADD-PATH peer gets every path with its identifier; a plain peer gets the best only', async (t) => {
  const engine = new RouteEngine({ asn: 65001, routerId: '192.0.2.254', clusterId: '192.0.2.254' }, 1, silent);
  const toAddPath: UpdateBatch[] = [];
  const toPlain: UpdateBatch[] = [];
  const a = port('192.0.2.1', 65010, false, []);
  const b = port('192.0.2.2', 65020, false, []);
  const out = port('192.0.2.3', 65030, true, toAddPath);
  const plain = port('192.0.2.4', 65040, false, toPlain);
  for (const p of [a, b, out, plain]) engine.addSession(p);
  // What a peer sends, decoded as the session decodes it (prefixes left in wire form).
  const ctx: WireContext = { fourOctetAs: true, ebgp: true, wireNlri: true };
  const update = (withdraw: boolean, asns: number[], nextHop: string) => {
    const none = { prefixes: [] };
    const bytes = withdraw
      ? encodeUpdate({ withdrawn: { prefixes: [PREFIX] }, attributes: {}, nlri: none }, ctx)
      : encodeUpdate(
          {
            withdrawn: none,
            attributes: { origin: 0, asPath: [{ type: AS_SEQUENCE, asns }], nextHop },
            nlri: { prefixes: [PREFIX] },
          },
          ctx,
        );
    return decodeMessage(bytes, ctx).message as UpdateMessage;
  };
  await settled(engine);
  seen(toAddPath);
  seen(toPlain);

  engine.importUpdate(a, update(false, [65010], '192.0.2.1'));
  engine.importUpdate(b, update(false, [65020, 65021], '192.0.2.2'));
  await settled(engine);
  const first = seen(toAddPath);
  t.is(first.announced.length, 2, `both paths: ${first.announced}`);
  t.is(new Set(first.announced).size, 2, 'under two identifiers');
  t.true(first.announced.every((x) => x.startsWith(`${PREFIX}#`)));
  t.deepEqual(seen(toPlain).announced, [PREFIX], 'the plain peer: one announcement');
  const held = [...engine.advertised(out)];
  t.is(held.length, 2, 'the Adj-RIB-Out view lists both');
  const viaA = held.find(([, set]) => set.asPath.some((seg) => seg.asns.includes(65010)))!;

  // The same path again: nothing new for anyone.
  engine.importUpdate(b, update(false, [65020, 65021], '192.0.2.2'));
  await settled(engine);
  t.deepEqual(seen(toAddPath), { announced: [], withdrawn: [] });

  // The better path goes: the ADD-PATH peer is told to withdraw exactly its identifier.
  engine.importUpdate(a, update(true, [], ''));
  await settled(engine);
  const after = seen(toAddPath);
  t.deepEqual(after.withdrawn, [`${PREFIX}#${viaA[2]}`], "the identifier of a's path, and only it");
  t.deepEqual(after.announced, [], 'the other path is not sent again');

  // A re-send (ROUTE-REFRESH) sends what it holds again.
  await engine.sendTable(out, { resend: true });
  await settled(engine);
  t.deepEqual(
    seen(toAddPath).announced,
    first.announced.filter((x) => x !== after.withdrawn[0]),
  );
});
