import type { Command } from 'commander';
import { action, notYetImplemented } from '../exit.js';

export function registerEndpoint(program: Command): void {
  const ep = program.command('endpoint').description('wire test containers through the local agent');
  for (const verb of ['add', 'del', 'list']) {
    ep.command(verb)
      .description(`${verb} endpoints`)
      .allowUnknownOption()
      .action(action(() => notYetImplemented(`endpoint ${verb}`)));
  }
}
