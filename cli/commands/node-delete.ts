// `tsroute node delete NAME`: a node that is gone for good. Refused while it holds IPAM state (blocks,
// addresses, endpoints), which would otherwise stay claimed by no one; with --release-ipam its
// endpoints' addresses are released, its endpoints and empty blocks removed, then the node.
import type { Command } from 'commander';
import { Ipam } from '../../src/ipam/index.js';
import { type EtcdFlags, withDatastore, withEtcd } from '../etcd-options.js';
import { action, CliError } from '../exit.js';
import { print } from '../output.js';

export function registerNodeDelete(node: Command): void {
  withEtcd(
    node
      .command('delete')
      .description('remove a node that is gone for good (stop its agent first)')
      .argument('<name>', 'node name')
      .option('--release-ipam', "also release its endpoints' addresses and its address blocks"),
  )
    .addHelpText('after', '\nExample:\n  tsroute node delete host-c --release-ipam')
    .action(
      action(async (name: string, o: EtcdFlags & { releaseIpam?: boolean }) => {
        await withDatastore(o, async (ds) => {
          await ds.mustGet('Node', name);
          const ipam = new Ipam(ds);
          const endpoints = (await ds.list('WorkloadEndpoint')).filter((e) => e.spec.node === name);
          const blocks = await ipam.blocksOf(name);
          const pending = (await ipam.affinities(name)).filter((a) => a.state !== 'confirmed');
          const borrowed = await ipam.borrowedAddresses(name);
          const held = blocks.length + pending.length + borrowed.length + endpoints.length;
          if (held && !o.releaseIpam) {
            throw new CliError(
              `node "${name}" still holds ${blocks.length + pending.length} block(s), ${endpoints.length} endpoint(s) and ${borrowed.length} borrowed address(es); stop its agent and add --release-ipam to release them with it`,
            );
          }
          for (const e of endpoints) {
            if (e.spec.ipamHandle) await ipam.releaseByHandle(e.spec.ipamHandle);
            await ds.delete('WorkloadEndpoint', e.metadata.name).catch(() => undefined); // gone meanwhile
          }
          if (borrowed.length) await ipam.releaseAddresses(borrowed);
          const freed = await ipam.releaseEmptyBlocks(name, 0);
          const left = await ipam.blocksOf(name);
          if (left.length) {
            throw new CliError(
              `node "${name}": block(s) ${left.map((b) => `${b.cidr} (${b.inUse} in use)`).join(', ')} still hold addresses no endpoint names; see tsroute ipam show --node ${name}, release them, then delete the node`,
            );
          }
          await ds.delete('Node', name);
          for (const b of freed) print(`released block ${b}`);
          print(`node "${name}" deleted`);
        });
      }),
    );
}
