import type { Command } from 'commander';
import { action, notYetImplemented } from '../exit.js';

export function registerRib(program: Command): void {
  program
    .command('rib')
    .description("the local agent's BGP routes (or its kernel routes with --fib)")
    .option('--prefix <prefix>', 'only routes for this prefix')
    .option('--fib', 'show kernel routes instead of the RIB')
    .action(action(() => notYetImplemented('rib')));
}
