// Doing something inside another network namespace without a process: the main thread enters the
// namespace (setns through the addon in native/netns.c), runs a synchronous function — typically
// creating a netlink socket, which then stays bound to that namespace for its whole life — and
// returns to its own namespace before anything else can run on the thread.
import { closeSync, openSync } from 'node:fs';
import { nativeAddon } from './native-addon.js';

interface NetnsAddon {
  setns(fd: number): void;
}

const loadAddon = nativeAddon<NetnsAddon>('netns');
let ownNetnsFd: number | undefined;
let inside = false;

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
  const setns = loadAddon().setns;
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
