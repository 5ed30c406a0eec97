// The rooms table of docs/DESIGN.md as data: which folder may import which. Change the two together.
// A room is a path prefix; the longest matching prefix names a file's room. A file may always import
// within its own room. `mayImport` entries are path prefixes too, so a single file can be allowed
// ("src/datastore/errors.ts") without opening the whole room.

export interface Room {
  path: string;
  mayImport: string[];
  /** What the table says, quoted in the message when the rule is broken. */
  says: string;
}

/** bgp/ is a library: from outside it, only its public face is importable... */
export const BGP_FACE = 'bgp/index.ts';
/** ...and its address vocabulary, a leaf (node:net only), which src/ uses rather than keeping its own. */
export const BGP_VOCABULARY = 'bgp/prefix.ts';

const SRC_PRODUCT = [
  'src/model/',
  'src/datastore/',
  'src/ipam/',
  'src/dataplane/',
  'src/api/',
  'src/bfd/',
  'src/install/',
  'src/fabric-view/',
  'src/version.ts',
];

export const ROOMS: Room[] = [
  { path: 'bgp/', mayImport: [], says: 'bgp/ imports nothing of src/ or cli/ (it stands alone)' },
  {
    path: 'src/model/',
    mayImport: [BGP_VOCABULARY],
    says: "src/model imports nothing of ours but bgp's address vocabulary",
  },
  { path: 'src/datastore/', mayImport: [BGP_VOCABULARY, 'src/model/'], says: 'src/datastore imports only model' },
  {
    path: 'src/ipam/',
    mayImport: [BGP_VOCABULARY, 'src/model/', 'src/datastore/'],
    says: 'src/ipam imports only model, datastore',
  },
  {
    path: 'src/dataplane/',
    mayImport: [BGP_VOCABULARY, 'src/model/'],
    says: 'src/dataplane imports nothing of ours but model',
  },
  {
    path: 'src/agent/',
    mayImport: [...SRC_PRODUCT, BGP_FACE, BGP_VOCABULARY],
    says: "src/agent imports src/ (not the lab harness, not the runtimes) and bgp's public face",
  },
  {
    path: 'src/api/',
    mayImport: [BGP_VOCABULARY, 'src/model/', 'src/datastore/errors.ts'],
    says: "src/api imports only model (and datastore's error types, to answer UNAVAILABLE)",
  },
  {
    path: 'src/fabric-view/',
    mayImport: [BGP_VOCABULARY, 'src/model/', 'src/datastore/'],
    says: 'src/fabric-view imports only model, datastore',
  },
  { path: 'src/cni/', mayImport: [BGP_VOCABULARY, 'src/api/', 'src/model/'], says: 'src/cni imports only api, model' },
  {
    path: 'src/docker/',
    mayImport: [BGP_VOCABULARY, 'src/api/', 'src/model/'],
    says: 'src/docker imports only api, model',
  },
  { path: 'src/bfd/', mayImport: [], says: 'src/bfd imports nothing of ours (like bgp/)' },
  { path: 'src/install/', mayImport: [], says: 'src/install imports nothing of ours' },
  { path: 'src/version.ts', mayImport: [], says: 'src/version.ts imports nothing of ours' },
  {
    path: 'src/lab/',
    mayImport: [BGP_VOCABULARY, 'src/model/', 'src/datastore/', 'src/api/', 'src/fabric-view/'],
    says: 'src/lab (the lab harness) imports only model, datastore, api, fabric-view; it runs agents and the CLI as processes',
  },
  { path: 'cli/', mayImport: ['src/', BGP_FACE, BGP_VOCABULARY], says: "cli/ imports src/ and bgp's public face" },
  { path: 'topology/', mayImport: ['src/', 'cli/', BGP_FACE, BGP_VOCABULARY], says: 'topology/ imports src/ and cli/' },
  {
    path: 'test/',
    mayImport: ['bgp/', 'src/', 'cli/', 'topology/', 'bench/', 'scripts/'],
    says: 'test/ may import anything',
  },
  { path: 'bench/', mayImport: ['bgp/', 'src/', 'cli/', 'topology/', 'test/'], says: 'bench/ may import anything' },
  { path: 'scripts/', mayImport: [], says: 'scripts/ imports nothing of ours' },
];

/** The folders whose files are checked. */
export const CHECKED_DIRS = ['bgp', 'src', 'cli', 'topology', 'test', 'bench', 'scripts'];

export function roomOf(file: string): Room | undefined {
  let best: Room | undefined;
  for (const r of ROOMS) if (file.startsWith(r.path) && (!best || r.path.length > best.path.length)) best = r;
  return best;
}
