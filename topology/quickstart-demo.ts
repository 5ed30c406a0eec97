// The README's main job: the `quickstart` fabric — one FRR top-of-rack router, three hosts each
// running `tsroute node run` in its own AS (eBGP) — brought up from nothing on this machine with
// network namespaces. It wires two containers per host through the agents, prints the reachability
// matrix, one host's routes and `tsroute node status`, and removes everything (or, with --keep,
// waits until Ctrl-C so you can look around).
import { addContainer, allSessionsUp, type Container, torCluster } from '../src/lab/cluster.js';
import { Lab } from '../src/lab/index.js';

const keep = process.argv.includes('--keep');
const router = process.argv.includes('--bird') ? 'bird' : 'frr';
const t0 = Date.now();
const step = (text: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${text}`);

async function matrix(containers: Container[]): Promise<{ text: string; failed: number }> {
  const cell = async (from: Container, to: Container) =>
    from === to ? '  -  ' : (await from.ns.ping(to.address, { count: 1, timeoutS: 2 })) ? '  ✔  ' : '  ✘  ';
  const rows = await Promise.all(containers.map(async (from) => Promise.all(containers.map((to) => cell(from, to)))));
  const name = (c: Container) => `${c.ns.label}@${c.host.name}`.padEnd(8);
  const header = `${' '.repeat(22)}${containers.map((c) => c.ns.label.padStart(4).padEnd(5)).join('')}`;
  const lines = containers.map((c, i) => `${name(c)} ${c.address.padEnd(13)}${rows[i]!.join('')}`);
  const failed = rows.flat().filter((x) => x.includes('✘')).length;
  return { text: [header, ...lines].join('\n'), failed };
}

const lab = await Lab.create('quickstart');
let failed = 0;
try {
  step(
    `creating the fabric: a ${router.toUpperCase()} top-of-rack (AS 65000) and hosts h1, h2, h3 (AS 65001-65003), one etcd`,
  );
  step('starting `tsroute node run` on every host; pool 10.65.0.0/16 in /26 blocks, one BGP peer (the ToR) per host');
  const { hosts } = await torCluster(lab, { count: 3, router });
  await allSessionsUp(hosts, 1, 30_000);
  step('every host has its eBGP session with the ToR Established');
  const containers: Container[] = [];
  for (const h of hosts)
    for (const x of ['a', 'b']) containers.push(await addContainer(lab, h, `${h.name.slice(1)}${x}`));
  step(`wired ${containers.length} containers (a veth each, a /32 from the host's block, gateway 169.254.1.1)`);
  await new Promise((r) => setTimeout(r, 500));
  const m = await matrix(containers);
  failed = m.failed;
  console.log(`\nreachability (every container pings every other; rows ping columns):\n${m.text}`);
  console.log(
    failed
      ? `\n✘ ${failed} pairs cannot reach each other`
      : `\n✔ all ${containers.length * (containers.length - 1)} pairs reach each other`,
  );

  const h1 = hosts[0]!;
  console.log(`\nh1's kernel routes (proto bgp: learned from the ToR; proto 80/81: its containers and its block):`);
  console.log((await h1.ns.ip('route')).stdout.trimEnd());
  console.log('\n$ tsroute node status   (on h1)');
  const status = await h1.agent.cli(['node', 'status']);
  console.log((status.stdout || status.stderr).trimEnd());

  if (keep) {
    console.log(`
The lab stays up until you press Ctrl-C. To look around (as root, in another terminal):
  ip netns list | grep ${lab.id}
  ip netns exec ${h1.ns.name} ip route
  ip netns exec ${h1.ns.name} ${process.execPath} --import tsx ${process.cwd()}/cli/main.ts node status --api-socket ${h1.agent.apiSocket}
  ip netns exec ${containers[0]!.ns.name} ping ${containers[5]!.address}
Ctrl-C removes every namespace, link and process the lab made.`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
} catch (err) {
  failed = 1;
  console.error(`demo failed: ${(err as Error).message}`);
} finally {
  step('removing everything the demo made');
  await lab.destroy();
}
process.exit(failed ? 1 : 0);
