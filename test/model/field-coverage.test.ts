// docs/settings.md against the schemas in src/model: every field a resource accepts has a row, every
// row names a real field, every "proven by" names a test title that exists in the named file, and
// every "refused:" example really is refused with the quoted text. Rows still MISSING a proof must be
// on the explicit list below, so the list can only shrink as fields get their tests.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { Schema } from '../../src/model/fields.js';
import { API_VERSION, KINDS, type Kind, parseResource, ValidationError } from '../../src/model/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOC = join(root, 'docs', 'settings.md');

/** Rows whose proof is still to come, as `Kind.field`, with the helper who owns them. */
const MISSING_ALLOWED: Record<string, string> = {};

/** The smallest valid spec of each kind, the base a "refused:" example is set into. */
const BASE: Record<Kind, { name: string; spec: Record<string, unknown> }> = {
  IPPool: { name: 'p', spec: { cidr: '10.65.0.0/16' } },
  BGPConfiguration: { name: 'default', spec: {} },
  BGPPeer: { name: 'p', spec: { peerIP: '10.0.0.1', asNumber: 65000 } },
  BGPFilter: { name: 'f', spec: {} },
  Node: { name: 'n', spec: {} },
  WorkloadEndpoint: { name: 'w', spec: { node: 'n', containerId: 'c' } },
  IPAMConfiguration: { name: 'default', spec: {} },
  IPReservation: { name: 'r', spec: { reservedCIDRs: ['10.0.0.1'] } },
};

/** A valid list item for each list of mappings, the base for an example inside a list item. */
const BASE_ITEM: Record<string, Record<string, unknown>> = {
  'BGPConfiguration.communities': { name: 'c', value: '65000:1' },
  'BGPConfiguration.prefixAdvertisements': { cidr: '10.65.0.0/16', communities: [] },
  ...Object.fromEntries(
    ['exportV4', 'importV4', 'exportV6', 'importV6'].map((l) => [`BGPFilter.${l}`, { action: 'Accept' }]),
  ),
};

/** Every field path of a schema: objects as `a.b`, lists of mappings as `a` and `a[].b`. */
function fieldPaths(schema: Schema, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, field] of Object.entries(schema)) {
    const path = `${prefix}${key}`;
    if (field.type === 'object') out.push(...fieldPaths(field.fields, `${path}.`));
    else if (field.type === 'list') out.push(path, ...fieldPaths(field.item, `${path}[].`));
    else out.push(path);
  }
  return out;
}

interface Row {
  kind: string;
  field: string;
  provenBy: string;
  line: number;
}

function readRows(): Row[] {
  const rows: Row[] = [];
  let kind = '';
  readFileSync(DOC, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const heading = /^## (\w+)\s*$/.exec(text);
      if (heading) kind = heading[1]!;
      const cells = text.startsWith('|') ? text.split(/(?<!\\)\|/).map((c) => c.trim()) : [];
      // | field | default | effect | on change | proven by |  → ['', f, d, e, c, p, '']
      if (cells.length !== 7 || cells[1] === 'field' || /^-+$/.test(cells[1]!)) return;
      rows.push({ kind, field: cells[1]!.replace(/`/g, ''), provenBy: cells[5]!, line: i + 1 });
    });
  return rows;
}

const titleCache = new Map<string, string[]>();
/** The titles of `test(...)` calls in a file, as written (template parts included). */
function testTitles(file: string): string[] {
  let titles = titleCache.get(file);
  if (!titles) {
    const src = readFileSync(join(root, file), 'utf8');
    titles = [...src.matchAll(/\btest(?:\.serial)?\(\s*(['"`])((?:\\.|(?!\1).)*)\1/gs)].map((m) => m[2]!);
    titleCache.set(file, titles);
  }
  return titles;
}

/** The spec with `value` set at `path` (`a`, `a.b` or `a[].b`) on the kind's minimal valid spec. */
function specWith(kind: Kind, path: string, value: unknown): Record<string, unknown> {
  const spec = structuredClone(BASE[kind].spec);
  const list = /^(\w+)\[\]\.(\w+)$/.exec(path);
  if (list) {
    spec[list[1]!] = [{ ...BASE_ITEM[`${kind}.${list[1]}`], [list[2]!]: value }];
    return spec;
  }
  const parts = path.split('.');
  let at = spec;
  for (const p of parts.slice(0, -1)) {
    at[p] ??= {};
    at = at[p] as Record<string, unknown>;
  }
  at[parts.at(-1)!] = value;
  return spec;
}

/** One problem per wrong proof, or none. */
function proofProblems(kind: Kind, row: Row): string[] {
  const where = `docs/settings.md:${row.line} ${kind}.${row.field}`;
  const problems: string[] = [];
  const proofs = row.provenBy.split(';').map((s) => s.trim());
  for (const proof of proofs) {
    const missing = /^MISSING \(owner: ([\w-]+)\)$/.exec(proof);
    const testRef = /^(test\/[\w./-]+\.test\.ts) › (.+)$/.exec(proof);
    const refused = /^refused: `(.+)` → "(.+)"$/.exec(proof);
    if (missing) {
      if (MISSING_ALLOWED[`${kind}.${row.field}`] !== missing[1])
        problems.push(`${where}: MISSING but not on the allowed list as owned by ${missing[1]}`);
    } else if (testRef) {
      const [, file, title] = testRef;
      if (!existsSync(join(root, file!))) problems.push(`${where}: ${file} does not exist`);
      else if (!testTitles(file!).some((t) => t.includes(title!)))
        problems.push(`${where}: no test in ${file} has "${title}" in its title`);
    } else if (refused) {
      const value = JSON.parse(refused[1]!) as unknown;
      const doc = {
        apiVersion: API_VERSION,
        kind,
        metadata: { name: BASE[kind].name },
        spec: specWith(kind, row.field, value),
      };
      try {
        parseResource(doc);
        problems.push(`${where}: ${refused[1]} is accepted, not refused`);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        if (!err.message.includes(refused[2]!))
          problems.push(`${where}: refused with "${err.message}", which does not say "${refused[2]}"`);
      }
    } else {
      problems.push(`${where}: "${proof}" is not a test reference, refused: or MISSING (owner: …)`);
    }
  }
  return problems;
}

test('docs/settings.md has one row per schema field and every proof exists', (t) => {
  const rows = readRows();
  const problems: string[] = [];
  for (const info of Object.values(KINDS)) {
    const paths = fieldPaths(info.schema);
    const mine = rows.filter((r) => r.kind === info.kind);
    for (const p of paths)
      if (!mine.some((r) => r.field === p)) problems.push(`${info.kind}.${p} has no row in docs/settings.md`);
    for (const r of mine) {
      if (!paths.includes(r.field))
        problems.push(`docs/settings.md:${r.line} ${info.kind}.${r.field} is not a field of the schema`);
      else problems.push(...proofProblems(info.kind, r));
    }
  }
  for (const r of rows)
    if (!(r.kind in KINDS)) problems.push(`docs/settings.md:${r.line} "${r.kind}" is not a resource kind`);
  t.deepEqual(problems, []);
});

test('the MISSING list only names rows that still say MISSING', (t) => {
  const rows = readRows();
  const stillMissing = new Set(
    rows.filter((r) => /MISSING \(owner:/.test(r.provenBy)).map((r) => `${r.kind}.${r.field}`),
  );
  const stale = Object.keys(MISSING_ALLOWED).filter((k) => !stillMissing.has(k));
  t.deepEqual(stale, [], 'proven now: remove these from MISSING_ALLOWED');
  const byOwner = new Map<string, string[]>();
  for (const k of stillMissing) {
    const owner = MISSING_ALLOWED[k] ?? '?';
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), k]);
  }
  for (const [owner, fields] of [...byOwner].sort()) t.log(`MISSING (${owner}): ${fields.join(', ')}`);
});
