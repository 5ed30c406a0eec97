import type { Command } from 'commander';
import type { AgentFlags } from '../../src/agent/config.js';
import type { Event } from '../../src/api/types.js';
import { DEFAULT_API_SOCKET } from '../../src/api/types.js';
import { agentClient, withAgent, withApiSocket } from '../agent-connection.js';
import { type EtcdFlags, withDatastore, withEtcd } from '../etcd-options.js';
import { action, CliError } from '../exit.js';
import { collect } from '../flag-values.js';
import { renderNodeStatus } from '../node-status.js';
import { dumpAs, type OutputFormat, outputFormat, outputOption, print, renderResources } from '../output.js';
import { registerNodeDelete } from './node-delete.js';
import { registerNodeService } from './node-service.js';

/** One line per event, for people. */
function describeEvent(e: Event): string {
  const time = new Date(Number(e.timeUnixMs)).toISOString().slice(11, 23);
  if (e.peer)
    return `${time} peer ${e.peer.peer.address} AS${e.peer.peer.asNumber} ${e.peer.previousState} → ${e.peer.peer.state}`;
  if (e.route)
    return e.route.kind === 'withdrawn'
      ? `${time} route ${e.route.route.prefix} withdrawn`
      : `${time} route ${e.route.route.prefix} via ${e.route.route.nextHops.join(',')} [${e.route.route.asPath.join(' ')}]`;
  if (e.endpoint)
    return `${time} endpoint ${e.endpoint.kind} ${e.endpoint.endpoint.containerId}/${e.endpoint.endpoint.interface} ${e.endpoint.endpoint.addresses.join(',')}`;
  if (e.ipam) return `${time} ipam ${e.ipam.kind} ${e.ipam.addresses.join(',')}`;
  return `${time} ${JSON.stringify(e)}`;
}

export function registerNode(program: Command): void {
  const node = program.command('node').description('run the per-host agent, and see nodes and their BGP state');
  node
    .command('run')
    .description('run the tsroute agent on this host (until SIGINT/SIGTERM)')
    .option(
      '--config <file>',
      'YAML settings file, keys = these flags without "--" (env TSROUTE_CONFIG); SIGHUP re-reads it',
    )
    .option('--name <node>', "this node's name (env TSROUTE_NODE_NAME, default: hostname)")
    .option('--etcd-endpoints <urls>', 'comma-separated http://, https:// or unix:// (env TSROUTE_ETCD_ENDPOINTS)')
    .option('--etcd-ca <file>', 'CA bundle for https etcd (env TSROUTE_ETCD_CA)')
    .option('--etcd-cert <file>', 'client certificate (env TSROUTE_ETCD_CERT)')
    .option('--etcd-key <file>', 'client key (env TSROUTE_ETCD_KEY)')
    .option('--bgp-address <ipv4>', 'address to peer from and announce as next hop (env TSROUTE_BGP_ADDRESS)')
    .option('--bgp-address6 <ipv6>', 'IPv6 address to peer from (env TSROUTE_BGP_ADDRESS6)')
    .option('--as <number>', "this node's AS number, overriding the cluster's (env TSROUTE_AS)")
    .option('--label <key=value>', 'node label (repeatable; env TSROUTE_NODE_LABELS=k=v,k2=v2)', collect)
    .option('--api-socket <path>', `agent API socket (env TSROUTE_API_SOCKET, default ${DEFAULT_API_SOCKET})`)
    .option('--metrics-port <port>', 'Prometheus /metrics port, 0 = off (env TSROUTE_METRICS_PORT)')
    .option('--metrics-host <address>', 'address for /metrics (env TSROUTE_METRICS_HOST, default 127.0.0.1)')
    .option('--log-level <level>', 'trace, debug, info, warn or error (env TSROUTE_LOG_LEVEL)')
    .option('--resync-interval <duration>', 'how often the kernel is compared with the desired state (default 30s)')
    .option('--status-interval <duration>', 'heartbeat: how often the status in etcd is re-written (default 10s)')
    .option('--status-ttl <duration>', "lease TTL of the node's status in etcd (default 3 × status interval)")
    .option('--leak-grace <duration>', 'release an address allocated with no endpoint after this long (default 15m)')
    .option('--leak-check-interval <duration>', 'how often the elected agent checks for IPAM leaks (default 1m)')
    .addHelpText(
      'after',
      '\nPrecedence: flags, then TSROUTE_* environment, then the --config file, then defaults.\n' +
        '\nExamples:\n  tsroute node run --name host-a --etcd-endpoints http://127.0.0.1:2379 --bgp-address 10.0.1.2\n' +
        '  tsroute node run --config /etc/tsroute/node.yaml',
    )
    .action(
      action(async (flags: AgentFlags & { config?: string }) => {
        const { runAgent } = await import('../../src/agent/run.js');
        await runAgent(flags);
      }),
    );
  registerNodeService(node);
  registerNodeDelete(node);
  withApiSocket(
    node.command('status').description('BGP sessions, blocks and routes of the local agent').addOption(outputOption()),
  )
    .addHelpText('after', '\nExample:\n  tsroute node status -o json')
    .action(
      action(async (o: { output: OutputFormat; apiSocket?: string }) => {
        const status = await withAgent(o, (c) => c.getStatus(5000), 5000);
        print(
          o.output === 'json' || o.output === 'yaml'
            ? dumpAs(status, o.output)
            : renderNodeStatus(status, Date.now(), o.output === 'wide'),
        );
      }),
    );
  withApiSocket(
    node
      .command('events')
      .description("follow the local agent's events: BGP session changes, best paths, endpoints (Ctrl-C ends)")
      .option('--peers', 'only session changes')
      .option('--routes', 'only best-path changes')
      .option('--endpoints', 'only endpoint changes')
      .option('--ipam', 'only leak-GC releases (on the agent elected to run it)')
      .option('-o, --output <format>', 'text or json (one JSON object per line)', 'text'),
  )
    .addHelpText('after', '\nExample:\n  tsroute node events --peers')
    .action(
      action(
        async (o: {
          peers?: boolean;
          routes?: boolean;
          endpoints?: boolean;
          ipam?: boolean;
          output: string;
          apiSocket?: string;
        }) => {
          if (o.output !== 'text' && o.output !== 'json')
            throw new CliError(`--output must be "text" or "json", got "${o.output}"`);
          const client = agentClient(o);
          await client.getStatus(5000); // a missing agent is one clear error, not a silent wait
          await new Promise<void>((resolve, reject) => {
            const stop = client.watchEvents(
              { peers: !!o.peers, routes: !!o.routes, endpoints: !!o.endpoints, ipam: !!o.ipam },
              (e) => process.stdout.write(`${o.output === 'json' ? JSON.stringify(e) : describeEvent(e)}\n`),
              (err) => (err ? reject(err) : resolve()),
            );
            process.once('SIGINT', () => {
              stop();
              resolve();
            });
          });
          client.close();
        },
      ),
    );
  withEtcd(node.command('list').description('list the nodes registered in etcd').addOption(outputOption()))
    .addHelpText('after', '\nExample:\n  tsroute node list -o wide')
    .action(
      action(async (o: { output?: string } & EtcdFlags) => {
        const format = outputFormat(o.output);
        await withDatastore(o, async (ds) => print(renderResources('Node', await ds.list('Node'), format)));
      }),
    );
  withEtcd(node.command('get <name>').description('show one node').addOption(outputOption('yaml')))
    .addHelpText('after', '\nExample:\n  tsroute node get host-a -o yaml')
    .action(
      action(async (name: string, o: { output?: string } & EtcdFlags) => {
        const format = outputFormat(o.output);
        await withDatastore(o, async (ds) =>
          print(renderResources('Node', [await ds.mustGet('Node', name)], format, true)),
        );
      }),
    );
}
