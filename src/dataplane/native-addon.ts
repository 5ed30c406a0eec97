// Loading the dataplane's native addons (native/*.c, built by scripts/build-native.sh), once each and
// only when first needed. src/bfd keeps its own loader for udp-ttl: it imports nothing of ours, so it
// stays as standalone as bgp/.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A function that loads the addon `name` on its first call and returns the same module after. */
export function nativeAddon<T>(name: string): () => T {
  let addon: T | undefined;
  return () => {
    if (addon) return addon;
    const require = createRequire(import.meta.url);
    // From src/dataplane/ (tsx) or dist/src/dataplane/ (compiled).
    for (const rel of [`./native/build/${name}.node`, `../../../src/dataplane/native/build/${name}.node`]) {
      const path = fileURLToPath(new URL(rel, import.meta.url));
      if (existsSync(path)) {
        addon = require(path) as T;
        return addon;
      }
    }
    throw new Error(
      `the ${name} addon (src/dataplane/native/build/${name}.node) is not built: run \`bash scripts/build-native.sh\` (or scripts/setup.sh)`,
    );
  };
}
