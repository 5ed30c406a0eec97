// `tsroute endpoint add|del|check|list`: wire a container namespace through the local agent by hand
// (what the CNI plugin does for a runtime). Useful for labs, tests and debugging.
import type { Command } from 'commander';
import type { Endpoint } from '../../src/api/types.js';
import { withAgent, withApiSocket } from '../agent-connection.js';
import { action, CliError } from '../exit.js';
import { renderTable } from '../table.js';

interface AddOptions {
  containerId: string;
  netns: string;
  ifname: string;
  ipv4: string;
  ipv6: string;
  ip?: string[];
  pool?: string[];
  apiSocket?: string;
  output: string;
}

function count(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 16)
    throw new CliError(`${flag} must be a whole number from 0 to 16, got "${value}"`);
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function printEndpoints(endpoints: Endpoint[], output: string, single = false): void {
  if (output === 'json') {
    process.stdout.write(`${JSON.stringify(single ? endpoints[0] : endpoints, null, 2)}\n`);
    return;
  }
  const rows = endpoints.map((e) => [e.containerId, e.interface, e.addresses.join(','), e.hostInterface, e.netns]);
  process.stdout.write(`${renderTable(['CONTAINER', 'IF', 'ADDRESSES', 'HOST IF', 'NETNS'], rows)}\n`);
}

function checkOutput(output: string): string {
  if (output !== 'table' && output !== 'json')
    throw new CliError(`--output must be "table" or "json", got "${output}"`);
  return output;
}

export function registerEndpoint(program: Command): void {
  const ep = program.command('endpoint').description('wire container namespaces through the local agent');

  withApiSocket(
    ep
      .command('add')
      .description('give a network namespace an address from this host and wire it (veth, /32, routes)')
      .requiredOption('--container-id <id>', 'the container this endpoint belongs to')
      .requiredOption('--netns <path>', 'its network namespace, e.g. /run/netns/c1')
      .option('--ifname <name>', 'interface name inside the namespace', 'eth0')
      .option('--ipv4 <n>', 'how many IPv4 addresses', '1')
      .option('--ipv6 <n>', 'how many IPv6 addresses', '0')
      .option('--ip <address>', 'ask for this address (repeatable)', collect)
      .option('--pool <name>', 'allocate from this pool (repeatable)', collect)
      .option('-o, --output <format>', 'table or json', 'table'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  ip netns add c1 && tsroute endpoint add --container-id c1 --netns /run/netns/c1',
    )
    .action(
      action(async (o: AddOptions) => {
        const output = checkOutput(o.output);
        const req = {
          containerId: o.containerId,
          interface: o.ifname,
          netns: o.netns,
          ipv4Count: count(o.ipv4, '--ipv4'),
          ipv6Count: count(o.ipv6, '--ipv6'),
          addresses: o.ip ?? [],
          pools: o.pool ?? [],
        };
        const endpoint = await withAgent(o, (c) => c.addEndpoint(req));
        printEndpoints([endpoint], output, true);
      }),
    );

  withApiSocket(
    ep
      .command('del')
      .description('unwire an endpoint and release its addresses (a no-op if it is already gone)')
      .requiredOption('--container-id <id>', 'the container')
      .option('--ifname <name>', 'interface name inside the namespace', 'eth0'),
  ).action(
    action(async (o: { containerId: string; ifname: string; apiSocket?: string }) => {
      const res = await withAgent(o, (c) => c.deleteEndpoint({ containerId: o.containerId, interface: o.ifname }));
      process.stdout.write(
        res.existed
          ? `deleted ${o.containerId}/${o.ifname}, released ${res.released.join(', ') || 'nothing'}\n`
          : `${o.containerId}/${o.ifname} did not exist\n`,
      );
    }),
  );

  withApiSocket(
    ep
      .command('check')
      .description("verify an endpoint's interface, addresses and routes against the kernel")
      .requiredOption('--container-id <id>', 'the container')
      .option('--ifname <name>', 'interface name inside the namespace', 'eth0'),
  ).action(
    action(async (o: { containerId: string; ifname: string; apiSocket?: string }) => {
      const res = await withAgent(o, (c) => c.checkEndpoint({ containerId: o.containerId, interface: o.ifname }));
      if (res.ok) {
        process.stdout.write(`${o.containerId}/${o.ifname}: ok\n`);
        return;
      }
      throw new CliError(`${o.containerId}/${o.ifname}: ${res.problems.join('; ')}`);
    }),
  );

  withApiSocket(
    ep.command('list').description("this host's endpoints").option('-o, --output <format>', 'table or json', 'table'),
  ).action(
    action(async (o: { output: string; apiSocket?: string }) => {
      const output = checkOutput(o.output);
      const res = await withAgent(o, (c) => c.listEndpoints());
      printEndpoints(res.endpoints, output);
    }),
  );
}
