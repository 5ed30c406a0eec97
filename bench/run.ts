// `npm run bench`: every benchmark of the project, one after another, each printing its own figures
// side by side with the reference daemons or tools measured in the same run.
// A benchmark module exports one `run…Bench()` function; add it to the list below.
const benches: { name: string; module: string; fn: string }[] = [
  { name: 'BGP wire codec', module: './wire.js', fn: 'runWireBench' },
  { name: 'IPAM against etcd', module: './ipam.js', fn: 'runIpamBench' },
  { name: 'dataplane (kernel routes, endpoints)', module: './dataplane.js', fn: 'runDataplaneBench' },
  { name: 'BGP speaker vs BIRD, GoBGP, FRR', module: './speaker.js', fn: 'runSpeakerBench' },
  { name: 'node agent (endpoints, convergence, kernel routes)', module: './agent.js', fn: 'runAgentBench' },
  { name: 'agent into the kernel vs BIRD with protocol kernel', module: './agent-fib.js', fn: 'runAgentFibBench' },
  { name: 'idle RSS (agent, bare speaker, BIRD, GoBGP, FRR)', module: './idle-rss.js', fn: 'runIdleRssBench' },
  { name: 'a fabric of 100 hosts (agents, two route reflectors, etcd)', module: './fabric.js', fn: 'runFabricBench' },
  { name: 'container runtimes (podman, docker)', module: './runtimes.js', fn: 'runRuntimesBench' },
  { name: 'etcd member failure (AddEndpoint stall)', module: './etcd-failover.js', fn: 'runEtcdFailoverBench' },
  { name: 'BFD failover (dual-ToR host, with and without BFD)', module: './bfd.js', fn: 'runBfdBench' },
];

const only = process.argv.slice(2);
const nameOf = (module: string) => module.replace(/^\.\//, '').replace(/\.js$/, '');
const unknown = only.filter((o) => !benches.some((b) => nameOf(b.module) === o.replace(/\.(js|ts)$/, '')));
if (unknown.length) {
  console.error(`no benchmark named ${unknown.join(', ')}; one of: ${benches.map((b) => nameOf(b.module)).join(', ')}`);
  process.exit(1);
}
let failed = 0;
for (const bench of benches) {
  // By exact name (`npm run bench -- agent` is bench/agent.ts, not also agent-fib.ts).
  if (only.length && !only.some((o) => nameOf(bench.module) === o.replace(/\.(js|ts)$/, ''))) continue;
  let mod: Record<string, unknown>;
  try {
    mod = await import(bench.module);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      console.log(`\n== ${bench.name}: not written yet (${bench.module})`);
      continue;
    }
    throw err;
  }
  console.log(`\n== ${bench.name}`);
  try {
    await (mod[bench.fn] as () => Promise<void>)();
  } catch (err) {
    failed += 1;
    console.error(`${bench.name} failed: ${(err as Error).stack ?? err}`);
  }
}
process.exitCode = failed ? 1 : 0;
