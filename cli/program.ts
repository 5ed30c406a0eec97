// The `tsroute` command tree. Each group lives in its own file under commands/ and only registers
// itself here, so that groups can grow without touching one another.
import { Command } from 'commander';
import { registerApply } from './commands/apply.js';
import { registerBgp } from './commands/bgp.js';
import { registerEndpoint } from './commands/endpoint.js';
import { registerIpam } from './commands/ipam.js';
import { registerIppool } from './commands/ippool.js';
import { registerLab } from './commands/lab.js';
import { registerNode } from './commands/node.js';
import { registerRib } from './commands/rib.js';
import { registerStatus } from './commands/status.js';
import { version } from './version.js';

export function buildProgram(): Command {
  const program = new Command('tsroute')
    .description('BGP-routed container networking: every container a routable IP, no tunnels, no NAT')
    .version(version(), '-V, --version')
    // Help is what was asked for, also when a group is given without a subcommand (`tsroute`,
    // `tsroute bgppeer`): commander writes that help through writeErr, so writeErr goes to stdout and
    // real errors take their own path to stderr, as one line with the usage hint on it.
    .configureOutput({
      writeErr: (str) => process.stdout.write(str),
      outputError: (str) => process.stderr.write(`tsroute: ${str.replace(/^error: /, '').trimEnd()} (see --help)\n`),
    })
    .exitOverride((err) => {
      // commander's own parse errors (unknown option, missing argument) are user errors: exit 1.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
      if (err.code === 'commander.help') process.exit(0);
      process.exit(1);
    });
  registerNode(program);
  registerIppool(program);
  registerBgp(program);
  registerApply(program);
  registerIpam(program);
  registerEndpoint(program);
  registerRib(program);
  registerStatus(program);
  registerLab(program);
  return program;
}
