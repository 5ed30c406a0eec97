// Headless Chromium (Debian's `chromium`) inside a lab namespace, to look at a page an agent serves
// there the way a browser does: the DOM after parsing (--dump-dom) and a screenshot. Each call gets
// its own profile folder in the lab, so parallel runs never share one.
import { requireBinary } from './exec.js';
import type { Lab } from './lab.js';
import type { Netns } from './netns.js';

let calls = 0;

function argv(lab: Lab, extra: string[]): string[] {
  const binary = requireBinary('chromium');
  return [
    binary,
    '--headless',
    // the tests run as root, where Chromium's own sandbox cannot start; the page is our own
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    `--user-data-dir=${lab.path(`chromium-profile-${process.pid}-${++calls}`)}`,
    ...extra,
  ];
}

/** The page's DOM as Chromium serialises it after loading `url` from inside `ns`. */
export async function dumpDom(lab: Lab, ns: Netns, url: string): Promise<string> {
  const r = await ns.exec(argv(lab, ['--dump-dom', url]), { timeoutMs: 120_000 });
  return r.stdout;
}

/** A PNG screenshot of `url` (loaded from inside `ns`) written to `file`. */
export async function screenshot(
  lab: Lab,
  ns: Netns,
  url: string,
  file: string,
  { width = 1000, height = 700 } = {},
): Promise<void> {
  await ns.exec(argv(lab, [`--screenshot=${file}`, `--window-size=${width},${height}`, url]), { timeoutMs: 120_000 });
}
