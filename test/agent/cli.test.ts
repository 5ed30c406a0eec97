// The CLI against a running agent: endpoint add/list/check/del, rib views and node status, as a
// person would type them (one host, its agent, the compiled `tsroute`).
import test from 'ava';
import { parse } from 'yaml';
import { tsrouteArgv } from '../../src/lab/agent.js';
import { waitFor } from '../../src/lab/index.js';
import { allSessionsUp, meshCluster } from '../helpers/cluster.js';
import { labFor } from '../helpers/lab.js';

test('tsroute endpoint / rib / node status against a running agent', async (t) => {
  t.timeout(600_000); // two agents and some twenty CLI processes: minutes on a loaded machine
  const lab = await labFor(t);
  const { hosts } = await meshCluster(lab, { count: 2 });
  const h1 = hosts[0]!;
  await allSessionsUp(hosts, 1);
  const ns = await lab.namespace('web');
  const events = h1.ns.spawn('events', [
    ...tsrouteArgv(),
    'node',
    'events',
    '--endpoints',
    '--api-socket',
    h1.agent.apiSocket,
  ]);
  await new Promise((r) => setTimeout(r, 1500)); // let it subscribe

  const add = await h1.agent.cli(['endpoint', 'add', '--container-id', 'web', '--netns', ns.path, '-o', 'json']);
  t.is(add.code, 0, add.stderr);
  const ep = JSON.parse(add.stdout) as { addresses: string[]; hostInterface: string; gatewayIpv4: string };
  t.regex(ep.addresses[0]!, /^10\.65\.\d+\.\d+\/32$/);
  t.regex(ep.hostInterface, /^tsr[0-9a-f]{11}$/);
  t.is(ep.gatewayIpv4, '169.254.1.1');

  const list = await h1.agent.cli(['endpoint', 'list']);
  t.regex(list.stdout, new RegExp(`web\\s+eth0\\s+${ep.addresses[0]!.replace(/\./g, '\\.').replace('/', '\\/')}`));
  t.is((await h1.agent.cli(['endpoint', 'check', '--container-id', 'web'])).stdout.trim(), 'web/eth0: ok');
  // break it behind the agent's back: check says what is wrong, exit 1
  await h1.ns.ip('link', 'del', ep.hostInterface);
  const broken = await h1.agent.cli(['endpoint', 'check', '--container-id', 'web']);
  t.is(broken.code, 1);
  t.regex(broken.stderr, /host interface tsr[0-9a-f]{11} is missing/);

  const rib = await h1.agent.cli(['rib']);
  t.regex(rib.stdout, /\*\s+10\.65\.\d+\.\d+\/26\s+self\s+-.*local/); // our own block
  const fib = await h1.agent.cli(['rib', '--fib']);
  t.regex(fib.stdout, /blackhole\s+-\s+-\s+block/);
  const adjIn = await h1.agent.cli(['rib', '--view', 'in']);
  t.is(adjIn.code, 1);
  t.is(adjIn.stderr.trim(), 'tsroute: --view in needs --peer ADDRESS');
  const { node: h1Name, peers } = await h1.agent.status();
  const peerAddress = peers[0]!.address;
  const unknownPeer = await h1.agent.cli(['rib', '--view', 'in', '--peer', '192.0.2.99']);
  t.is(unknownPeer.code, 1, 'a peer the agent does not have is an error, not an empty table');
  t.is(unknownPeer.stderr.trim(), `tsroute: no BGP peer 192.0.2.99 on node ${h1Name} (its peers: ${peerAddress})`);
  const adjInWide = await h1.agent.cli(['rib', '--view', 'out', '--peer', peerAddress, '-o', 'wide']); // our block
  t.is(adjInWide.code, 0, adjInWide.stderr);
  t.regex(adjInWide.stdout, /^\s+PREFIX\s+NEXT HOP.*FROM\s+ORIGIN$/m);
  t.regex(adjInWide.stdout, /10\.65\.\d+\.\d+\/26\s.*\sigp$/m);

  // every read command speaks table, wide, json and yaml, agent ones included
  const statusYaml = await h1.agent.cli(['node', 'status', '-o', 'yaml']);
  t.is(statusYaml.code, 0, statusYaml.stderr);
  t.like(parse(statusYaml.stdout), { node: h1Name, peers: [{ address: peerAddress, state: 'Established' }] });
  const statusWide = await h1.agent.cli(['node', 'status', '-o', 'wide']);
  t.regex(
    statusWide.stdout,
    /^PEER\s+AS\s+TYPE\s+STATE\s+SINCE\s+RECEIVED\s+ACCEPTED\s+ADVERTISED\s+ROUTER-ID\s+HOLD/m,
  );
  const listYaml = await h1.agent.cli(['endpoint', 'list', '-o', 'yaml']);
  t.like(parse(listYaml.stdout), [{ containerId: 'web', addresses: ep.addresses }]);
  const listWide = await h1.agent.cli(['endpoint', 'list', '-o', 'wide']);
  t.regex(listWide.stdout, /^CONTAINER\s+IF\s+ADDRESSES\s+HOST IF\s+NETNS\s+MAC\s+GATEWAYS\s+HANDLE$/m);
  t.regex(listWide.stdout, /169\.254\.1\.1/);

  const del = await h1.agent.cli(['endpoint', 'del', '--container-id', 'web']);
  t.regex(del.stdout, /^deleted web\/eth0, released 10\.65\./);
  t.regex((await h1.agent.cli(['endpoint', 'del', '--container-id', 'web'])).stdout, /did not exist/);

  await waitFor('the event stream to show both', () => /endpoint deleted web\/eth0/.test(events.tail(10)));
  t.regex(events.tail(10), /endpoint added web\/eth0 10\.65\.\d+\.\d+\/32/);
  await events.stop();

  const bad = await h1.agent.cli(['endpoint', 'add', '--container-id', 'x', '--netns', ns.path, '--ipv4', 'many']);
  t.is(bad.code, 1);
  t.is(bad.stderr.trim(), 'tsroute: --ipv4 must be a whole number from 0 to 16, got "many"');
  const noAgent = await h1.agent.cli(['node', 'status', '--api-socket', lab.path('nobody.sock')]);
  t.is(noAgent.code, 3);
  t.regex(noAgent.stderr, /is "tsroute node run" running\?/);
});
