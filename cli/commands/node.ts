import type { Command } from 'commander';
import { withAgent, withApiSocket } from '../agent-connection.js';
import { action, CliError, notYetImplemented } from '../exit.js';
import { renderNodeStatus } from '../node-status.js';

export function registerNode(program: Command): void {
  const node = program.command('node').description('run the per-host agent, and see nodes and their BGP state');
  node
    .command('run')
    .description('run the tsroute agent on this host')
    .option('--name <node>', "this node's name (default: hostname)")
    .addHelpText('after', '\nExample:\n  tsroute node run --name host-a --etcd-endpoints http://127.0.0.1:2379')
    .action(action(() => notYetImplemented('node run')));
  withApiSocket(
    node
      .command('status')
      .description('BGP sessions, blocks and routes of the local agent')
      .option('-o, --output <format>', 'table or json', 'table'),
  )
    .addHelpText('after', '\nExample:\n  tsroute node status -o json')
    .action(
      action(async (o: { output: string; apiSocket?: string }) => {
        if (o.output !== 'table' && o.output !== 'json')
          throw new CliError(`--output must be "table" or "json", got "${o.output}"`);
        const status = await withAgent(o, (c) => c.getStatus(5000), 5000);
        process.stdout.write(
          o.output === 'json' ? `${JSON.stringify(status, null, 2)}\n` : `${renderNodeStatus(status)}\n`,
        );
      }),
    );
  node
    .command('list')
    .description('list the nodes registered in etcd')
    .addHelpText('after', '\nExample:\n  tsroute node list -o wide')
    .action(action(() => notYetImplemented('node list')));
  node
    .command('get <name>')
    .description('show one node')
    .addHelpText('after', '\nExample:\n  tsroute node get host-a -o yaml')
    .action(action(() => notYetImplemented('node get')));
}
