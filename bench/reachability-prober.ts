// A long-lived reachability prober, started once inside a lab host's namespace (ip netns exec) by
// bench/probe.ts, so that probing costs no process per attempt. It reads "ID ADDRESS" lines and
// answers "ID ok MICROSECONDS" once ADDRESS answers a TCP SYN — with a RST from a closed port
// (ECONNREFUSED) or by accepting — or "ID fail" after 5 s. Either answer needs the packet to reach
// the container and the container's answer to come back: the same round trip as a ping.
// A SYN sent before the container was ready is not retransmitted for a second, so a new attempt
// starts every millisecond while none has answered.
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';

const PORT = 9; // discard: nothing listens in a test container
const EVERY_MS = 1;
const GIVE_UP_MS = 5000;

function probe(id: string, address: string): void {
  const t0 = performance.now();
  const sockets = new Set<Socket>();
  let done = false;
  const finish = (ok: boolean) => {
    if (done) return;
    done = true;
    clearInterval(timer);
    for (const s of sockets) s.destroy();
    process.stdout.write(ok ? `${id} ok ${Math.round((performance.now() - t0) * 1000)}\n` : `${id} fail\n`);
  };
  const attempt = () => {
    if (performance.now() - t0 > GIVE_UP_MS) return finish(false);
    const s = new Socket();
    sockets.add(s);
    s.once('connect', () => finish(true));
    s.once('error', (err: NodeJS.ErrnoException) => {
      sockets.delete(s);
      if (err.code === 'ECONNREFUSED') finish(true);
    });
    s.connect(PORT, address);
  };
  const timer = setInterval(attempt, EVERY_MS);
  attempt();
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [id, address] = line.trim().split(/\s+/);
  if (id && address) probe(id, address);
});
process.stdin.on('end', () => process.exit(0));
