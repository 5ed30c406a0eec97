// Doing something inside another network namespace without a process: the main thread enters the
// namespace (setns through the addon in native/netns.c), runs a synchronous function — typically
// creating a netlink socket, which then stays bound to that namespace for its whole life — and
// returns to its own namespace before anything else can run on the thread.
import { closeSync, existsSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

interface NetnsAddon {
  setns(fd: number): void;
}

// From src/dataplane/ (tsx) or dist/src/dataplane/ (compiled); scripts/build-native.sh builds it.
const ADDON_CANDIDATES = ['./native/build/netns.node', '../../../src/dataplane/native/build/netns.node'];

let addon: NetnsAddon | undefined;
let ownNetnsFd: number | undefined;
let inside = false;

function loadAddon(): NetnsAddon {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  for (const rel of ADDON_CANDIDATES) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) {
      addon = require(path) as NetnsAddon;
      return addon;
    }
  }
  throw new Error(
    'the netns addon (src/dataplane/native/build/netns.node) is not built: run `bash scripts/build-native.sh` (or scripts/setup.sh)',
  );
}

/**
 * Opens, once, the namespace the main thread starts in: the way back. Called before the first
 * entry, so it is always our own namespace (every entry returns before this can run again).
 */
export function prepareNetns(): void {
  loadAddon();
  ownNetnsFd ??= openSync('/proc/thread-self/ns/net', 'r');
}

/**
 * Runs `fn` with the main thread inside the network namespace at `path` (e.g. /run/netns/NAME or
 * /proc/PID/ns/net). `fn` must be synchronous: anything it leaves for later would run back in our
 * namespace. Does not nest.
 */
export function inNetns<T>(path: string, fn: () => T): T {
  if (inside) throw new Error('inNetns does not nest');
  prepareNetns();
  const setns = addon!.setns;
  const target = openSync(path, 'r');
  try {
    setns(target);
    inside = true;
    try {
      const result = fn();
      if (result && typeof (result as { then?: unknown }).then === 'function')
        throw new TypeError('inNetns: fn must be synchronous (it returned a promise)');
      return result;
    } finally {
      try {
        setns(ownNetnsFd!);
        inside = false;
      } catch (err) {
        // Staying in a container's namespace would make every later socket of this process
        // (BGP, netlink) belong to the container: stopping is the only safe answer.
        process.stderr.write(`fatal: cannot return to our own network namespace: ${(err as Error).message}\n`);
        process.exit(70);
      }
    }
  } finally {
    closeSync(target);
  }
}
