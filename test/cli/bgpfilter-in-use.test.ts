// A BGPFilter that a BGPPeer still names cannot be deleted — not by `bgpfilter delete`, not by
// `delete -f` — because the peer would silently lose its filtering. Once no peer names it, it goes;
// a file that deletes the peers and the filter together works in any order.
import test from 'ava';
import { etcdDatastore } from '../ipam/fixture.js';
import { runCli } from './run-cli.js';

const FILTER = `apiVersion: tsroute.io/v1
kind: BGPFilter
metadata: {name: only-pods}
spec:
  exportV4: [{cidr: 10.65.0.0/16, matchOperator: In, action: Accept}, {action: Reject}]
`;
const peer = (name: string, filters: string[]) => `apiVersion: tsroute.io/v1
kind: BGPPeer
metadata: {name: ${name}}
spec: {peerIP: 10.0.0.${name.endsWith('1') ? 1 : 2}, asNumber: 65001, filters: [${filters.join(', ')}]}
`;

test('cli: deleting a bgpfilter a bgppeer names is refused with one line; unused, it goes', async (t) => {
  const { etcd, ds } = await etcdDatastore(t);
  const endpoint = etcd.endpoint;
  const applied = await runCli(['apply', '-f', '-'], {
    endpoint,
    input: `${FILTER}---\n${peer('tor-1', ['only-pods'])}---\n${peer('tor-2', ['only-pods'])}`,
  });
  t.is(applied.code, 0, applied.stderr);

  const refusal =
    'tsroute: bgpfilter "only-pods" is used by bgppeer "tor-1", "tor-2"; remove it from their spec.filters first\n';
  const byName = await runCli(['bgpfilter', 'delete', 'only-pods'], { endpoint });
  t.is(byName.code, 1);
  t.is(byName.stderr, refusal);
  const byFile = await runCli(['delete', '-f', '-'], { endpoint, input: FILTER });
  t.is(byFile.code, 1);
  t.is(byFile.stderr, refusal);
  t.truthy(await ds.get('BGPFilter', 'only-pods'), 'the filter is still there');

  // tor-1 stops naming it; a file deleting tor-2 and then the filter (filter first in the file) works.
  t.is((await runCli(['apply', '-f', '-'], { endpoint, input: peer('tor-1', []) })).code, 0);
  const stillUsed = await runCli(['bgpfilter', 'delete', 'only-pods'], { endpoint });
  t.regex(stillUsed.stderr, /used by bgppeer "tor-2";/);
  const both = await runCli(['delete', '-f', '-'], {
    endpoint,
    input: `${FILTER}---\n${peer('tor-2', ['only-pods'])}`,
  });
  t.is(both.code, 0, both.stderr);
  t.is(await ds.get('BGPFilter', 'only-pods'), undefined);
  t.is(await ds.get('BGPPeer', 'tor-2'), undefined);
  t.truthy(await ds.get('BGPPeer', 'tor-1'));
});
