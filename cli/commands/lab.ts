import type { Command } from 'commander';
import { action, notYetImplemented } from '../exit.js';

export function registerLab(program: Command): void {
  const lab = program.command('lab').description('run a containerlab topology on this machine with network namespaces');
  for (const verb of ['up', 'status', 'exec', 'down']) {
    lab
      .command(`${verb} [file]`)
      .description(`${verb} a lab`)
      .allowUnknownOption()
      .action(action(() => notYetImplemented(`lab ${verb}`)));
  }
}
