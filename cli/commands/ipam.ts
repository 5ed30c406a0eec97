import type { Command } from 'commander';
import { action, notYetImplemented } from '../exit.js';

export function registerIpam(program: Command): void {
  const ipam = program.command('ipam').description('see and repair IP address management state');
  ipam
    .command('show')
    .description('per pool and block: total, in use, free, owner')
    .allowUnknownOption()
    .action(action(() => notYetImplemented('ipam show')));
  ipam
    .command('check')
    .description('find leaked addresses and inconsistent blocks')
    .allowUnknownOption()
    .action(action(() => notYetImplemented('ipam check')));
  ipam
    .command('release')
    .description('release an address, or what a check report found')
    .allowUnknownOption()
    .action(action(() => notYetImplemented('ipam release')));
}
