// The pure half of `tsroute status`: which findings each record and IPAM check give, and the table.
// (The etcd half, with real agents, is test/agent/cluster-status.test.ts.)
import test from 'ava';
import { clusterStatus, renderClusterStatus } from '../../cli/commands/status.js';
import type { NodeStatusRecord } from '../../src/datastore/index.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');

function record(node: string, over: Partial<NodeStatusRecord> = {}): NodeStatusRecord {
  return {
    node,
    version: '0.1.0',
    heartbeatUnixMs: NOW - 2000,
    intervalMs: 10_000,
    startedUnixMs: NOW - 3_600_000,
    asNumber: 64512,
    routerId: '10.0.0.1',
    datastoreConnected: true,
    peers: [
      {
        address: '10.0.0.9',
        asNumber: 65000,
        type: 'global',
        state: 'Established',
        sinceUnixMs: NOW - 60_000,
        lastError: '',
        receivedShutdownMessage: '',
        prefixesReceived: 3,
        prefixesAccepted: 3,
        prefixesAdvertised: 1,
      },
    ],
    blocks: [{ cidr: '10.65.0.0/26', inUse: 1, size: 64, borrowed: false }],
    endpoints: 1,
    kernelRoutes: 2,
    rejectedResources: [],
    ipamGcLeader: false,
    ...over,
  };
}

const noIpam = { problems: [], leaks: [] };

test('healthy nodes: nothing flagged, one OK row each', (t) => {
  const c = clusterStatus(
    ['a', 'b'],
    new Map([
      ['a', record('a')],
      ['b', record('b', { ipamGcLeader: true })],
    ]),
    noIpam,
    NOW,
  );
  t.true(c.ok);
  t.deepEqual(c.flags, []);
  const table = renderClusterStatus(c, true);
  t.regex(table, /^a\s+OK\s+2s ago\s+1\/1\s+1\s+1\s+2\s+0\.1\.0\s+64512\s+10\.0\.0\.1\s+1h0m\s+0\s+-$/m);
  t.regex(table, /^b\s+OK.*leader$/m);
  t.regex(table, /no problems found/);
});

test('each finding is its own flag: no status, stale heartbeat, a session down, a refused resource, IPAM', (t) => {
  const statuses = new Map([
    ['stale', record('stale', { heartbeatUnixMs: NOW - 31_000 })],
    ['fresh-enough', record('fresh-enough', { heartbeatUnixMs: NOW - 29_000 })],
    [
      'down',
      record('down', {
        peers: [
          {
            ...record('x').peers[0]!,
            state: 'Active',
            lastError: 'connection refused',
            receivedShutdownMessage: 'maintenance',
          },
        ],
        rejectedResources: [{ kind: 'BGPPeer', name: 'bad', reason: 'peerIP is not an address' }],
      }),
    ],
    // a status whose Node resource is gone is still listed
    ['orphan', record('orphan')],
  ]);
  const c = clusterStatus(
    ['gone', 'stale', 'fresh-enough', 'down'],
    statuses,
    {
      problems: [
        { kind: 'block-of-missing-node', message: 'block 10.65.1.0/26 belongs to node "x", which does not exist' },
      ],
      leaks: [{ address: '10.65.0.7', node: 'down', reason: 'no-endpoint' }],
    },
    NOW,
  );
  t.false(c.ok);
  t.deepEqual(
    c.nodes.map((n) => [n.node, n.stale, n.flags.map((f) => f.kind)]),
    [
      ['down', false, ['session-not-established', 'resources-not-applied']],
      ['fresh-enough', false, []],
      ['gone', true, ['no-status']],
      ['orphan', false, []],
      ['stale', true, ['stale-heartbeat']],
    ],
  );
  t.deepEqual(
    c.flags.map((f) => f.message),
    [
      'node "down": BGP peer 10.0.0.9 (AS 65000) is Active: connection refused',
      'node "down": BGPPeer "bad": peerIP is not an address',
      'node "gone" has no status in etcd: its agent is not running, never ran, or its lease expired',
      'node "stale": last heartbeat 31s ago (expected every 10s)',
      'block 10.65.1.0/26 belongs to node "x", which does not exist',
      'address 10.65.0.7 (node "down") is allocated but no endpoint uses it',
    ],
  );
  const table = renderClusterStatus(c, false);
  t.regex(table, /^gone\s+NO-STATUS\s+-\s+-/m);
  t.regex(table, /^stale\s+STALE\s+31s ago/m);
  t.regex(table, /^down\s+DEGRADED\s+\S+ ago\s+0\/1/m);
  t.regex(table, /^6 problem\(s\):$/m);
  t.regex(table, /^ {2}ipam-leak: address 10\.65\.0\.7/m);
});
