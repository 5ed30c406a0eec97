// `tsroute ipam`: see who holds which address, find leaks, and release by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { Ipam, type IpamReport, type LeakedAddress } from '../../src/ipam/index.js';
import { canonicalAddress } from '../../src/model/index.js';
import { type EtcdFlags, withDatastore, withEtcd } from '../etcd-options.js';
import { action, CliError } from '../exit.js';
import { collect, parseIntFlag } from '../flag-values.js';
import { outputOption, print } from '../output.js';
import { renderTable } from '../table.js';

interface ShowFlags extends EtcdFlags {
  showBlocks?: boolean;
  node?: string;
  ip?: string;
  output?: string;
}

function showFormat(o: { output?: string }): 'table' | 'json' | 'yaml' {
  const f = o.output ?? 'table';
  if (f === 'wide') return 'table';
  if (f !== 'table' && f !== 'json' && f !== 'yaml')
    throw new CliError(`--output must be table, wide, json or yaml (got "${f}")`);
  return f;
}

const dump = (value: unknown, f: 'json' | 'yaml') =>
  f === 'json' ? JSON.stringify(value, null, 2) : stringify(value).trimEnd();

function leakLine(l: LeakedAddress): string {
  const why = l.reason === 'node-gone' ? `node "${l.node}" is gone` : 'no workload endpoint has it';
  return `leaked ${l.address} (handle "${l.handle}", node "${l.node}", block ${l.block}): ${why}`;
}

function summary(report: IpamReport): string[] {
  return [
    `${report.inUse} address(es) in use in ${report.blocks.length} block(s); ${report.leaks.length} leaked; ${report.problems.length} other problem(s)`,
    ...report.problems.map((p) => `problem: ${p.message}`),
    ...report.leaks.map(leakLine),
  ];
}

export function registerIpam(program: Command): void {
  const ipam = program.command('ipam').description('see and repair IP address management state');
  withEtcd(
    ipam
      .command('show')
      .description('per pool (and with --show-blocks per block): total, in use, free, owner')
      .option('--show-blocks', 'one row per block')
      .option('--node <name>', "only this node's blocks, and the addresses it borrows")
      .option('--ip <address>', 'who holds this address')
      .addOption(outputOption()),
  )
    .addHelpText('after', '\nExample:\n  tsroute ipam show --show-blocks\n  tsroute ipam show --ip 10.65.3.7')
    .action(
      action(async (o: ShowFlags) => {
        const f = showFormat(o);
        await withDatastore(o, async (ds) => {
          const ipam = new Ipam(ds);
          if (o.ip) {
            const addr = canonicalAddress(o.ip);
            if (!addr) throw new CliError(`--ip "${o.ip}" is not an IP address`);
            const info = await ipam.lookup(addr);
            if (f !== 'table') return print(dump(info ?? { address: addr, inUse: false }, f));
            if (!info) return print(`${addr} is not in use`);
            return print(
              `${info.address} is in use by handle "${info.handle}" on node "${info.node}" (block ${info.block}, owner ${info.blockOwner ?? '-'}, pool ${info.pool ?? '-'}, sequence ${info.seq})`,
            );
          }
          const report = await ipam.check();
          const blocks = o.node ? await ipam.blocksOf(o.node) : report.blocks;
          const borrowed = o.node ? await ipam.borrowedAddresses(o.node) : [];
          if (f !== 'table') {
            return print(
              dump(
                o.node
                  ? { node: o.node, blocks, borrowed }
                  : { pools: report.pools, ...(o.showBlocks ? { blocks } : {}) },
                f,
              ),
            );
          }
          if (!o.node) {
            print(
              renderTable(
                ['POOL', 'CIDR', 'TOTAL', 'IN-USE', 'FREE', 'BLOCKS'],
                report.pools.map((p) => [
                  p.name,
                  p.cidr,
                  p.total,
                  p.inUse,
                  String(BigInt(p.total) - BigInt(p.inUse)),
                  p.blocks,
                ]),
              ),
            );
          }
          if (o.showBlocks || o.node) {
            if (!o.node) print('');
            print(
              renderTable(
                ['BLOCK', 'POOL', 'OWNER', 'STATE', 'TOTAL', 'IN-USE', 'FREE', 'BORROWED'],
                blocks.map((b) => [
                  b.cidr,
                  b.pool ?? '-',
                  b.owner ?? '-',
                  b.affinityState ?? '-',
                  b.total,
                  b.inUse,
                  b.free,
                  b.borrowedByOthers,
                ]),
              ),
            );
          }
          if (o.node) print(`borrowed from other nodes' blocks: ${borrowed.length ? borrowed.join(', ') : 'none'}`);
        });
      }),
    );
  withEtcd(
    ipam
      .command('check')
      .description('find leaked addresses and half-done block claims')
      .option('-o, --output <file>', 'also write the full report as JSON to this file')
      .option(
        '--release-leaks',
        'release leaks seen by an earlier run at least --grace ago (same holder), and undo stale claims; record new ones',
      )
      .option('--grace <seconds>', 'grace period between the two sightings (default 60)', parseIntFlag('--grace')),
  )
    .addHelpText(
      'after',
      '\nExample:\n  tsroute ipam check -o report.json\n  tsroute ipam check --release-leaks --grace 300   # run it twice, 5 minutes apart',
    )
    .action(
      action(async (o: EtcdFlags & { output?: string; releaseLeaks?: boolean; grace?: number }) => {
        await withDatastore(o, async (ds) => {
          const ipam = new Ipam(ds);
          if (!o.releaseLeaks) {
            const report = await ipam.check();
            if (o.output) writeFileSync(o.output, `${JSON.stringify(report, null, 2)}\n`);
            for (const line of summary(report)) print(line);
            return;
          }
          const r = await ipam.leakCheck({ graceMs: (o.grace ?? 60) * 1000, release: true });
          if (o.output) writeFileSync(o.output, `${JSON.stringify(r, null, 2)}\n`);
          for (const line of summary(r.report)) print(line);
          for (const l of r.firstSeen) print(`first seen, will release after the grace period: ${l.address}`);
          for (const l of r.waiting) print(`still leaked, grace period not over: ${l.address}`);
          for (const a of r.released) print(`released ${a}`);
          for (const c of r.cleaned) print(`cleaned claim ${c}`);
        });
      }),
    );
  withEtcd(
    ipam
      .command('release')
      .description('release addresses by hand: by address, by handle, or the leaks in a check report')
      .option(
        '--ip <address>',
        'address to release (repeatable; with --handle: only while that handle holds it)',
        collect,
      )
      .option('--handle <handle>', 'the holder (`ipam show --ip` names it); alone: release everything it holds')
      .option(
        '--from-report <file>',
        'release the leaks listed in a report of `ipam check -o`, if still held by the same holder',
      ),
  )
    .addHelpText(
      'after',
      '\nExample:\n  tsroute ipam show --ip 10.65.3.7      # in use by handle "cni.net.c1.eth0" …\n  tsroute ipam release --ip 10.65.3.7 --handle cni.net.c1.eth0\n  tsroute ipam release --from-report report.json',
    )
    .action(
      action(async (o: EtcdFlags & { ip?: string[]; handle?: string; fromReport?: string }) => {
        const given = [o.ip?.length || o.handle, o.fromReport].filter(Boolean).length;
        if (given !== 1) throw new CliError('give --ip with --handle, --handle alone, or --from-report');
        // An address alone could be a retry after it was freed and handed to someone else: it is
        // released only while the holder the caller saw still holds it.
        if (o.ip?.length && !o.handle)
          throw new CliError(
            '--ip needs --handle: the holder `tsroute ipam show --ip` names, so that an address handed to someone else since is not freed',
          );
        let leaks: LeakedAddress[] = [];
        if (o.fromReport) {
          try {
            const parsed = JSON.parse(readFileSync(o.fromReport, 'utf8')) as {
              leaks?: LeakedAddress[];
              report?: { leaks?: LeakedAddress[] };
            };
            leaks = parsed.leaks ?? parsed.report?.leaks ?? [];
          } catch (err) {
            throw new CliError(`cannot read report ${o.fromReport}: ${(err as Error).message.split('\n')[0]}`);
          }
        }
        const ips = (o.ip ?? []).map((ip) => canonicalAddress(ip) ?? ip);
        const bad = ips.find((ip) => !canonicalAddress(ip));
        if (bad) throw new CliError(`--ip "${bad}" is not an IP address`);
        const released = await withDatastore(o, async (ds) => {
          const ipam = new Ipam(ds);
          if (ips.length) return ipam.releaseAddresses(ips.map((address) => ({ address, handle: o.handle })));
          if (o.handle) return ipam.releaseByHandle(o.handle);
          if (o.fromReport)
            return ipam.releaseAddresses(leaks.map((l) => ({ address: l.address, handle: l.handle, seq: l.seq })));
          return [];
        });
        for (const a of released) print(`released ${a}`);
        const asked = ips.length ? ips : o.fromReport ? leaks.map((l) => l.address) : [];
        const missed = asked.filter((a) => !released.includes(a));
        for (const a of missed) print(`not released: ${a} (not in use, or held by someone else now)`);
        if (!released.length && !o.fromReport)
          throw new CliError(
            ips.length
              ? `nothing was released: handle "${o.handle}" does not hold ${ips.join(', ')}`
              : `handle "${o.handle}" holds no addresses`,
          );
      }),
    );
}
