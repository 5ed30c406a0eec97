import type { Command } from 'commander';
import { action, notYetImplemented } from '../exit.js';

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('create or update resources from a YAML/JSON file (multi-document, - for stdin)')
    .requiredOption('-f, --filename <file>', 'file to read')
    .action(action(() => notYetImplemented('apply')));
  program
    .command('delete')
    .description('delete the resources named in a file')
    .requiredOption('-f, --filename <file>', 'file to read')
    .action(action(() => notYetImplemented('delete')));
}
