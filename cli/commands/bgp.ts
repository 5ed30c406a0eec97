import type { Command } from 'commander';
import { action, notYetImplemented } from '../exit.js';

export function registerBgp(program: Command): void {
  const peer = program.command('bgppeer').description('manage BGP peers (top-of-rack routers, route reflectors)');
  for (const verb of ['create', 'get', 'list', 'delete']) {
    peer
      .command(verb)
      .description(`${verb} BGP peers`)
      .allowUnknownOption()
      .action(action(() => notYetImplemented(`bgppeer ${verb}`)));
  }
  const filter = program.command('bgpfilter').description('manage BGP import/export filters');
  for (const verb of ['create', 'get', 'list', 'delete']) {
    filter
      .command(verb)
      .description(`${verb} BGP filters`)
      .allowUnknownOption()
      .action(action(() => notYetImplemented(`bgpfilter ${verb}`)));
  }
  const config = program
    .command('bgpconfig')
    .description('see and change the BGP configuration (AS number, mesh, timers)');
  for (const verb of ['get', 'set']) {
    config
      .command(verb)
      .description(`${verb} the BGP configuration`)
      .allowUnknownOption()
      .action(action(() => notYetImplemented(`bgpconfig ${verb}`)));
  }
}
