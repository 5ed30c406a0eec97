import type { Command } from 'commander';
import { action, notYetImplemented } from '../exit.js';

export function registerIppool(program: Command): void {
  const pool = program.command('ippool').description('manage IP pools (the ranges container addresses come from)');
  for (const verb of ['create', 'get', 'list', 'update', 'delete']) {
    pool
      .command(verb)
      .description(`${verb} IP pools`)
      .allowUnknownOption()
      .action(action(() => notYetImplemented(`ippool ${verb}`)));
  }
}
