// Resource validation, defaults and address arithmetic, without etcd.
import test from 'ava';
import {
  API_VERSION,
  canonicalAddress,
  cidrsOverlap,
  formatAddress,
  type IPPool,
  mustParseCidr,
  parseAddress,
  parseCidr,
  parseResource,
  poolOverlap,
  selectorMatches,
  ValidationError,
} from '../../src/model/index.js';

const r = (kind: string, name: string, spec: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: API_VERSION,
  kind,
  metadata: { name },
  spec,
  ...extra,
});
const problem = (doc: unknown) => {
  try {
    parseResource(doc);
    return undefined;
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return err.message;
  }
};

test('cidr: IPv4 and IPv6 text, canonical forms, host bits and overlap', (t) => {
  t.is(canonicalAddress('FD00:0:0::0:1'), 'fd00::1');
  // RFC 5952 §5: an IPv4-mapped address keeps its dotted quad (as iproute2 prints it)
  t.is(canonicalAddress('::ffff:10.1.2.3'), '::ffff:10.1.2.3');
  t.is(canonicalAddress('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  t.is(canonicalAddress('10.1.2.300'), undefined);
  const a = parseAddress('10.1.2.3')!;
  t.is(formatAddress('ipv4', a.value + 1n), '10.1.2.4');
  t.deepEqual(parseCidr('10.65.1.0/16'), {
    ok: false,
    reason: '"10.65.1.0/16" has host bits set (did you mean 10.65.0.0/16?)',
  });
  t.false(parseCidr('10.0.0.0/33').ok);
  t.false(parseCidr('10.0.0.0').ok);
  t.true(parseCidr('fd00::/48').ok);
  t.true(cidrsOverlap(mustParseCidr('10.65.0.0/16'), mustParseCidr('10.65.128.0/17')));
  t.false(cidrsOverlap(mustParseCidr('10.65.0.0/16'), mustParseCidr('10.66.0.0/16')));
  t.false(cidrsOverlap(mustParseCidr('10.65.0.0/16'), mustParseCidr('fd00::/16')));
});

test('ippool: defaults, block size bounds per family, overlap message', (t) => {
  const v4 = parseResource(r('IPPool', 'a', { cidr: '10.65.0.0/16' })) as IPPool;
  t.like(v4.spec, { blockSize: 26, natOutgoing: false, disabled: false, disableBGPExport: false });
  t.is((parseResource(r('IPPool', 'b', { cidr: 'fd00:65::/48' })) as IPPool).spec.blockSize, 122);
  t.is(
    problem(r('IPPool', 'c', { cidr: '10.0.0.0/16', blockSize: 33 })),
    'ippool "c": spec.blockSize 33 is out of range for IPv4 (20-32)',
  );
  t.is(
    problem(r('IPPool', 'c', { cidr: 'fd00::/48', blockSize: 26 })),
    'ippool "c": spec.blockSize 26 is out of range for IPv6 (116-128)',
  );
  t.is(
    problem(r('IPPool', 'c', { cidr: '10.0.0.0/28', blockSize: 26 })),
    'ippool "c": spec.blockSize /26 is larger than the pool 10.0.0.0/28',
  );
  t.is(
    problem(r('IPPool', 'c', { cidr: '10.0.0.0/16', blokSize: 26 })),
    'ippool "c": unknown field "spec.blokSize" (known fields: cidr, blockSize, natOutgoing, disabled, disableBGPExport, nodeSelector)',
  );
  t.is(
    problem(r('IPPool', 'c', { cidr: '10.0.0.0/16', natOutgoing: 'yes' })),
    'ippool "c": spec.natOutgoing must be true or false',
  );
  const b = parseResource(r('IPPool', 'b', { cidr: '10.65.128.0/17' })) as IPPool;
  t.is(poolOverlap(b, [v4]), 'ippool "b" overlaps ippool "a" (10.65.0.0/16)');
});

test('envelope: apiVersion, kind, name and unknown top-level fields', (t) => {
  t.regex(problem({ ...r('IPPool', 'a', {}), apiVersion: 'v1' })!, /apiVersion must be "tsroute.io\/v1"/);
  t.regex(problem(r('Pool', 'a', {}))!, /unknown kind "Pool"/);
  t.regex(problem(r('IPPool', 'Bad_Name', { cidr: '10.0.0.0/8' }))!, /metadata.name "Bad_Name" must be lower-case/);
  t.is(problem(r('IPPool', 'a', { cidr: '10.0.0.0/8' }, { status: {} })), 'ippool "a": unknown field "status"');
  t.regex(
    problem({ ...r('IPPool', 'a', { cidr: '10.0.0.0/8' }), metadata: { name: 'a', owner: 'x' } })!,
    /unknown field "metadata.owner"/,
  );
});

test('bgp resources: peers, configuration, filters, nodes', (t) => {
  t.is(
    problem(r('BGPPeer', 'p', { asNumber: 65000 })),
    'bgppeer "p": set one of spec.peerIP, spec.peerSelector and spec.interface (unnumbered peering)',
  );
  t.is(
    problem(r('BGPPeer', 'p', { peerIP: '10.0.0.1', interface: 'eth1', asNumber: 1 })),
    'bgppeer "p": spec.peerIP and spec.interface exclude each other; set only one (a link-local peer with its interface is spec.peerIP: fe80::1%eth1)',
  );
  t.is(problem(r('BGPPeer', 'p', { interface: 'eth1' })), 'bgppeer "p": spec.asNumber is required with spec.interface');
  t.regex(problem(r('BGPPeer', 'p', { interface: 'eth/1', asNumber: 1 }))!, /"eth\/1" is not an interface name/);
  t.regex(
    problem(r('BGPPeer', 'p', { peerIP: 'fe80::1', asNumber: 1 }))!,
    /"fe80::1" is link-local: name its interface too, as in "fe80::1%eth1"/,
  );
  t.regex(problem(r('BGPPeer', 'p', { peerIP: '10.0.0.1%eth1', asNumber: 1 }))!, /only an IPv6 link-local address/);
  t.like(parseResource(r('BGPPeer', 'p', { peerIP: 'FE80::A%eth1', asNumber: 1 })).spec, { peerIP: 'fe80::a%eth1' });
  t.like(parseResource(r('BGPPeer', 'p', { interface: 'eth1', asNumber: 1 })).spec, { interface: 'eth1' });
  t.is(
    problem(r('BGPPeer', 'p', { interface: 'eth1', asNumber: 1, password: { fromEnv: 'X' }, bfd: { enabled: true } })),
    'bgppeer "p": spec.password, spec.bfd are not supported on a link-local (unnumbered) session yet',
  );
  t.regex(
    problem(r('BGPPeer', 'p', { peerIP: 'fe80::1%eth1', asNumber: 1, sourceAddress: 'None' }))!,
    /spec.sourceAddress is not supported on a link-local/,
  );
  t.is(problem(r('BGPPeer', 'p', { peerIP: '10.0.0.1' })), 'bgppeer "p": spec.asNumber is required with spec.peerIP');
  t.is(
    problem(r('BGPPeer', 'p', { peerIP: '10.0.0.1', asNumber: 1, node: 'a', nodeSelector: 'all()' })),
    'bgppeer "p": set at most one of spec.node and spec.nodeSelector',
  );
  t.regex(
    problem(r('BGPPeer', 'p', { peerIP: '10.0.0.x', asNumber: 1 }))!,
    /spec.peerIP: "10.0.0.x" is not an IP address/,
  );
  t.regex(problem(r('BGPPeer', 'p', { peerSelector: 'rack = r1' }))!, /selector term "rack = r1"/);
  t.like(parseResource(r('BGPPeer', 'p', { peerIP: 'FD00::1', asNumber: 65001 })).spec, {
    peerIP: 'fd00::1',
    nextHopMode: 'auto',
  });
  t.like(parseResource(r('BGPConfiguration', 'default', {})).spec, {
    asNumber: 64512,
    nodeToNodeMeshEnabled: true,
    holdTime: 90,
  });
  t.deepEqual(parseResource(r('BGPConfiguration', 'node.a', { listenPort: 1179 })).spec, { listenPort: 1179 });
  t.regex(problem(r('BGPConfiguration', 'other', {}))!, /must be "default" or "node.<node name>"/);
  t.regex(problem(r('BGPConfiguration', 'default', { holdTime: 2 }))!, /RFC 4271/);
  t.regex(
    problem(r('BGPConfiguration', 'default', { communities: [{ name: 'x', value: '1:2:3:4' }] }))!,
    /is not a community/,
  );
  t.regex(
    problem(r('BGPFilter', 'f', { exportV6: [{ cidr: '10.0.0.0/8', matchOperator: 'In', action: 'Accept' }] }))!,
    /is not IPv6/,
  );
  t.regex(problem(r('BGPFilter', 'f', { exportV4: [{ action: 'Drop' }] }))!, /must be one of Accept, Reject/);
  t.regex(problem(r('Node', 'n', { bgp: { ipv4Address: 'fd00::1' } }))!, /is not an IPv4 address/);
  t.regex(problem(r('WorkloadEndpoint', 'w', { node: 'n' }))!, /spec.containerId is required/);
  t.deepEqual(
    parseResource(r('WorkloadEndpoint', 'w', { node: 'n', containerId: 'c', addresses: ['10.0.0.1/32'] })).spec,
    {
      node: 'n',
      containerId: 'c',
      addresses: ['10.0.0.1'],
      interface: 'eth0',
    },
  );
});

test('selectors: the supported terms', (t) => {
  const labels = { zone: 'a', rack: 'r1' };
  t.true(selectorMatches(undefined, labels));
  t.true(selectorMatches('all()', labels));
  t.true(selectorMatches("zone == 'a' && has(rack)", labels));
  t.false(selectorMatches("zone != 'a'", labels));
  t.true(selectorMatches("rack in {'r1', 'r2'}", labels));
  t.false(selectorMatches('!has(rack)', labels));
});
