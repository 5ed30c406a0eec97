// Processes SIGKILLed in the middle of claiming a block and of allocating leave a state that
// `tsroute ipam check` names precisely; the leak check then cleans it without touching live addresses.
import { readFileSync } from 'node:fs';
import test from 'ava';
import type { IpamReport } from '../../src/ipam/index.js';
import { Ipam } from '../../src/ipam/index.js';
import { runCli } from '../cli/run-cli.js';
import { etcdDatastore, node, pool } from './fixture.js';
import { startWorker } from './processes.js';

test('ipam: SIGKILL mid-claim and mid-allocation — check reports it, the leak check cleans it, live addresses stay', async (t) => {
  const { lab, etcd, ds } = await etcdDatastore(t);
  await ds.create(pool('p', '10.65.0.0/24', { blockSize: 28 }));
  for (const n of ['crash-a', 'crash-b', 'crash-c']) await ds.create(node(n));

  const a = startWorker(t, [etcd.endpoint, 'crash-a', 'live-then-hang']);
  const b = startWorker(t, [etcd.endpoint, 'crash-b', 'hang-after-pending']);
  const c = startWorker(t, [etcd.endpoint, 'crash-c', 'hang-after-block']);
  const orphan = (await a.waitFor(/^PAUSED /)).slice('PAUSED '.length);
  const pendingOnly = (await b.waitFor(/^PAUSED /)).slice('PAUSED '.length);
  const pendingWithBlock = (await c.waitFor(/^PAUSED /)).slice('PAUSED '.length);
  for (const w of [a, b, c]) process.kill(w.child.pid!, 'SIGKILL');
  await Promise.all([a, b, c].map((w) => w.exited));
  const live = a.lines.filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { live: string }).live);
  t.is(live.length, 3);

  const reportFile = lab.path('report.json');
  const checked = await runCli(['ipam', 'check', '-o', reportFile], { endpoint: etcd.endpoint });
  t.is(checked.code, 0, checked.stderr);
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as IpamReport;
  t.deepEqual(
    report.leaks.map((l) => ({ address: l.address, handle: l.handle, node: l.node, reason: l.reason })),
    [{ address: orphan, handle: 'crash-a-orphan', node: 'crash-a', reason: 'no-endpoint' }],
    'exactly the address allocated before its endpoint was written',
  );
  t.deepEqual(
    report.problems
      .map((p) => (p.kind === 'pending-affinity' ? [p.kind, p.node, p.block, p.blockExists] : [p.kind]))
      .sort(),
    [
      ['pending-affinity', 'crash-b', pendingOnly, false],
      ['pending-affinity', 'crash-c', pendingWithBlock, true],
    ].sort(),
    'the two half-done claims, and nothing else',
  );
  t.is(report.inUse, 4);
  t.regex(checked.stdout, /4 address\(es\) in use .* 1 leaked; 2 other problem/);
  t.regex(checked.stdout, new RegExp(`leaked ${orphan.replace(/\./g, '\\.')} \\(handle "crash-a-orphan"`));
  // Half-claimed blocks are not routed: they are not among their nodes' blocks.
  const ipam = new Ipam(ds);
  t.deepEqual(await ipam.blocksOf('crash-b'), []);
  t.deepEqual(await ipam.blocksOf('crash-c'), []);

  const first = await runCli(['ipam', 'check', '--release-leaks', '--grace', '1'], { endpoint: etcd.endpoint });
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, new RegExp(`first seen, will release after the grace period: ${orphan.replace(/\./g, '\\.')}`));
  t.notRegex(first.stdout, /^released/m, 'nothing released at the first sighting');
  await new Promise((r) => setTimeout(r, 1100));
  const second = await runCli(['ipam', 'check', '--release-leaks', '--grace', '1'], { endpoint: etcd.endpoint });
  t.is(second.code, 0, second.stderr);
  t.regex(second.stdout, new RegExp(`^released ${orphan.replace(/\./g, '\\.')}$`, 'm'));
  // Claims carry their start time: once older than the grace period they are undone, at whichever run.
  const both = first.stdout + second.stdout;
  t.regex(both, new RegExp(`^cleaned claim crash-b ${pendingOnly}$`, 'm'));
  t.regex(both, new RegExp(`^cleaned claim crash-c ${pendingWithBlock}$`, 'm'));

  const after = await ipam.check();
  t.deepEqual(after.leaks, []);
  t.deepEqual(after.problems, []);
  t.is(after.inUse, 3);
  for (const addr of live) t.is((await ipam.lookup(addr))?.node, 'crash-a', `${addr} is still held`);
  // The crashed hosts can claim again as if nothing happened.
  const again = await ipam.autoAssign({ handle: 'again', node: 'crash-b', num4: 1 });
  t.is(again.ipv4.length, 1);
  t.is((await ipam.blocksOf('crash-b')).length, 1);
});

test('ipam: a process killed after its addresses were chosen but before etcd recorded them holds nothing: no allocation, no record, and the address is handed out again', async (t) => {
  const { etcd, ds } = await etcdDatastore(t);
  await ds.create(pool('p', '10.66.0.0/24', { blockSize: 28 }));
  await ds.create(node('chosen-a'));
  const w = startWorker(t, [etcd.endpoint, 'chosen-a', 'hang-when-chosen']);
  const chosen = (await w.waitFor(/^PAUSED /)).slice('PAUSED '.length);
  process.kill(w.child.pid!, 'SIGKILL');
  await w.exited;
  const first = JSON.parse(w.lines.find((l) => l.startsWith('{'))!) as { live: string; recorded: boolean };
  t.true(first.recorded, 'the first allocation wrote its record in the same transaction');
  t.deepEqual((await ds.get('WorkloadEndpoint', 'chosen-a-0'))?.spec.addresses, [first.live]);

  const ipam = new Ipam(ds);
  t.is(await ipam.lookup(chosen), undefined, `${chosen} is not held by anyone`);
  t.deepEqual(await ipam.addressesOf('chosen-a-1'), [], 'the killed allocation has no handle');
  t.is(await ds.get('WorkloadEndpoint', 'chosen-a-1'), undefined, 'and no record');
  const report = await ipam.check();
  t.deepEqual(report.leaks, [], 'nothing leaked');
  t.deepEqual(report.problems, []);
  // the node's next allocation takes that very address: it was never lost
  const again = await ipam.autoAssign({ handle: 'again', node: 'chosen-a', num4: 1 });
  t.deepEqual(again.ipv4, [chosen]);
});
