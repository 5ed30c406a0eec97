// Every command, given a bad value for any of its value-taking flags, says so in one line and exits
// 1 before reaching etcd or the agent (both point at nothing here, so a value that slipped through
// would end as exit 2 or 3 instead). The command tree is walked, so a new command is covered too;
// a new flag with a parser must get a bad value below, or this test fails.
import test from 'ava';
import type { Command, Option } from 'commander';
import { collect } from '../../cli/flag-values.js';
import { buildProgram } from '../../cli/program.js';
import { type CliResult, runCli } from './run-cli.js';

/** A bad value for each value-taking flag that has a shape (numbers, booleans, addresses, formats). */
const BAD: Record<string, string> = {
  '--as-number': 'abc',
  '--port': 'x',
  '--mesh': 'maybe',
  '--block-size': 'abc',
  '--max-restart-time': 'soon',
  '--max-prefix': 'lots',
  '--listen-port': 'x',
  '--keepalive-time': 'x',
  '--hold-time': '-3',
  '--graceful-restart-time': '1.5',
  '--community': 'novalue',
  '--advertise': 'novalue',
  '--nat-outgoing': 'maybe',
  '--disabled': 'maybe',
  '--disable-bgp-export': 'maybe',
  '--grace': 'x',
  '--output': 'xml',
  '--ipv4': 'x',
  '--ipv6': '99',
  '--ip': 'nope',
  '--view': 'sideways',
  '--as': 'abc',
  '--metrics-port': 'x',
  '--log-level': 'loud',
  '--resync-interval': 'soon',
  '--leak-check-interval': 'soon',
  '--leak-grace': 'soon',
  '--status-interval': 'soon',
  '--status-ttl': 'soon',
  '--bgp-address': 'nope',
  '--bgp-address6': 'nope',
  '--label': 'novalue',
  '--cidr': 'nope',
  '--peer-ip': 'nope',
  '--next-hop-mode': 'sideways',
  '--source-address': 'nope',
  '--prefix': 'nope',
  '--peer': 'nope',
  '--etcd-endpoints': 'ftp://x',
  '--config': '/nonexistent/node.yaml',
  '--ebgp-multihop': 'x',
  '--max-prefix-restart-after': 'x',
  '--max-prefix-warning-percent': 'x',
  '--connect-retry-time': 'x',
  '--add-paths': 'sideways',
  '--message': 'x'.repeat(256),
  '--ttl-security': 'x',
  '--node-selector': 'rack ==',
  '--peer-selector': 'role ==',
  '--interface': 'eth0:1',
};

/** Good values for required options, so that only the bad one is wrong. */
const GOOD: Record<string, string> = {
  '--cidr': '10.96.0.0/16',
  '--container-id': 'c1',
  '--netns': '/run/netns/none',
  '--filename': '/dev/null',
};

/** Flags whose value is free text (names, selectors, paths) or that are not about the cluster. */
const FREE = new Set([
  '--name',
  '--node',
  '--password-file',
  '--password-env',
  '--filter',
  '--pool',
  '--handle',
  '--from-report',
  '--filename',
  '--api-socket',
  '--etcd-ca',
  '--etcd-cert',
  '--etcd-key',
  '--metrics-host',
  '--container-id',
  '--netns',
  '--ifname',
]);

interface Case {
  args: string[];
  flag: string;
  value: string;
}

async function cases(): Promise<{ cases: Case[]; uncovered: string[] }> {
  const out: Case[] = [];
  const uncovered: string[] = [];
  const walk = (c: Command, path: string[]) => {
    if (path[0] === 'lab') return; // lab commands start namespaces and routers: covered in test/harness
    // writes a systemd unit and config under --root: the install tests cover it (test/install)
    if (path.join(' ') === 'node install-service') return;
    if (path[0] === 'bgp') return; // `bgp peer …` is `bgppeer …` registered a second time (cli/commands/bgp.ts)
    if (c.commands.length) {
      for (const s of c.commands) walk(s, [...path, s.name()]);
      return;
    }
    const positional = c.registeredArguments.filter((a) => a.required).map(() => 'x');
    const required = (c.options as Option[]).filter((o) => o.mandatory);
    for (const o of c.options as Option[]) {
      if (!(o.required || o.optional) || !o.long) continue;
      // `ipam check -o` names a report file, not a format
      const value = o.long === '--output' && !/<format>/.test(o.flags) ? undefined : BAD[o.long];
      if (value === undefined) {
        if (!FREE.has(o.long) && o.long !== '--output') uncovered.push(`${path.join(' ')} ${o.long}`);
        if (o.parseArg && o.parseArg !== collect && !BAD[o.long]) uncovered.push(`${path.join(' ')} ${o.long}`);
        continue;
      }
      const others = required.filter((r) => r.long !== o.long).flatMap((r) => [r.long!, GOOD[r.long!] ?? 'x']);
      out.push({ args: [...path, ...positional, ...others, o.long, value], flag: o.long, value });
    }
  };
  walk(await buildProgram(), []);
  return { cases: out, uncovered };
}

test('cli: every command refuses each bad flag value in one line, exit 1, before reaching etcd or the agent', async (t) => {
  // About 70 Node processes: a few seconds unloaded, over a minute on a busy two-core machine.
  t.timeout(600_000);
  const { cases: all, uncovered } = await cases();
  t.deepEqual(uncovered, [], 'value-taking flags with no bad value in this test');
  t.true(all.length > 50, `${all.length} cases`);
  // Nothing listens on either: a value that is not checked first ends as exit 2 (etcd) or 3 (agent).
  const env = { TSROUTE_ETCD_ENDPOINTS: 'http://127.0.0.1:9', TSROUTE_API_SOCKET: '/nonexistent/tsroute.sock' };
  const results: CliResult[] = [];
  // runCli runs a few at a time: each is a Node process.
  results.push(...(await Promise.all(all.map((c) => runCli(c.args, { env })))));
  // Every case is judged before the one assertion, so a failure lists all the commands at fault.
  const faults: string[] = [];
  all.forEach((c, i) => {
    const r = results[i]!;
    const what = `tsroute ${c.args.join(' ')}`;
    const err = r.stderr.trimEnd();
    if (r.code !== 1) faults.push(`${what}: exit ${r.code}: ${err}`);
    else if (err.split('\n').length !== 1 || /\n\s+at /.test(r.stderr)) faults.push(`${what}: not one line: ${err}`);
    else if (!err.startsWith('tsroute: ')) faults.push(`${what}: ${err}`);
    else if (!err.includes(c.value) && !err.includes(c.flag)) faults.push(`${what}: names neither: ${err}`);
    else if (r.stdout !== '') faults.push(`${what}: printed ${r.stdout}`);
  });
  t.deepEqual(faults, []);
});

test('cli: bare tsroute and a group without a subcommand print help on stdout and exit 0', async (t) => {
  for (const args of [[], ['bgppeer'], ['ipam']]) {
    const r = await runCli(args);
    t.is(r.code, 0, `tsroute ${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stdout, /^Usage: tsroute/, `tsroute ${args.join(' ')}`);
    t.is(r.stderr, '');
  }
  const unknown = await runCli(['bogus']);
  t.is(unknown.code, 1);
  t.is(unknown.stdout, '');
  t.regex(unknown.stderr, /^tsroute: unknown command 'bogus' \(see --help\)\n$/);
});
