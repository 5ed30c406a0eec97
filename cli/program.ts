// The `tsroute` command tree. Each group lives in its own file under commands/ and only registers
// itself here, so that groups can grow without touching one another.
//
// Groups are loaded on demand: a command line that names a group (`tsroute node run …`) loads only
// that group's module, so the long-running `node run` never holds the lab, the fabric picture or
// the other commands' code in memory (issue 14: that was a third of its idle RSS). With no group
// named (`tsroute`, `tsroute --help`, `tsroute help x`, an unknown command) every group is loaded,
// so help lists them all and commander's "unknown command" answer is unchanged.
import { Command } from 'commander';
import { version } from './version.js';

type Register = (program: Command) => void;

/** Every group, in the order help lists them: the top-level commands it adds, and how to load it. */
const GROUPS: { commands: readonly string[]; load: () => Promise<Register> }[] = [
  { commands: ['node'], load: async () => (await import('./commands/node.js')).registerNode },
  { commands: ['ippool'], load: async () => (await import('./commands/ippool.js')).registerIppool },
  {
    commands: ['bgppeer', 'bgpfilter', 'bgpconfig', 'bgp'],
    load: async () => (await import('./commands/bgp.js')).registerBgp,
  },
  { commands: ['apply', 'delete', 'get'], load: async () => (await import('./commands/apply.js')).registerApply },
  { commands: ['ipam'], load: async () => (await import('./commands/ipam.js')).registerIpam },
  { commands: ['endpoint'], load: async () => (await import('./commands/endpoint.js')).registerEndpoint },
  { commands: ['rib'], load: async () => (await import('./commands/rib.js')).registerRib },
  { commands: ['status'], load: async () => (await import('./commands/status.js')).registerStatus },
  { commands: ['lab'], load: async () => (await import('./commands/lab.js')).registerLab },
];

/** The top-level command names of every group (a test checks this list against what they register). */
export const GROUP_COMMANDS: readonly string[] = GROUPS.flatMap((g) => g.commands);

/**
 * The program for `argv` (process.argv: node, script, args…): only the group its first
 * non-option argument names, or every group when it names none. Without argv, every group.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
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
  // The program has no options of its own that take a value, so the first word is the command.
  const first = argv.slice(2).find((a) => !a.startsWith('-'));
  const named = GROUPS.filter((g) => first !== undefined && g.commands.includes(first));
  const registers = await Promise.all((named.length ? named : GROUPS).map((g) => g.load()));
  for (const register of registers) register(program);
  return program;
}
