// Router advertisements for unnumbered BGP peering (addon in native/router-advert.c): a router that
// peers by interface (FRR's `neighbor eth1 interface`) learns our link-local address from them.
// One RA per call, "not a default router", no prefixes: a host hearing it changes no route.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

interface RouterAdvertAddon {
  advertise(ifname: string): void;
}

// From src/dataplane/ (tsx) or dist/src/dataplane/ (compiled); scripts/build-native.sh builds it.
const ADDON_CANDIDATES = [
  './native/build/router-advert.node',
  '../../../src/dataplane/native/build/router-advert.node',
];

let addon: RouterAdvertAddon | undefined;

function load(): RouterAdvertAddon {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  for (const rel of ADDON_CANDIDATES) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) {
      addon = require(path) as RouterAdvertAddon;
      return addon;
    }
  }
  throw new Error(
    'the router-advert addon (src/dataplane/native/build/router-advert.node) is not built: run `bash scripts/build-native.sh` (or scripts/setup.sh)',
  );
}

/** Sends one router advertisement to all nodes on `ifname`; throws with the reason when it cannot. */
export function advertiseRouter(ifname: string): void {
  load().advertise(ifname);
}
