// `tsroute endpoint add|del|check|list`: wire a container namespace through the local agent by hand
// (what the CNI plugin does for a runtime). Useful for labs, tests and debugging.
import type { Command } from 'commander';
import type { Endpoint } from '../../src/api/types.js';
import { byAddress } from '../address-order.js';
import { withAgent, withApiSocket } from '../agent-connection.js';
import { action, CliError } from '../exit.js';
import { collect, collectAddresses } from '../flag-values.js';
import { dumpAs, type OutputFormat, outputOption, print } from '../output.js';
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
  output: OutputFormat;
}

function count(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 16)
    throw new CliError(`${flag} must be a whole number from 0 to 16, got "${value}"`);
  return n;
}

/** Sorted by first address; `wide` adds the MAC, gateways and handle. */
function printEndpoints(endpoints: Endpoint[], output: OutputFormat, single = false): void {
  if (output === 'json' || output === 'yaml') {
    print(dumpAs(single ? endpoints[0] : endpoints, output));
    return;
  }
  const wide = output === 'wide';
  const rows = byAddress(endpoints, (e) => e.addresses[0] ?? '').map((e) => [
    e.containerId,
    e.interface,
    byAddress(e.addresses, (a) => a).join(','),
    e.hostInterface,
    e.netns,
    ...(wide ? [e.mac || '-', [e.gatewayIpv4, e.gatewayIpv6].filter(Boolean).join(',') || '-', e.handleId || '-'] : []),
  ]);
  const header = ['CONTAINER', 'IF', 'ADDRESSES', 'HOST IF', 'NETNS', ...(wide ? ['MAC', 'GATEWAYS', 'HANDLE'] : [])];
  print(renderTable(header, rows));
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
      .option('--ip <address>', 'ask for this address (repeatable)', collectAddresses('--ip'))
      .option('--pool <name>', 'allocate from this pool (repeatable)', collect)
      .addOption(outputOption()),
  )
    .addHelpText(
      'after',
      '\nExample:\n  ip netns add c1 && tsroute endpoint add --container-id c1 --netns /run/netns/c1',
    )
    .action(
      action(async (o: AddOptions) => {
        const output = o.output;
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

  withApiSocket(ep.command('list').description("this host's endpoints").addOption(outputOption())).action(
    action(async (o: { output: OutputFormat; apiSocket?: string }) => {
      const output = o.output;
      const res = await withAgent(o, (c) => c.listEndpoints());
      printEndpoints(res.endpoints, output);
    }),
  );
}
