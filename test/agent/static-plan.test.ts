// planStaticRoutes, the pure part of Static routing mode: which route each IPAM record becomes on
// one host (the kernel side is proven by test/agent/static-routes.test.ts with real agents).
import test from 'ava';
import { planStaticRoutes } from '../../src/agent/static-routes.js';

const nodes = [
  { name: 'h1', ipv4: '10.0.0.1', ipv6: 'fd00::1' },
  { name: 'h2', ipv4: '10.0.0.2', ipv6: 'fd00::2' },
  { name: 'h3', ipv4: '10.0.0.3' },
  { name: 'far', ipv4: '10.1.0.4' },
];
const connected = ['10.0.0.0/24', 'fd00::/64'];

test('other nodes’ blocks via their address, own blocks and own borrowed addresses left alone', (t) => {
  const plan = planStaticRoutes({
    self: 'h1',
    nodes,
    connected,
    owners: {
      blocks: [
        { cidr: '10.65.0.0/26', node: 'h1' },
        { cidr: '10.65.0.64/26', node: 'h2' },
        { cidr: 'fd00:65::/122', node: 'h2' },
      ],
      borrowed: [
        { address: '10.65.0.70', node: 'h3' }, // in h2's block, held by h3
        { address: '10.65.0.80', node: 'h1' }, // ours: the endpoint's own route covers it
        { address: 'fd00:65::9', node: 'h1' },
      ],
    },
  });
  t.deepEqual(
    plan.routes.sort((a, b) => a.prefix.localeCompare(b.prefix)),
    [
      { prefix: '10.65.0.64/26', nextHops: ['10.0.0.2'] },
      { prefix: '10.65.0.70/32', nextHops: ['10.0.0.3'] },
      { prefix: 'fd00:65::/122', nextHops: ['fd00::2'] },
    ],
  );
  t.deepEqual(plan.refused, []);
});

test('a node off the connected subnets, or without an address of the family, is refused with no route', (t) => {
  const plan = planStaticRoutes({
    self: 'h1',
    nodes,
    connected,
    owners: {
      blocks: [
        { cidr: '10.65.1.0/26', node: 'far' },
        { cidr: 'fd00:65::40/122', node: 'h3' },
        { cidr: '10.65.2.0/26', node: 'gone' },
      ],
      borrowed: [],
    },
  });
  t.deepEqual(plan.routes, []);
  t.deepEqual(
    plan.refused.map((r) => r.node),
    ['far', 'h3', 'gone'],
  );
  t.regex(plan.refused[0]!.reason, /10\.1\.0\.4 is not on a directly connected subnet of this host/);
  t.regex(plan.refused[1]!.reason, /no IPv6 address for node "h3"/);
});
