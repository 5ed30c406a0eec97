// `tsroute bgppeer`, `bgpfilter` and `bgpconfig`: who peers with whom, and how.
import type { Command } from 'commander';
import {
  type AnyResource,
  API_VERSION,
  type BGPConfiguration,
  type BGPConfigurationSpec,
  type BGPPeer,
  type BGPPeerSpec,
  bgpConfigurationSchema,
  bgpPeerSchema,
  type Kind,
  newResource,
} from '../../src/model/index.js';
import { withAgent, withApiSocket } from '../agent-connection.js';
import { type EtcdFlags, withDatastore, withEtcd } from '../etcd-options.js';
import { action, CliError } from '../exit.js';
import { collect, defined, keyValues, parseCeaseMessage } from '../flag-values.js';
import { outputFormat, outputOption, print, renderResources } from '../output.js';
import { type SpecFlag, specFromFlags, specOptions } from '../schema-flags.js';
import { parseAll } from './apply.js';

/** bgppeer create/update: each flag sets one BGPPeer spec field and is checked by that field's schema. */
const PEER_FLAGS: readonly SpecFlag<BGPPeerSpec>[] = [
  { field: 'peerIP', flags: '--peer-ip <address>', help: "the peer's address" },
  {
    field: 'interface',
    flags: '--interface <name>',
    help: 'unnumbered: the router on this interface, by IPv6 link-local (instead of --peer-ip)',
  },
  { field: 'asNumber', flags: '--as-number <asn>', help: "the peer's AS number" },
  { field: 'port', flags: '--port <port>', help: 'TCP port of the peer (default 179)' },
  { field: 'node', flags: '--node <name>', help: 'only this node peers with it' },
  { field: 'nodeSelector', flags: '--node-selector <selector>', help: 'only nodes matching it peer with it' },
  {
    field: 'peerSelector',
    flags: '--peer-selector <selector>',
    help: 'peer with the tsroute nodes matching it (instead of --peer-ip)',
  },
  { field: 'sourceAddress', flags: '--source-address <address>', help: 'UseNodeIP (default), None or an address' },
  { field: 'nextHopMode', flags: '--next-hop-mode <mode>', help: 'auto, self or keep' },
  {
    field: 'keepOriginalNextHop',
    flags: '--keep-original-next-hop',
    help: 'do not rewrite the next hop towards this peer',
  },
  { field: 'maxRestartTime', flags: '--max-restart-time <seconds>', help: 'graceful-restart time to keep its routes' },
  { field: 'filters', flags: '--filter <name>', help: 'BGPFilter to apply (repeatable, in order)' },
  { field: 'maxPrefix', flags: '--max-prefix <n>', help: 'reset the session beyond this many prefixes' },
  {
    field: 'ttlSecurity',
    flags: '--ttl-security <hops>',
    help: 'GTSM (RFC 5082): the peer is at most this many hops away',
  },
  { field: 'ebgpMultihop', flags: '--ebgp-multihop <hops>', help: 'TTL of our packets (eBGP default 1)' },
  {
    field: 'maxPrefixRestartAfter',
    flags: '--max-prefix-restart-after <seconds>',
    help: 'start the session again this long after a max-prefix trip',
  },
  {
    field: 'maxPrefixWarningPercent',
    flags: '--max-prefix-warning-percent <percent>',
    help: 'warn once the peer sends this % of --max-prefix',
  },
  { field: 'holdTime', flags: '--hold-time <seconds>', help: 'hold time for this session (0 or at least 3)' },
  { field: 'keepaliveTime', flags: '--keepalive-time <seconds>', help: 'keepalive interval for this session' },
  { field: 'connectRetryTime', flags: '--connect-retry-time <seconds>', help: 'seconds between connection attempts' },
  { field: 'addPaths', flags: '--add-paths <mode>', help: 'ADD-PATH (RFC 7911): receive, send or both' },
  {
    field: 'extendedMessages',
    flags: '--extended-messages',
    help: 'offer extended messages (RFC 8654): UPDATEs up to 65535 bytes',
  },
];

interface PeerFlags extends EtcdFlags, Record<string, unknown> {
  passwordFile?: string;
  passwordEnv?: string;
  filter?: string[];
}

/** The spec fields the create/update flags give (only those given). */
function peerSpec(o: PeerFlags): Partial<BGPPeerSpec> {
  const spec = specFromFlags(PEER_FLAGS, o);
  if (o.passwordFile || o.passwordEnv) spec.password = defined({ fromFile: o.passwordFile, fromEnv: o.passwordEnv });
  return spec;
}

/** "tsroute bgp peer" or "tsroute bgppeer", for help examples. */
function cmdPath(c: Command): string {
  const names: string[] = [];
  for (let x: Command | null = c; x; x = x.parent) names.unshift(x.name());
  return names.join(' ');
}

/** get NAME / list for one kind. */
function readCommands(group: Command, kind: Kind, what: string, example: string): void {
  withEtcd(group.command('get').description(`show one ${what}`).argument('<name>').addOption(outputOption()))
    .addHelpText('after', `\nExample:\n  ${cmdPath(group)} get ${example} -o yaml`)
    .action(
      action(async (name: string, o: EtcdFlags & { output?: string }) => {
        const format = outputFormat(o.output);
        const r = await withDatastore(o, (ds) => ds.mustGet(kind, name));
        print(renderResources(kind, [r], format, true));
      }),
    );
  withEtcd(group.command('list').description(`list ${what}s`).addOption(outputOption()))
    .addHelpText('after', `\nExample:\n  ${cmdPath(group)} list -o wide`)
    .action(
      action(async (o: EtcdFlags & { output?: string }) => {
        const format = outputFormat(o.output);
        const items = await withDatastore(o, (ds) => ds.list(kind));
        print(renderResources(kind, items, format));
      }),
    );
  withEtcd(group.command('delete').description(`delete a ${what}`).argument('<name>'))
    .addHelpText('after', `\nExample:\n  ${cmdPath(group)} delete ${example}`)
    .action(
      action(async (name: string, o: EtcdFlags) => {
        await withDatastore(o, (ds) => ds.delete(kind, name));
        print(`${kind.toLowerCase()} "${name}" deleted`);
      }),
    );
}

/** `update NAME --flag …`: create's flags, each given one replacing that field; the rest is kept. */
function registerPeerUpdate(peer: Command, create: Command): void {
  const update = peer
    .command('update')
    .description('change fields of a BGP peer (the flags of create; fields not given are kept)')
    .argument('<name>', 'peer name');
  for (const option of create.options) update.addOption(option);
  update.addHelpText('after', `\nExample:\n  ${cmdPath(peer)} update tor-1 --max-prefix 5000 --hold-time 30`).action(
    action(async (name: string, o: PeerFlags) => {
      const change = peerSpec(o);
      if (!Object.keys(change).length) throw new CliError(`bgppeer update: nothing to change (see --help)`);
      await withDatastore(o, async (ds) => {
        for (const f of o.filter ?? []) {
          if (!(await ds.get('BGPFilter', f)))
            throw new CliError(`bgppeer "${name}": bgpfilter "${f}" does not exist; create it first`);
        }
        const current = await ds.mustGet('BGPPeer', name);
        // current's resourceVersion makes this a compare-and-swap against the read
        await ds.update({ ...current, spec: { ...current.spec, ...change } as BGPPeer['spec'] }); // validated there
      });
      print(`bgppeer "${name}" updated`);
    }),
  );
}

function registerPeer(program: Command, name = 'bgppeer'): void {
  const peer = program.command(name).description('manage BGP peers (top-of-rack routers, route reflectors)');
  const create = peer.command('create').description('create a BGP peer').argument('<name>', 'peer name');
  for (const option of specOptions(bgpPeerSchema, PEER_FLAGS)) create.addOption(option);
  withEtcd(
    create
      .option('--password-file <file>', 'TCP MD5 password read by the agent from this file')
      .option('--password-env <var>', 'TCP MD5 password read by the agent from this environment variable'),
  )
    .addHelpText(
      'after',
      `\nExample:\n  ${cmdPath(peer)} create tor-1 --peer-ip 10.0.0.1 --as-number 65001 --node-selector "rack == 'r1'"`,
    )
    .action(
      action(async (name: string, o: PeerFlags) => {
        const spec = peerSpec(o);
        await withDatastore(o, async (ds) => {
          for (const f of o.filter ?? []) {
            if (!(await ds.get('BGPFilter', f)))
              throw new CliError(`bgppeer "${name}": bgpfilter "${f}" does not exist; create it first`);
          }
          await ds.create(newResource('BGPPeer', name, spec));
        });
        print(`bgppeer "${name}" created`);
      }),
    );
  registerPeerUpdate(peer, create);
  readCommands(peer, 'BGPPeer', 'BGP peer', 'tor-1');
  registerPeerOps(peer);
}

const PEER_NAME_HELP = 'a BGPPeer name, a peer address, or (node-to-node mesh) the other node name';

/** reset / shutdown / enable: operations on the local agent's sessions, over its API. */
function registerPeerOps(peer: Command): void {
  const done = (verb: string, r: { addresses: string[] }) => print(`${verb}: ${r.addresses.join(', ')}`);
  withApiSocket(
    peer
      .command('reset')
      .description('reset BGP sessions of this node: Cease/administrative reset, or --soft: route refresh')
      .argument('<name>', PEER_NAME_HELP)
      .option('--soft', 'keep the session: ask the peer for its routes again and send ours again (RFC 2918)')
      .option('--message <text>', 'text sent with the Cease (RFC 9003)', parseCeaseMessage),
  )
    .addHelpText(
      'after',
      `
Example:
  ${cmdPath(peer)} reset tor-1 --soft`,
    )
    .action(
      action(async (name: string, o: { soft?: boolean; message?: string; apiSocket?: string }) => {
        const r = await withAgent(o, (c) => c.resetPeer({ name, soft: !!o.soft, message: o.message ?? '' }));
        done(o.soft ? 'route refresh sent' : 'reset', r);
      }),
    );
  withApiSocket(
    peer
      .command('shutdown')
      .description("shut BGP sessions of this node down until enabled again (for the agent's lifetime)")
      .argument('<name>', PEER_NAME_HELP)
      .option(
        '--message <text>',
        'shutdown text the peer logs and shows (RFC 9003, at most 255 bytes)',
        parseCeaseMessage,
      ),
  )
    .addHelpText(
      'after',
      `
Example:
  ${cmdPath(peer)} shutdown tor-1 --message "maintenance, back at 14:00"`,
    )
    .action(
      action(async (name: string, o: { message?: string; apiSocket?: string }) => {
        if (o.message !== undefined && Buffer.byteLength(o.message, 'utf8') > 255)
          throw new CliError('--message is longer than 255 bytes (RFC 9003 §2)');
        done('shut down', await withAgent(o, (c) => c.shutdownPeer({ name, message: o.message ?? '' })));
      }),
    );
  withApiSocket(
    peer
      .command('enable')
      .description('bring BGP sessions shut down with "shutdown" (or stopped by max-prefix) back')
      .argument('<name>', PEER_NAME_HELP),
  )
    .addHelpText(
      'after',
      `
Example:
  ${cmdPath(peer)} enable tor-1`,
    )
    .action(
      action(async (name: string, o: { apiSocket?: string }) => {
        done('enabled', await withAgent(o, (c) => c.enablePeer({ name })));
      }),
    );
}

function registerFilter(program: Command, name = 'bgpfilter'): void {
  const filter = program.command(name).description('manage BGP import/export filters');
  withEtcd(
    filter
      .command('create')
      .description('create BGP filters from a manifest (kind BGPFilter)')
      .requiredOption('-f, --filename <file>', 'YAML/JSON file (- for stdin)'),
  )
    .addHelpText(
      'after',
      `\nExample:\n  ${cmdPath(filter)} create -f - <<'EOF'\n  apiVersion: ${API_VERSION}\n  kind: BGPFilter\n  metadata: {name: only-pods}\n  spec:\n    exportV4: [{cidr: 10.65.0.0/16, matchOperator: In, action: Accept}, {action: Reject}]\n  EOF`,
    )
    .action(
      action(async (o: EtcdFlags & { filename: string }) => {
        const resources = parseAll(o.filename);
        const wrong = resources.find((r) => r.kind !== 'BGPFilter');
        if (wrong)
          throw new CliError(
            `${o.filename}: ${wrong.kind} "${wrong.metadata.name}" is not a BGPFilter (use tsroute apply -f)`,
          );
        await withDatastore(o, async (ds) => {
          for (const r of resources) {
            await ds.create(r);
            print(`bgpfilter "${r.metadata.name}" created`);
          }
        });
      }),
    );
  withEtcd(
    filter
      .command('update')
      .description('replace BGP filters from a manifest (kind BGPFilter); each must exist; all or none')
      .requiredOption('-f, --filename <file>', 'YAML/JSON file (- for stdin)'),
  )
    .addHelpText('after', `\nExample:\n  ${cmdPath(filter)} update -f only-pods.yaml`)
    .action(
      action(async (o: EtcdFlags & { filename: string }) => {
        const resources = parseAll(o.filename);
        const wrong = resources.find((r) => r.kind !== 'BGPFilter');
        if (wrong)
          throw new CliError(
            `${o.filename}: ${wrong.kind} "${wrong.metadata.name}" is not a BGPFilter (use tsroute apply -f)`,
          );
        await withDatastore(o, async (ds) => {
          const missing: string[] = [];
          for (const r of resources) if (!(await ds.get('BGPFilter', r.metadata.name))) missing.push(r.metadata.name);
          if (missing.length)
            throw new CliError(
              `bgpfilter ${missing.map((m) => `"${m}"`).join(', ')} not found; nothing updated (create it first)`,
            );
          for (const { resource } of await ds.applyAll(resources))
            print(`bgpfilter "${resource.metadata.name}" updated`);
        });
      }),
    );
  readCommands(filter, 'BGPFilter', 'BGP filter', 'only-pods');
}

/** bgpconfig set: each flag sets one BGPConfiguration spec field and is checked by that field's schema. */
const CONFIG_FLAGS: readonly SpecFlag<BGPConfigurationSpec>[] = [
  { field: 'asNumber', flags: '--as-number <asn>', help: 'AS number of the cluster (default 64512)' },
  { field: 'nodeToNodeMeshEnabled', flags: '--mesh <on|off>', help: 'node-to-node mesh' },
  { field: 'listenPort', flags: '--listen-port <port>', help: 'BGP port (default 179)' },
  { field: 'keepaliveTime', flags: '--keepalive-time <seconds>', help: 'keepalive interval' },
  { field: 'holdTime', flags: '--hold-time <seconds>', help: 'hold time (0 or at least 3)' },
  { field: 'connectRetryTime', flags: '--connect-retry-time <seconds>', help: 'seconds between connection attempts' },
  { field: 'gracefulRestartTime', flags: '--graceful-restart-time <seconds>', help: 'graceful-restart time' },
];

interface ConfigFlags extends EtcdFlags, Record<string, unknown> {
  node?: string;
  community?: string[];
  advertise?: string[];
  output?: string;
}

function registerConfig(program: Command, name = 'bgpconfig'): void {
  const config = program.command(name).description('see and change the BGP configuration (AS number, mesh, timers)');
  withEtcd(
    config
      .command('get')
      .description('show the BGP configuration (with --node: what that node runs with, defaults filled in)')
      .option('--node <name>', "a node's effective configuration")
      .addOption(outputOption()),
  )
    .addHelpText('after', `\nExample:\n  ${cmdPath(config)} get -o yaml\n  ${cmdPath(config)} get --node host-a`)
    .action(
      action(async (o: ConfigFlags) => {
        const format = outputFormat(o.output);
        const r = await withDatastore(o, async (ds): Promise<AnyResource> => {
          const spec = await ds.effectiveBgpConfiguration(o.node);
          const stored = await ds.get('BGPConfiguration', o.node ? `node.${o.node}` : 'default');
          if (stored && !o.node) return stored;
          return {
            apiVersion: API_VERSION,
            kind: 'BGPConfiguration',
            metadata: { name: o.node ? `node.${o.node}` : 'default' },
            spec,
          };
        });
        print(renderResources('BGPConfiguration', [r], format, true));
      }),
    );
  const set = config
    .command('set')
    .description('change the BGP configuration ("default", or one node\'s override with --node)')
    .option('--node <name>', "change only this node's override (node.<name>)");
  for (const option of specOptions(bgpConfigurationSchema, CONFIG_FLAGS)) set.addOption(option);
  withEtcd(
    set
      .option('--community <name=value>', 'named community, e.g. pods=65000:100 (repeatable)', collect)
      .option(
        '--advertise <cidr=communities>',
        'communities for a prefix, e.g. 10.65.0.0/16=pods (repeatable)',
        collect,
      ),
  )
    .addHelpText('after', `\nExample:\n  ${cmdPath(config)} set --as-number 65010 --mesh off`)
    .action(
      action(async (o: ConfigFlags) => {
        const name = o.node ? `node.${o.node}` : 'default';
        const change: BGPConfigurationSpec = specFromFlags(CONFIG_FLAGS, o);
        if (o.community)
          change.communities = Object.entries(keyValues('--community', o.community)).map(([n, value]) => ({
            name: n,
            value,
          }));
        if (o.advertise) {
          change.prefixAdvertisements = Object.entries(keyValues('--advertise', o.advertise)).map(([cidr, list]) => ({
            cidr,
            communities: list.split(',').filter(Boolean),
          }));
        }
        if (!Object.keys(change).length)
          throw new CliError('bgpconfig set: nothing to change (see --help for the settings)');
        await withDatastore(o, async (ds) => {
          const current = await ds.get('BGPConfiguration', name);
          if (current) {
            const next: BGPConfiguration = { ...current, spec: { ...current.spec, ...change } };
            await ds.update(next);
          } else await ds.create(newResource('BGPConfiguration', name, change));
        });
        print(`bgpconfiguration "${name}" updated`);
      }),
    );
}

export function registerBgp(program: Command): void {
  registerPeer(program);
  registerFilter(program);
  registerConfig(program);
  // The same commands grouped: `tsroute bgp peer list`, `tsroute bgp config set --mesh off`.
  const bgp = program
    .command('bgp')
    .description('BGP peers, filters and configuration (also as bgppeer, bgpfilter, bgpconfig)');
  registerPeer(bgp, 'peer');
  registerFilter(bgp, 'filter');
  registerConfig(bgp, 'config');
}
