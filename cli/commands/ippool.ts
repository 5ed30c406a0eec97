// `tsroute ippool`: the ranges container addresses come from.
import type { Command } from 'commander';
import { type IPPool, ippoolSchema, newResource } from '../../src/model/index.js';
import { type EtcdFlags, withDatastore, withEtcd } from '../etcd-options.js';
import { action } from '../exit.js';
import { defined, parseBool, parseCidrFlag, parseIntFlag } from '../flag-values.js';
import { outputFormat, outputOption, print, renderResources } from '../output.js';
import { parserFor } from '../schema-flags.js';

/** --node-selector, checked as the IPPool schema checks it. */
const nodeSelectorParser = parserFor('--node-selector', ippoolSchema.nodeSelector!)!;

interface PoolFlags extends EtcdFlags {
  cidr?: string;
  blockSize?: number;
  natOutgoing?: boolean;
  disabled?: boolean;
  disableBgpExport?: boolean;
  nodeSelector?: string;
}

const poolSpec = (o: PoolFlags) =>
  defined({
    cidr: o.cidr,
    blockSize: o.blockSize,
    natOutgoing: o.natOutgoing,
    disabled: o.disabled,
    disableBGPExport: o.disableBgpExport,
    nodeSelector: o.nodeSelector,
  });

async function setDisabled(name: string, o: EtcdFlags, disabled: boolean): Promise<void> {
  await withDatastore(o, async (ds) => {
    const pool = await ds.mustGet('IPPool', name);
    pool.spec.disabled = disabled;
    await ds.update(pool);
  });
  print(
    `ippool "${name}" ${disabled ? 'disabled: no new addresses are handed out from it; addresses in use keep their routes and NAT' : 'enabled'}`,
  );
}

export function registerIppool(program: Command): void {
  const pool = program.command('ippool').description('manage IP pools (the ranges container addresses come from)');
  withEtcd(
    pool
      .command('create')
      .description('create an IP pool')
      .argument('<name>', 'pool name')
      .requiredOption('--cidr <cidr>', 'IPv4 or IPv6 range, e.g. 10.65.0.0/16', parseCidrFlag('--cidr'))
      .option(
        '--block-size <bits>',
        'prefix length of per-host blocks (default 26, IPv6 122)',
        parseIntFlag('--block-size'),
      )
      .option('--nat-outgoing', 'masquerade traffic leaving the pool')
      .option('--disabled', 'create it disabled')
      .option('--disable-bgp-export', 'do not announce its blocks by BGP')
      .option(
        '--node-selector <selector>',
        'only nodes matching it allocate from it, e.g. "zone == \'a\'"',
        nodeSelectorParser,
      ),
  )
    .addHelpText('after', '\nExample:\n  tsroute ippool create default-ipv4 --cidr 10.65.0.0/16 --nat-outgoing')
    .action(
      action(async (name: string, o: PoolFlags) => {
        await withDatastore(o, (ds) => ds.create(newResource('IPPool', name, poolSpec(o))));
        print(`ippool "${name}" created`);
      }),
    );
  withEtcd(
    pool
      .command('update')
      .description('change an IP pool (cidr and block size cannot change)')
      .argument('<name>', 'pool name')
      .option('--cidr <cidr>', 'refused unless unchanged: a pool cannot move', parseCidrFlag('--cidr'))
      .option('--block-size <bits>', 'refused unless unchanged', parseIntFlag('--block-size'))
      .option('--nat-outgoing <bool>', 'true or false', parseBool('--nat-outgoing'))
      .option('--disabled <bool>', 'true or false', parseBool('--disabled'))
      .option('--disable-bgp-export <bool>', 'true or false', parseBool('--disable-bgp-export'))
      .option('--node-selector <selector>', 'nodes that allocate from it ("" for all)', nodeSelectorParser),
  )
    .addHelpText('after', '\nExample:\n  tsroute ippool update default-ipv4 --nat-outgoing false')
    .action(
      action(async (name: string, o: PoolFlags) => {
        await withDatastore(o, async (ds) => {
          const current = await ds.mustGet('IPPool', name);
          const next: IPPool = { ...current, spec: { ...current.spec, ...poolSpec(o) } };
          if (next.spec.nodeSelector === '') delete next.spec.nodeSelector;
          await ds.update(next);
        });
        print(`ippool "${name}" updated`);
      }),
    );
  for (const verb of ['get', 'list'] as const) {
    const cmd = pool.command(verb).description(verb === 'get' ? 'show one IP pool' : 'list IP pools');
    if (verb === 'get') cmd.argument('<name>', 'pool name');
    withEtcd(cmd.addOption(outputOption()))
      .addHelpText(
        'after',
        `\nExample:\n  tsroute ippool ${verb === 'get' ? 'get default-ipv4 -o yaml' : 'list -o wide'}`,
      )
      .action(
        action(async (...args: unknown[]) => {
          const name = verb === 'get' ? (args[0] as string) : undefined;
          const o = args[verb === 'get' ? 1 : 0] as EtcdFlags & { output?: string };
          const format = outputFormat(o.output);
          await withDatastore(o, async (ds) => {
            const items = name ? [await ds.mustGet('IPPool', name)] : await ds.list('IPPool');
            print(renderResources('IPPool', items, format, !!name));
          });
        }),
      );
  }
  withEtcd(
    pool
      .command('delete')
      .description('delete an IP pool (refused while addresses are in use, unless --force)')
      .argument('<name>', 'pool name')
      .option('--force', 'delete even with addresses in use: its blocks and their allocations are dropped'),
  )
    .addHelpText('after', '\nExample:\n  tsroute ippool disable old-pool && tsroute ippool delete old-pool')
    .action(
      action(async (name: string, o: EtcdFlags & { force?: boolean }) => {
        const res = await withDatastore(o, (ds) => ds.delete('IPPool', name, { force: o.force }));
        for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
        print(`ippool "${name}" deleted`);
      }),
    );
  for (const verb of ['disable', 'enable'] as const) {
    withEtcd(
      pool
        .command(verb)
        .description(
          verb === 'disable'
            ? 'stop handing out addresses from a pool (existing ones stay)'
            : 'hand out addresses from a pool again',
        )
        .argument('<name>', 'pool name'),
    )
      .addHelpText('after', `\nExample:\n  tsroute ippool ${verb} default-ipv4`)
      .action(action((name: string, o: EtcdFlags) => setDisabled(name, o, verb === 'disable')));
  }
}
