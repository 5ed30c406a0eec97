// Flags that set fields of a resource spec, checked by the field's own schema entry (src/model), so
// the CLI holds no second copy of a field's choices, ranges or address rules: a bad value is refused
// as the flag is parsed, in one line naming the flag, with the model's words.
import { Option } from 'commander';
import type { Field, Schema } from '../src/model/fields.js';
import { CliError } from './exit.js';
import { collect, parseBool, parseChoice, parseIntFlag } from './flag-values.js';

export interface SpecFlag<S> {
  field: keyof S & string;
  /** "--hold-time <seconds>"; a bool field takes no value ("--extended-messages") or on/off ("--mesh <on|off>"). */
  flags: string;
  help: string;
}

type Parser = (value: string, previous: unknown) => unknown;

/** The parser of a flag that sets `field` (undefined for free text and bools). */
export function parserFor(long: string, field: Field): Parser | undefined {
  const checked = <T>(check: ((v: T) => string | undefined) | undefined, v: T): T => {
    const problem = check?.(v);
    if (problem) throw new CliError(`${long}: ${problem}`);
    return v;
  };
  switch (field.type) {
    case 'string':
      if (field.enum) return parseChoice(long, [...field.enum]);
      return field.check ? (v) => checked(field.check, v) : undefined;
    case 'int': {
      const whole = parseIntFlag(long);
      return (v) => checked(field.check, whole(v));
    }
    case 'stringList':
      return field.check
        ? (v, previous) => [...((previous as string[] | undefined) ?? []), checked(field.check, v)]
        : (collect as Parser);
    default:
      return undefined;
  }
}

/** The commander options for `flags`, each parsed by `schema[field]`. */
export function specOptions<S>(schema: Schema, flags: readonly SpecFlag<S>[]): Option[] {
  return flags.map((f) => {
    const field = schema[f.field];
    if (!field) throw new Error(`no field "${f.field}" in the schema for ${f.flags}`);
    const option = new Option(f.flags, f.help);
    const takesValue = option.required || option.optional;
    const parse = !option.long
      ? undefined
      : field.type === 'bool' && takesValue
        ? parseBool(option.long)
        : parserFor(option.long, field);
    if (parse) option.argParser(parse as (value: string, previous: unknown) => unknown);
    return option;
  });
}

/** The spec fields the given flags set (only those given on the command line). */
export function specFromFlags<S>(flags: readonly SpecFlag<S>[], values: Record<string, unknown>): Partial<S> {
  const out: Record<string, unknown> = {};
  for (const f of flags) {
    const v = values[new Option(f.flags).attributeName()];
    if (v !== undefined) out[f.field] = v;
  }
  return out as Partial<S>;
}
