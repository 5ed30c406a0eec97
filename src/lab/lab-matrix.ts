// The reachability matrix of a lab: every test container pings every other one. Works from any
// process (it needs only namespace names and addresses), so `lab up` and `lab status` print the same.
import { run } from './exec.js';

export interface MatrixContainer {
  name: string;
  host: string;
  /** Kernel namespace name. */
  ns: string;
  address: string;
}

async function pings(from: MatrixContainer, to: MatrixContainer, attempts: number): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    try {
      await run(['ip', 'netns', 'exec', from.ns, 'ping', '-n', '-q', '-c', '1', '-W', '1', to.address], {
        timeoutMs: 3000,
      });
      return true;
    } catch {
      // the first packet may wait for a neighbour entry: try again
    }
  }
  return false;
}

export async function reachabilityMatrix(
  containers: MatrixContainer[],
  attempts = 6,
): Promise<{ text: string; failed: string[]; pairs: number }> {
  const results = await Promise.all(
    containers.map((from) => Promise.all(containers.map((to) => (from === to ? true : pings(from, to, attempts))))),
  );
  const width = Math.max(...containers.map((c) => c.name.length), 4);
  const header = `${''.padEnd(width + 16)}${containers.map((c) => c.name.slice(-width).padStart(width + 1)).join('')}`;
  const rows = containers.map(
    (from, i) =>
      `${from.name.padEnd(width)} ${from.address.padEnd(15)}${results[i]!.map((ok, j) => (i === j ? '-' : ok ? '✔' : '✘').padStart(width + 1)).join('')}`,
  );
  const failed: string[] = [];
  containers.forEach((from, i) => {
    containers.forEach((to, j) => {
      if (i !== j && !results[i]![j]) failed.push(`${from.name} → ${to.name} (${to.address})`);
    });
  });
  return { text: [header, ...rows].join('\n'), failed, pairs: containers.length * (containers.length - 1) };
}
