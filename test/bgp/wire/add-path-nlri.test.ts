// RFC 7911 §3 NLRI through the session's encoder and the wire decoder, both families: what the RIB writes with path
// identifiers (PathIdSlotPrefixes) decodes, on a session that receives them, to the same prefixes and
// identifiers — announced (NLRI / MP_REACH_NLRI) and withdrawn (withdrawn routes / MP_UNREACH_NLRI).
import test from 'ava';
import { AS_SEQUENCE, AttrStore } from '../../../bgp/rib/attributes.js';
import { keyText, newScratch, parseKey } from '../../../bgp/rib/prefix-key.js';
import { PrefixTable } from '../../../bgp/rib/prefix-table.js';
import { PathIdSlotPrefixes } from '../../../bgp/rib/slot-prefixes.js';
import { encodeUpdates } from '../../../bgp/session/codec.js';
import { decodeMessage } from '../../../bgp/wire/decode.js';
import type { WireContext, WireNlri } from '../../../bgp/wire/types.js';
import { announcedFields, withdrawnFields } from '../../../bgp/wire/update-decode.js';

const CTX: WireContext = { fourOctetAs: true, ebgp: true, wireNlri: true };

function read(fields: WireNlri[]): string[] {
  const k = newScratch();
  const out: string[] = [];
  for (const f of fields) {
    k.family = f.family === 'ipv4' ? 0 : 1;
    f.forEach(k, () => out.push(`${keyText(k)}#${k.pathId}`));
  }
  return out;
}

for (const [family, prefixes, nextHop] of [
  ['ipv4', ['10.1.0.0/24', '10.1.0.0/24', '10.2.0.0/16'], '10.0.0.1'],
  ['ipv6', ['fd00:1::/48', 'fd00:1::/48', 'fd00:2::/64'], 'fd00::1'],
] as const) {
  test(`${family}: prefixes with path identifiers round-trip, announced and withdrawn`, (t) => {
    const table = new PrefixTable(family === 'ipv4' ? 0 : 1);
    const k = newScratch();
    const slots = prefixes.map((p) => {
      parseKey(p, k);
      return table.findOrAdd(k);
    });
    const ids = [7, 0x80000001, 3];
    const attrs = new AttrStore().intern({ origin: 0, asPath: [{ type: AS_SEQUENCE, asns: [65002] }], nextHop });
    const msgs = encodeUpdates(
      {
        family,
        withdraw: new PathIdSlotPrefixes(table, slots, ids),
        announce: [{ attrs, prefixes: new PathIdSlotPrefixes(table, slots, ids) }],
      },
      CTX,
    );
    const want = prefixes.map((p, i) => `${p}#${ids[i]}`);
    const withdrawn: string[] = [];
    const announced: string[] = [];
    for (const m of msgs) {
      const d = decodeMessage(m, { ...CTX, addPath: { [family]: true } }).message;
      if (d?.type !== 'update') return t.fail(`decoded as ${d?.type}`);
      t.true(
        announcedFields(d)
          .concat(withdrawnFields(d))
          .every((f) => f.addPath),
      );
      withdrawn.push(...read(withdrawnFields(d)));
      announced.push(...read(announcedFields(d)));
    }
    t.deepEqual(withdrawn, want);
    t.deepEqual(announced, want);
  });
}
