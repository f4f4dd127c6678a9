import { KindGuard, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { EnvVarSpec } from './env-vars.js';

/** What an environment variable's text means: a value for its key, its optional object switched off, or why neither. */
export type EnvReading = { readonly value: unknown } | { readonly turnsOff: string } | { readonly problem: string };

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);
/** 0.2, .2, 2, -1.5, 2e-3: a decimal number, optionally with an exponent. */
const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

/**
 * Reads a variable's text as a value of its key's schema type. Only the text form is checked here; ranges, patterns
 * and the rest of the schema are checked once, on the merged configuration. The form is checked before TypeBox's
 * Value.Convert converts, because Value.Convert alone reads PORT=1.5 and PORT=1e3 as 1.
 */
export function coerceEnvVar(spec: EnvVarSpec, raw: string): EnvReading {
  const text = raw.trim();
  if (spec.turnsOff !== undefined && (text === '' || text.toLowerCase() === 'none')) return { turnsOff: spec.turnsOff };
  // A secret is taken as given: white space around it may be part of it.
  return fromText(spec, spec.schema, text, spec.secret ? raw : text);
}

function fromText(spec: EnvVarSpec, schema: TSchema, text: string, asGiven: string): EnvReading {
  if (KindGuard.IsUnion(schema) && schema.anyOf.some((branch) => KindGuard.IsNull(branch))) {
    if (text === '') return { value: null };
    const [other, ...more] = schema.anyOf.filter((branch) => !KindGuard.IsNull(branch));
    if (other !== undefined && more.length === 0) return fromText(spec, other, text, asGiven);
  } else if (KindGuard.IsUnion(schema) && schema.anyOf.every((branch) => KindGuard.IsLiteralString(branch))) {
    const choices: string[] = schema.anyOf.map((branch) => branch.const);
    const word = text.toLowerCase();
    if (choices.includes(word)) return { value: word };
    const expected = `expected one of ${choices.join(', ')}${spec.turnsOff === undefined ? '' : ' or none'}`;
    if (schema.title !== undefined) return { problem: `is not a ${schema.title}; ${expected}` };
    // Left to the schema check, which names the choices too.
    return text === '' ? { problem: 'must not be empty' } : { value: text };
  } else if (KindGuard.IsArray(schema)) {
    return listFromText(spec, schema.items, text);
  } else if (KindGuard.IsInteger(schema)) {
    return /^-?\d+$/.test(text) ? { value: Value.Convert(schema, text) } : { problem: 'is not an integer' };
  } else if (KindGuard.IsNumber(schema)) {
    // Decimal only: Number() would also take "0x10", "Infinity" and "" (as 0).
    return DECIMAL.test(text) ? { value: Number(text) } : { problem: 'is not a number' };
  } else if (KindGuard.IsBoolean(schema)) {
    const word = text.toLowerCase();
    if (TRUE_WORDS.has(word) || FALSE_WORDS.has(word)) return { value: TRUE_WORDS.has(word) };
    return { problem: 'is not a boolean (use true/false, 1/0, yes/no, on/off)' };
  } else if (KindGuard.IsString(schema)) {
    return text === '' ? { problem: 'must not be empty' } : { value: asGiven };
  }
  throw new Error(`${spec.name}: no reading of environment text for the schema of ${spec.key}`);
}

/** "a:1, b:2" -> ["a:1", "b:2"], each entry read as the list's item type. */
function listFromText(spec: EnvVarSpec, items: TSchema, text: string): EnvReading {
  const entries = text.split(',').map((entry) => entry.trim());
  if (text === '' || entries.includes('')) {
    return { problem: 'must be a non-empty comma-separated list with no empty entries' };
  }
  const values: unknown[] = [];
  for (const entry of entries) {
    const reading = fromText(spec, items, entry, entry);
    if (!('value' in reading)) return reading;
    values.push(reading.value);
  }
  return { value: values };
}
