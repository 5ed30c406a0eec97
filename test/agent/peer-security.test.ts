// The agent's pure parts of session security: where the password comes from, which address a
// session is bound to, what the model refuses, and the hint `node status` shows.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { PeerStatus } from '../../bgp/index.js';
import { readPeerPassword } from '../../src/agent/peer-password.js';
import { sourceAddressFor } from '../../src/agent/peer-plan.js';
import { sessionHint } from '../../src/agent/session-hint.js';
import { parseResource } from '../../src/model/index.js';

test('password: from a file (one trailing newline dropped) or a variable; problems name only the source', (t) => {
  const file = join(tmpdir(), `tsr-pw-${process.pid}`);
  writeFileSync(file, 's3cret\n');
  t.deepEqual(readPeerPassword({ fromFile: file }), { password: 's3cret' });
  t.deepEqual(readPeerPassword({ fromEnv: 'PW' }, { PW: 'x y' }), { password: 'x y' });
  t.deepEqual(readPeerPassword(undefined), { password: undefined });
  t.regex(readPeerPassword({ fromFile: `${file}-missing` }).passwordProblem!, /cannot read password file .*: ENOENT/);
  t.regex(readPeerPassword({ fromEnv: 'PW' }, {}).passwordProblem!, /password variable PW is not set/);
  t.regex(readPeerPassword({ fromEnv: 'PW' }, { PW: '' }).passwordProblem!, /is empty/);
  const long = readPeerPassword({ fromEnv: 'PW' }, { PW: 'z'.repeat(81) });
  t.regex(long.passwordProblem!, /at most 80 bytes \(81\)/);
  t.false(long.passwordProblem!.includes('zzz'));
});

test('sourceAddress: UseNodeIP (and unset) = the node address of the peer family, None = kernel, else as given', (t) => {
  const self = { name: 'a', labels: {}, ipv4Address: '10.0.0.1', ipv6Address: 'fd00::1' };
  t.is(sourceAddressFor(undefined, self, '10.9.9.9'), '10.0.0.1');
  t.is(sourceAddressFor('UseNodeIP', self, 'fd00::9'), 'fd00::1');
  t.is(sourceAddressFor('UseNodeIP', { name: 'a', labels: {} }, '10.9.9.9'), undefined);
  t.is(sourceAddressFor('None', self, '10.9.9.9'), undefined);
  t.is(sourceAddressFor('10.0.0.7', self, '10.9.9.9'), '10.0.0.7');
});

const peer = (spec: Record<string, unknown>) => ({
  apiVersion: 'tsroute.io/v1',
  kind: 'BGPPeer',
  metadata: { name: 'p' },
  spec: { peerIP: '10.0.0.1', asNumber: 65000, ...spec },
});
const problem = (doc: unknown): string | undefined => {
  try {
    parseResource(doc);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
};

test('model: ttlSecurity and ebgpMultihop ranges, mutually exclusive; sourceAddress of the peer family', (t) => {
  t.is(problem(peer({ ttlSecurity: 1 })), undefined);
  t.is(problem(peer({ ebgpMultihop: 255 })), undefined);
  t.regex(problem(peer({ ttlSecurity: 0 }))!, /spec.ttlSecurity must be at least 1/);
  t.regex(problem(peer({ ttlSecurity: 255 }))!, /spec.ttlSecurity must be at most 254/);
  t.regex(problem(peer({ ebgpMultihop: 256 }))!, /spec.ebgpMultihop must be at most 255/);
  t.is(
    problem(peer({ ttlSecurity: 1, ebgpMultihop: 2 })),
    'bgppeer "p": spec.ttlSecurity and spec.ebgpMultihop exclude each other (GTSM always sends TTL 255)',
  );
  t.regex(
    problem(peer({ sourceAddress: 'fd00::1' }))!,
    /spec.sourceAddress fd00::1 is not of spec.peerIP's address family/,
  );
  t.regex(problem(peer({ sourceAddress: 'UseNodeIp' }))!, /must be UseNodeIP, None or an IP address/);
});

const status = (over: Partial<PeerStatus>): PeerStatus => ({
  address: '10.0.0.1',
  asn: 65000,
  type: 'ebgp',
  state: 'Connect',
  uptime: 0,
  counters: {
    messagesIn: 0,
    messagesOut: 0,
    updatesIn: 0,
    updatesOut: 0,
    prefixesReceived: 0,
    prefixesAccepted: 0,
    prefixesAdvertised: 0,
    flaps: 0,
  },
  routeReflectorClient: false,
  ...over,
});

test('hints: what a silent or refused connection most likely means', (t) => {
  const silent = status({ lastError: 'no answer from 10.0.0.1 port 179 within the connect retry time (1 s)' });
  const o = { address: '10.0.0.1', asn: 65000 };
  t.regex(sessionHint(silent, { ...o, password: 'x' })!, /TCP-MD5 is configured: check the password on both sides/);
  t.regex(sessionHint(silent, o)!, /set spec.password.*eBGP sends TTL 1: set spec.ebgpMultihop/);
  t.regex(sessionHint(silent, { ...o, ttlSecurity: 1 })!, /GTSM \(ttlSecurity 1\)/);
  const stalled = status({ lastError: 'hold timer expired (sent NOTIFICATION 4/0)' });
  t.regex(sessionHint(stalled, o)!, /hold timer expired .*; eBGP sends TTL 1: set spec.ebgpMultihop/);
  t.regex(sessionHint(stalled, { ...o, ttlSecurity: 2 })!, /GTSM \(ttlSecurity 2\)/);
  t.is(sessionHint(stalled, { ...o, multihop: 2 }), undefined);
  // The peer's hold timer ran out first (its NOTIFICATION reaches us; our packets never reach it).
  const peerGaveUp = status({ lastError: 'received NOTIFICATION 4/0' });
  t.regex(sessionHint(peerGaveUp, o)!, /received NOTIFICATION 4\/0; eBGP sends TTL 1: set spec.ebgpMultihop/);
  t.regex(sessionHint(status({ lastError: 'connect ECONNREFUSED 10.0.0.1:179' }), o)!, /nothing listens/);
  t.regex(
    sessionHint(status({ lastError: 'bind EADDRNOTAVAIL 10.0.0.9' }), { ...o, localAddress: '10.0.0.9' })!,
    /source address 10.0.0.9 is not on this host/,
  );
  t.is(sessionHint(status({ state: 'Established', lastError: 'x' }), o), undefined);
});
