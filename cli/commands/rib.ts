// `tsroute rib`: the local agent's routes — its BGP Loc-RIB (default), a peer's Adj-RIB-In/Out, or
// the kernel routes it owns (--fib).
import type { Command } from 'commander';
import type { Route, RouteView } from '../../src/api/types.js';
import { byAddress } from '../address-order.js';
import { withAgent, withApiSocket } from '../agent-connection.js';
import { action, CliError } from '../exit.js';
import { parseAddressFlag, parseCidrFlag } from '../flag-values.js';
import { dumpAs, type OutputFormat, outputOption, print } from '../output.js';
import { renderTable } from '../table.js';

const VIEWS: Record<string, RouteView> = {
  loc: 'LOC_RIB',
  in: 'ADJ_RIB_IN',
  out: 'ADJ_RIB_OUT',
  kernel: 'KERNEL',
};

/** Routes in numeric prefix order; `wide` adds the origin and, for kernel routes, the route type. */
export function printRoutes(routes: Route[], view: RouteView, wide = false): string {
  routes = byAddress(routes, (r) => r.prefix);
  if (view === 'KERNEL') {
    const rows = routes.map((r) => [
      r.prefix,
      r.type || 'unicast',
      r.nextHops.join(',') || (r.source === 'local' ? 'self' : '-'),
      r.dev || '-',
      r.protocol,
    ]);
    return renderTable(['PREFIX', 'TYPE', 'VIA', 'DEV', 'PROTO'], rows);
  }
  const rows = routes.map((r) => [
    `${r.best ? '*' : ' '}${r.stale ? 'S' : ' '} ${r.prefix}`,
    r.nextHops.join(',') || (r.source === 'local' ? 'self' : '-'),
    r.asPath.join(' ') || '-',
    r.localPref || '-',
    r.med || '-',
    [...r.communities, ...r.largeCommunities].join(' ') || '-',
    r.source || 'local',
    ...(wide ? [r.origin || '-'] : []),
  ]);
  return renderTable(
    ['   PREFIX', 'NEXT HOP', 'AS PATH', 'LPREF', 'MED', 'COMMUNITIES', 'FROM', ...(wide ? ['ORIGIN'] : [])],
    rows,
  );
}

interface RibOptions {
  prefix?: string;
  longer?: boolean;
  fib?: boolean;
  view: string;
  peer?: string;
  output: OutputFormat;
  apiSocket?: string;
}

export function registerRib(program: Command): void {
  withApiSocket(
    program
      .command('rib')
      .description("the local agent's BGP routes (or its kernel routes with --fib)")
      .option('--prefix <prefix>', 'only routes for this prefix', parseCidrFlag('--prefix', true))
      .option('--longer', 'with --prefix: also the more specific routes inside it')
      .option('--view <view>', 'loc (Loc-RIB), in (Adj-RIB-In), out (Adj-RIB-Out) or kernel', 'loc')
      .option('--peer <address>', 'with --view in/out: the peer', parseAddressFlag('--peer'))
      .option('--fib', 'the kernel routes the agent owns (same as --view kernel)')
      .addOption(outputOption()),
  )
    .addHelpText('after', '\nExamples:\n  tsroute rib\n  tsroute rib --view in --peer 10.0.0.1\n  tsroute rib --fib')
    .action(
      action(async (o: RibOptions) => {
        const view = o.fib ? 'KERNEL' : VIEWS[o.view];
        if (!view) throw new CliError(`--view must be one of ${Object.keys(VIEWS).join(', ')}, got "${o.view}"`);
        if ((view === 'ADJ_RIB_IN' || view === 'ADJ_RIB_OUT') && !o.peer)
          throw new CliError(`--view ${o.view} needs --peer ADDRESS`);
        const res = await withAgent(o, (c) =>
          c.listRoutes({ view, prefix: o.prefix ?? '', longer: !!o.longer, peer: o.peer ?? '' }),
        );
        if (o.output === 'json' || o.output === 'yaml') print(dumpAs(res.routes, o.output));
        else print(printRoutes(res.routes, view, o.output === 'wide'));
      }),
    );
}
