// A small schema checker for resource specs: rejects unknown fields (a typo must never be silently
// ignored), checks types and ranges, and reports the first problem as one line with its field path.
import { ValidationError } from './resource.js';

export type Field =
  | { type: 'string'; required?: boolean; enum?: readonly string[]; check?: (v: string) => string | undefined }
  | { type: 'int'; required?: boolean; min?: number; max?: number; check?: (v: number) => string | undefined }
  | { type: 'bool'; required?: boolean }
  | { type: 'stringMap'; required?: boolean }
  | { type: 'stringList'; required?: boolean; check?: (v: string) => string | undefined }
  | { type: 'intList'; required?: boolean; min?: number; max?: number; maxItems?: number }
  | { type: 'object'; required?: boolean; fields: Schema }
  | { type: 'list'; required?: boolean; item: Schema };

export type Schema = Record<string, Field>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Throws a ValidationError prefixed with `who` (e.g. `ippool "a"`) at the first problem. */
export function checkSchema(who: string, value: unknown, schema: Schema, path: string): void {
  const fail = (msg: string): never => {
    throw new ValidationError(`${who}: ${msg}`);
  };
  if (!isObject(value)) fail(`${path} must be a mapping`);
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!(key in schema)) {
      const known = Object.keys(schema).join(', ');
      fail(`unknown field "${path}.${key}" (known fields: ${known || 'none'})`);
    }
  }
  for (const [key, field] of Object.entries(schema)) {
    const v = obj[key];
    const at = `${path}.${key}`;
    if (v === undefined || v === null) {
      if (field.required) fail(`${at} is required`);
      delete obj[key];
      continue;
    }
    switch (field.type) {
      case 'string': {
        if (typeof v !== 'string') fail(`${at} must be a string`);
        const s = v as string;
        if (field.enum && !field.enum.includes(s)) fail(`${at} must be one of ${field.enum.join(', ')} (got "${s}")`);
        const problem = field.check?.(s);
        if (problem) fail(`${at}: ${problem}`);
        break;
      }
      case 'int': {
        if (typeof v !== 'number' || !Number.isInteger(v)) fail(`${at} must be a whole number`);
        const n = v as number;
        if (field.min !== undefined && n < field.min) fail(`${at} must be at least ${field.min} (got ${n})`);
        if (field.max !== undefined && n > field.max) fail(`${at} must be at most ${field.max} (got ${n})`);
        const problem = field.check?.(n);
        if (problem) fail(`${at}: ${problem}`);
        break;
      }
      case 'bool':
        if (typeof v !== 'boolean') fail(`${at} must be true or false`);
        break;
      case 'stringMap':
        if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string'))
          fail(`${at} must map strings to strings`);
        break;
      case 'stringList': {
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(`${at} must be a list of strings`);
        for (const s of v as string[]) {
          const problem = field.check?.(s);
          if (problem) fail(`${at}: ${problem}`);
        }
        break;
      }
      case 'intList': {
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x)))
          fail(`${at} must be a list of whole numbers`);
        const list = v as number[];
        if (field.maxItems !== undefined && list.length > field.maxItems)
          fail(`${at} may hold at most ${field.maxItems} numbers (got ${list.length})`);
        for (const n of list) {
          if (field.min !== undefined && n < field.min) fail(`${at}: ${n} is below ${field.min}`);
          if (field.max !== undefined && n > field.max) fail(`${at}: ${n} is above ${field.max}`);
        }
        break;
      }
      case 'object':
        checkSchema(who, v, field.fields, at);
        break;
      case 'list':
        if (!Array.isArray(v)) fail(`${at} must be a list`);
        (v as unknown[]).forEach((item, i) => {
          checkSchema(who, item, field.item, `${at}[${i}]`);
        });
        break;
    }
  }
}
