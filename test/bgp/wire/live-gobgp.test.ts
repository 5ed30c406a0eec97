// Our encoder against a live peer: a BgpSpeaker on the bgp/wire session codec (OPEN, UPDATEs,
// End-of-RIB all encoded by bgp/wire) peers with GoBGP over IPv4 and IPv6; GoBGP's own RIB (JSON)
// shows the routes with the attributes we sent, and the routes GoBGP sends come back decoded.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { Gobgp, type RibRoute, waitFor } from '../../../src/lab/index.js';
import { labFor } from '../../helpers/lab.js';

const HOST = join(dirname(fileURLToPath(import.meta.url)), 'codec-host.ts');
const US = { v4: '10.98.0.1', v6: 'fd98::1', as: 4200000001 };
const GO = { v4: '10.98.0.2', v6: 'fd98::2', as: 65002 };
const TIMERS = { connectRetry: 1, holdTime: 9, keepalive: 3 };

const announced = [
  {
    prefix: '10.150.1.0/24',
    attrs: { communities: ['65001:100', '65001:7'], largeCommunities: ['4200000001:1:2'], med: 42 },
  },
  { prefix: '10.150.2.128/25', attrs: { communities: ['65001:200'] } },
  { prefix: '10.150.3.0/28' },
  { prefix: 'fd00:150:1::/48', attrs: { communities: ['65001:600'], largeCommunities: ['4200000001:6:6'] } },
  { prefix: 'fd00:150:2::/64' },
];

test('GoBGP accepts our OPEN and UPDATEs and reports the routes we sent', async (t) => {
  const lab = await labFor(t);
  const a = await lab.namespace('us');
  const b = await lab.namespace('gobgp');
  await lab.link(a, [`${US.v4}/24`, `${US.v6}/64`], b, [`${GO.v4}/24`, `${GO.v6}/64`]);
  const gobgp = await Gobgp.start(lab, b, {
    routerId: GO.v4,
    as: GO.as,
    originate: [{ prefix: '10.160.1.0/24', communities: ['65002:9'] }, 'fd00:160:1::/48'],
    peers: [
      { address: US.v4, as: US.as, localAddress: GO.v4, families: ['ipv4'] },
      { address: US.v6, as: US.as, localAddress: GO.v6, families: ['ipv6'] },
    ],
  });
  const logFile = `${lab.logDir}/us-codec-host.log`;
  const fd = openSync(logFile, 'a');
  const child: ChildProcess = spawn('ip', ['netns', 'exec', a.name, process.execPath, '--import', 'tsx', HOST], {
    stdio: ['ignore', fd, fd, 'ipc'],
  });
  lab.onDestroy(async () => {
    if (child.exitCode === null) child.kill();
  });
  const next = <T>(pred: (m: T) => boolean) =>
    new Promise<T>((resolve, reject) => {
      const on = (m: T) => {
        if (pred(m)) {
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
      child.once('exit', (code) => reject(new Error(`codec host exited ${code}: ${readFileSync(logFile, 'utf8')}`)));
    });
  await next<{ ready?: boolean }>((m) => m.ready === true);
  child.send({
    setup: {
      speaker: { asn: US.as, routerId: US.v4, listen: false },
      peers: [
        { address: GO.v4, asn: GO.as, localAddress: US.v4, families: ['ipv4'], ...TIMERS },
        { address: GO.v6, asn: GO.as, localAddress: US.v6, families: ['ipv6'], ...TIMERS },
      ],
      announce: announced,
    },
  });
  await next<{ started?: boolean }>((m) => m.started === true);
  const ours = (routes: RibRoute[]) => routes.filter((r) => r.asPath[0] === US.as);
  const v4 = await waitFor(
    'GoBGP has our IPv4 routes',
    async () => {
      const r = ours(await gobgp.routes('ipv4'));
      return r.length === 3 ? r : undefined;
    },
    { timeoutMs: 20000 },
  );
  const v6 = await waitFor(
    'GoBGP has our IPv6 routes',
    async () => {
      const r = ours(await gobgp.routes('ipv6'));
      return r.length === 2 ? r : undefined;
    },
    { timeoutMs: 20000 },
  );
  for (const sent of announced) {
    const got = [...v4, ...v6].find((r) => r.prefix === sent.prefix);
    t.truthy(got, sent.prefix);
    t.deepEqual(got!.asPath, [US.as], sent.prefix);
    t.deepEqual([...got!.communities].sort(), [...(sent.attrs?.communities ?? [])].sort(), sent.prefix);
    t.deepEqual(got!.largeCommunities, sent.attrs?.largeCommunities ?? [], sent.prefix);
    if (sent.attrs?.med !== undefined) t.is(got!.med, sent.attrs.med);
    t.is(got!.nextHop, sent.prefix.includes(':') ? US.v6 : US.v4, sent.prefix);
  }
  // And the other way: what GoBGP sends, decoded by bgp/wire, lands in our Loc-RIB.
  let id = 1;
  const learned = await waitFor(
    'GoBGP routes in our Loc-RIB',
    async () => {
      child.send({ id, locRib: true });
      const m = await next<{ id?: number; routes?: { prefix: string; communities?: string[]; asPath: number[] }[] }>(
        (x) => x.id === id,
      );
      id++;
      const rs = (m.routes ?? []).filter((r) => r.asPath[0] === GO.as);
      return rs.length === 2 ? rs : undefined;
    },
    { timeoutMs: 20000 },
  );
  t.deepEqual(learned.map((r) => r.prefix).sort(), ['10.160.1.0/24', 'fd00:160:1::/48']);
  t.deepEqual(learned.find((r) => r.prefix === '10.160.1.0/24')?.communities, ['65002:9']);
});
