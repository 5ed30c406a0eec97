// `tsroute ipam show`, `check -o` and `release` against addresses allocated through the library.
import { readFileSync } from 'node:fs';
import test from 'ava';
import { Ipam } from '../../src/ipam/index.js';
import { etcdDatastore, node, pool } from '../ipam/fixture.js';
import { runCli } from './run-cli.js';

test('cli: ipam show per pool, per block, per node and per address; release by address, handle and report', async (t) => {
  const { lab, etcd, ds } = await etcdDatastore(t);
  const endpoint = etcd.endpoint;
  await ds.create(pool('p', '10.65.0.0/24', { blockSize: 28 }));
  await ds.create(node('a'));
  const ipam = new Ipam(ds);
  const one = await ipam.autoAssign({ handle: 'one', node: 'a', num4: 3 });
  const two = await ipam.autoAssign({ handle: 'two', node: 'a', num4: 1 });

  const [pools, blocks, byNode, byIp, free, json] = await Promise.all([
    runCli(['ipam', 'show'], { endpoint }),
    runCli(['ipam', 'show', '--show-blocks'], { endpoint }),
    runCli(['ipam', 'show', '--node', 'a'], { endpoint }),
    runCli(['ipam', 'show', '--ip', one.ipv4[0]!], { endpoint }),
    runCli(['ipam', 'show', '--ip', '10.65.0.200'], { endpoint }),
    runCli(['ipam', 'show', '--show-blocks', '-o', 'json'], { endpoint }),
  ]);
  t.regex(pools.stdout, /^POOL\s+CIDR\s+TOTAL\s+IN-USE\s+FREE\s+BLOCKS\np\s+10\.65\.0\.0\/24\s+256\s+4\s+252\s+1$/m);
  t.regex(blocks.stdout, /10\.65\.0\.\d+\/28\s+p\s+a\s+confirmed\s+16\s+4\s+12\s+0/);
  t.regex(byNode.stdout, /borrowed from other nodes' blocks: none/);
  t.regex(byIp.stdout, new RegExp(`^${one.ipv4[0]!.replace(/\./g, '\\.')} is in use by handle "one" on node "a"`));
  t.is(free.stdout, '10.65.0.200 is not in use\n');
  t.like(JSON.parse(json.stdout), { pools: [{ name: 'p', inUse: 4 }], blocks: [{ owner: 'a', inUse: 4 }] });

  // An address alone is refused: a retry after it was handed to someone else would free theirs.
  const alone = await runCli(['ipam', 'release', '--ip', one.ipv4[0]!], { endpoint });
  t.is(alone.code, 1);
  t.regex(alone.stderr, /^tsroute: --ip needs --handle/);
  const byAddress = await runCli(['ipam', 'release', '--ip', one.ipv4[0]!, '--handle', 'one'], { endpoint });
  t.is(byAddress.stdout, `released ${one.ipv4[0]}\n`);
  // re-allocated to a new holder, then the same release retried: the new holder keeps it
  await ipam.assignIP({ address: one.ipv4[0]!, handle: 'new-owner', node: 'a' });
  const again = await runCli(['ipam', 'release', '--ip', one.ipv4[0]!, '--handle', 'one'], { endpoint });
  t.is(again.code, 1);
  t.regex(again.stderr, /nothing was released: handle "one" does not hold/);
  t.regex(again.stdout, /not released: .* held by someone else now/);
  t.is((await ipam.lookup(one.ipv4[0]!))?.handle, 'new-owner');
  t.is((await runCli(['ipam', 'release', '--ip', one.ipv4[0]!, '--handle', 'new-owner'], { endpoint })).code, 0);
  const byHandle = await runCli(['ipam', 'release', '--handle', 'one'], { endpoint });
  t.is(byHandle.stdout.trim().split('\n').length, 2);

  // No endpoints exist, so "two" is a leak in the report; released from the report only while the
  // same holder still has it.
  const file = lab.path('report.json');
  await runCli(['ipam', 'check', '-o', file], { endpoint });
  t.is((JSON.parse(readFileSync(file, 'utf8')) as { leaks: unknown[] }).leaks.length, 1);
  const fromReport = await runCli(['ipam', 'release', '--from-report', file], { endpoint });
  t.is(fromReport.stdout, `released ${two.ipv4[0]}\n`);
  t.is((await ipam.check()).inUse, 0);
  const neither = await runCli(['ipam', 'release'], { endpoint });
  t.is(neither.code, 1);
  t.regex(neither.stderr, /give --ip with --handle, --handle alone, or --from-report/);
});
