// From untrusted input (a YAML/JSON document, CLI flags) to a checked, defaulted resource.
import { checkSchema } from './fields.js';
import { type AnyResource, KINDS, type Kind } from './kinds.js';
import { labelsProblem } from './labels.js';
import { API_VERSION, nameProblem, ValidationError } from './resource.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks envelope and spec, rejects unknown fields, applies defaults and per-kind rules. Rules that
 * need other resources (pool overlap, immutable fields, pool in use) are the datastore's.
 */
export function parseResource(doc: unknown, where = 'resource'): AnyResource {
  if (!isObject(doc)) throw new ValidationError(`${where}: expected a mapping with apiVersion, kind, metadata, spec`);
  const kindText = doc.kind;
  if (typeof kindText !== 'string' || !(kindText in KINDS)) {
    throw new ValidationError(
      `${where}: unknown kind ${JSON.stringify(kindText ?? null)} (known: ${Object.keys(KINDS).join(', ')})`,
    );
  }
  const info = KINDS[kindText as Kind];
  const meta = isObject(doc.metadata) ? doc.metadata : undefined;
  const label = `${info.kind.toLowerCase()} ${JSON.stringify(meta?.name ?? '')}`;
  if (doc.apiVersion !== API_VERSION) {
    throw new ValidationError(
      `${label}: apiVersion must be "${API_VERSION}" (got ${JSON.stringify(doc.apiVersion ?? null)})`,
    );
  }
  for (const key of Object.keys(doc)) {
    if (!['apiVersion', 'kind', 'metadata', 'spec'].includes(key))
      throw new ValidationError(`${label}: unknown field "${key}"`);
  }
  if (!meta) throw new ValidationError(`${label}: metadata with a name is required`);
  const problem = nameProblem(meta.name);
  if (problem) throw new ValidationError(`${label}: ${problem}`);
  checkSchema(
    label,
    meta,
    {
      name: { type: 'string', required: true },
      labels: { type: 'stringMap' },
      annotations: { type: 'stringMap' },
      resourceVersion: { type: 'string' },
      creationTimestamp: { type: 'string' },
    },
    'metadata',
  );
  const labelProblem = meta.labels ? labelsProblem(meta.labels as Record<string, string>) : undefined;
  if (labelProblem) throw new ValidationError(`${label}: metadata.labels: ${labelProblem}`);
  const spec = structuredClone(doc.spec ?? {});
  checkSchema(label, spec, info.schema, 'spec');
  const resource = {
    apiVersion: API_VERSION,
    kind: info.kind,
    metadata: structuredClone(meta),
    spec,
  } as unknown as AnyResource;
  info.defaults?.(resource);
  info.validate?.(resource);
  return resource;
}

/** A fresh resource of `kind` from a spec, as the CLI's create commands build them. */
export function newResource(kind: Kind, name: string, spec: unknown, labels?: Record<string, string>): AnyResource {
  return parseResource({ apiVersion: API_VERSION, kind, metadata: { name, ...(labels ? { labels } : {}) }, spec });
}
