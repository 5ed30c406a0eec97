// Golden vectors from real routers (test/fixtures/bgp/*.json, made by test/fixtures/bgp/capture.ts):
// every captured message decodes without error, and the routes, withdrawals, End-of-RIB markers,
// OPEN capabilities and NOTIFICATIONs read out of the bytes are what the routers themselves reported.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { decodeMessage } from '../../../bgp/wire/decode.js';
import type { Attributes, Message, NotificationMessage, OpenMessage, UpdateMessage } from '../../../bgp/wire/types.js';
import type { RibRoute } from '../../../src/lab/index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/bgp');

interface Fixture {
  routers: Record<string, { v4: string; v6: string; as: number }>;
  withdrawn: Record<string, string[]>;
  stopped: string;
  shutdownCommunication: string;
  reported: Record<string, { ipv4: RibRoute[]; ipv6: RibRoute[] }>;
  messages: { from: string; transport: 'ipv4' | 'ipv6'; index: number; hex: string }[];
}

const ctx = { fourOctetAs: true, ebgp: true };
const community = (c: number) => `${c >>> 16}:${c & 0xffff}`;
const sorted = (xs: string[] | undefined) => [...(xs ?? [])].sort();

/**
 * What each capture holds. GoBGP, told to disable the IPv4 session and then stopped, sends
 * Cease/Peer De-configured (RFC 4486) on both sessions. FRR shuts the IPv4 session down with an
 * RFC 8203 shutdown communication (Cease/Administrative Shutdown) and refused BIRD's colliding IPv6
 * connection with an FSM error (5/0); stopped, it sent nothing more.
 */
const NOTIFICATIONS: Record<string, [number, number][]> = {
  'bird-gobgp.json': [
    [6, 3],
    [6, 3],
  ],
  'bird-frr.json': [
    [5, 0],
    [6, 2],
  ],
};

const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('fixtures exist for BIRD ⇄ GoBGP and BIRD ⇄ FRR', (t) => {
  t.deepEqual(fixtures.sort(), ['bird-frr.json', 'bird-gobgp.json']);
});

for (const name of fixtures) {
  const fx = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Fixture;
  const decoded = fx.messages.map((m) => ({ ...m, d: decodeMessage(Buffer.from(m.hex, 'hex'), ctx) }));
  const from = (router: string) =>
    decoded.filter((m) => m.from === router && m.d.message).map((m) => ({ ...m, msg: m.d.message as Message }));
  const names = Object.keys(fx.routers);

  test(`${name}: every one of the ${fx.messages.length} captured messages decodes cleanly`, (t) => {
    for (const m of decoded)
      t.deepEqual([m.d.action, m.d.errors], ['none', []], `${m.from}/${m.transport} #${m.index}`);
  });

  test(`${name}: OPENs carry each router's AS, identifier, families and graceful restart`, (t) => {
    for (const r of names) {
      const opens = from(r).filter((m) => m.msg.type === 'open');
      t.true(opens.length >= 2, `${r} opened both sessions`);
      for (const o of opens) {
        const open = o.msg as OpenMessage;
        t.is(open.bgpId, fx.routers[r]!.v4);
        t.is(open.myAs, fx.routers[r]!.as);
        t.like(
          open.capabilities.find((c) => c.kind === 'four-octet-as'),
          { asn: fx.routers[r]!.as },
        );
        t.truthy(
          open.capabilities.find((c) => c.kind === 'multiprotocol' && c.afi === (o.transport === 'ipv4' ? 1 : 2)),
        );
        t.truthy(open.capabilities.find((c) => c.kind === 'graceful-restart'));
      }
    }
  });

  test(`${name}: the routes in the UPDATEs are the routes each receiver reported`, (t) => {
    for (const receiver of names) {
      const sender = names.find((n) => n !== receiver)!;
      const firstSeen = new Map<string, Attributes>();
      for (const m of from(sender)) {
        if (m.msg.type !== 'update') continue;
        const a = m.msg.attributes;
        for (const p of [...m.msg.nlri.prefixes, ...(a.mpReach?.nlri.prefixes ?? [])])
          if (!firstSeen.has(p)) firstSeen.set(p, a);
      }
      const reported = [...fx.reported[receiver]!.ipv4, ...fx.reported[receiver]!.ipv6];
      t.true(reported.length >= 4, `${receiver} reported routes`);
      for (const r of reported) {
        const a = firstSeen.get(r.prefix);
        if (!a) {
          t.fail(`${r.prefix} reported by ${receiver} is in no UPDATE from ${sender}`);
          continue;
        }
        t.deepEqual(
          a.asPath?.flatMap((s) => s.asns),
          r.asPath,
          r.prefix,
        );
        t.deepEqual(sorted(a.communities?.map(community)), sorted(r.communities), r.prefix);
        t.deepEqual(sorted(a.largeCommunities), sorted(r.largeCommunities), r.prefix);
        if (r.med !== undefined) t.is(a.med, r.med, r.prefix);
        const nextHops = [a.nextHop, a.mpReach?.nextHop, a.mpReach?.linkLocal];
        t.true(nextHops.includes(r.nextHop), `${r.prefix}: ${r.nextHop} in ${JSON.stringify(nextHops)}`);
      }
    }
  });

  test(`${name}: withdrawals, End-of-RIB for both families, NOTIFICATIONs`, (t) => {
    for (const r of names) {
      const updates = from(r)
        .map((m) => m.msg)
        .filter((m): m is UpdateMessage => m.type === 'update');
      const withdrawn = updates.flatMap((u) => [
        ...u.withdrawn.prefixes,
        ...(u.attributes.mpUnreach?.withdrawn.prefixes ?? []),
      ]);
      for (const p of fx.withdrawn[r]!) t.true(withdrawn.includes(p), `${r} withdrew ${p}`);
      const empty = (u: UpdateMessage) => !u.withdrawn.prefixes.length && !u.nlri.prefixes.length;
      t.true(
        updates.some((u) => empty(u) && Object.keys(u.attributes).length === 0),
        `${r}: IPv4 End-of-RIB`,
      );
      t.true(
        updates.some(
          (u) =>
            empty(u) && u.attributes.mpUnreach?.afi === 2 && u.attributes.mpUnreach.withdrawn.prefixes.length === 0,
        ),
        `${r}: IPv6 End-of-RIB`,
      );
    }
    const notes = decoded
      .map((m) => m.d.message)
      .filter((m): m is NotificationMessage => m?.type === 'notification')
      .sort((x, y) => x.code - y.code || x.subcode - y.subcode);
    t.deepEqual(
      notes.map((n) => [n.code, n.subcode]),
      NOTIFICATIONS[name],
    );
    // RFC 8203: the text the router was told to send is the text we read.
    for (const n of notes.filter((x) => x.code === 6 && x.subcode === 2))
      t.is(n.shutdownCommunication, fx.shutdownCommunication);
  });
}
