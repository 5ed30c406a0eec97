// Reading manifests for `apply -f` / `delete -f`: YAML or JSON, several documents, `-` for stdin,
// a JSON array or a `kind: List` of items. Syntax errors name the file and line.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { CliError } from './exit.js';

export function readManifests(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(
      `cannot read ${file === '-' ? 'stdin' : file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const docs: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    if ('errors' in doc && doc.errors.length) {
      const e = doc.errors[0]!;
      const line = e.linePos?.[0]?.line;
      throw new CliError(`${file}${line ? `:${line}` : ''}: ${e.message.split('\n')[0]}`);
    }
    const value = doc.toJS();
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) docs.push(...value);
    else if (typeof value === 'object' && (value as { kind?: unknown }).kind === 'List') {
      docs.push(...(((value as { items?: unknown[] }).items ?? []) as unknown[]));
    } else docs.push(value);
  }
  if (!docs.length) throw new CliError(`${file}: no resources found`);
  return docs;
}
