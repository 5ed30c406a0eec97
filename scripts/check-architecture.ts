// `npm run lint`'s architecture half: prints each import cycle and each import against the rooms
// table of docs/DESIGN.md, and exits 1 if there is any. `--root DIR` checks another checkout.
import { resolve } from 'node:path';
import { checkArchitecture } from './architecture/check.js';

const at = process.argv.indexOf('--root');
const root = resolve(at > 0 ? process.argv[at + 1]! : new URL('..', import.meta.url).pathname);
const problems = checkArchitecture(root);
for (const p of problems) console.error(p.message);
if (problems.length) {
  console.error(`architecture: ${problems.length} problem(s) in ${root}`);
  process.exit(1);
}
console.log('architecture: no import cycles, every import goes the way docs/DESIGN.md draws it');
