import fc from 'fast-check';
import { HEADER_LENGTH } from '../../../src/serde/wire-format.js';
import { customerEventWith, splice, varint, type FieldJson, type RecordSchemaJson } from './avro-bytes.js';
import { sampleCustomerEvent } from './sample-events.js';

/** The shape of an extra field's type, before names are given out. */
type Shape =
  | { kind: 'primitive'; name: 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'string' | 'bytes' }
  | { kind: 'enum'; symbols: number }
  | { kind: 'fixed'; size: number }
  | { kind: 'array'; items: Shape }
  | { kind: 'map'; values: Shape }
  | { kind: 'optional'; of: Shape }
  | { kind: 'record'; fields: Shape[] };

const primitive = fc
  .constantFrom('null', 'boolean', 'int', 'long', 'float', 'double', 'string', 'bytes')
  .map((name): Shape => ({ kind: 'primitive', name }));
const leaf = fc.oneof(
  { weight: 6, arbitrary: primitive },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }).map((symbols): Shape => ({ kind: 'enum', symbols })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }).map((size): Shape => ({ kind: 'fixed', size })) },
);

function shape(depth: number): fc.Arbitrary<Shape> {
  if (depth === 0) return leaf;
  const inner = shape(depth - 1);
  return fc.oneof(
    { weight: 2, arbitrary: leaf },
    { weight: 3, arbitrary: inner.map((items): Shape => ({ kind: 'array', items })) },
    { weight: 2, arbitrary: inner.map((values): Shape => ({ kind: 'map', values })) },
    { weight: 2, arbitrary: inner.map((of): Shape => ({ kind: 'optional', of })) },
    {
      weight: 1,
      arbitrary: fc.array(inner, { minLength: 1, maxLength: 3 }).map((fields): Shape => ({ kind: 'record', fields })),
    },
  );
}

interface Typed {
  /** Avro schema JSON */
  schema: unknown;
  /** its default value as Avro JSON (the first branch for a union) */
  defaultValue: unknown;
  value: fc.Arbitrary<unknown>;
}

const MAP_KEY = fc.stringMatching(/^[a-z]{0,4}$/);

/** Avro JSON, a default and a value arbitrary for a shape; `names` numbers the named types. */
function typed(s: Shape, names: { next: number }): Typed {
  switch (s.kind) {
    case 'primitive':
      return primitiveTyped(s.name);
    case 'enum': {
      const symbols = Array.from({ length: s.symbols }, (_, i) => `S${i}`);
      return {
        schema: { type: 'enum', name: `Enum${names.next++}`, symbols },
        defaultValue: 'S0',
        value: fc.constantFrom(...symbols),
      };
    }
    case 'fixed':
      return {
        schema: { type: 'fixed', name: `Fixed${names.next++}`, size: s.size },
        defaultValue: '\u0000'.repeat(s.size),
        value: fc.uint8Array({ minLength: s.size, maxLength: s.size }).map((b) => Buffer.from(b)),
      };
    case 'array': {
      const items = typed(s.items, names);
      return {
        schema: { type: 'array', items: items.schema },
        defaultValue: [],
        value: fc.array(items.value, { maxLength: 4 }),
      };
    }
    case 'map': {
      const values = typed(s.values, names);
      return {
        schema: { type: 'map', values: values.schema },
        defaultValue: {},
        value: fc.dictionary(MAP_KEY, values.value, { maxKeys: 3 }),
      };
    }
    case 'optional': {
      const of = typed(s.of, names);
      // A union cannot hold a union or a second null: those stay as they are.
      const nested = Array.isArray(of.schema) || of.schema === 'null';
      if (nested) return of;
      return { schema: ['null', of.schema], defaultValue: null, value: fc.option(of.value, { nil: null }) };
    }
    case 'record': {
      const name = `Nested${names.next++}`;
      const fields = s.fields.map((f, i) => ({ name: `f${i}`, ...typed(f, names) }));
      return {
        schema: {
          type: 'record',
          name,
          fields: fields.map((f) => ({ name: f.name, type: f.schema, default: f.defaultValue })),
        },
        defaultValue: Object.fromEntries(fields.map((f) => [f.name, f.defaultValue])),
        value: fc.record(Object.fromEntries(fields.map((f) => [f.name, f.value]))),
      };
    }
  }
}

const AVSC_SAFE_LONG = Number.MAX_SAFE_INTEGER - 1;

function primitiveTyped(name: Extract<Shape, { kind: 'primitive' }>['name']): Typed {
  switch (name) {
    case 'null':
      return { schema: 'null', defaultValue: null, value: fc.constant(null) };
    case 'boolean':
      return { schema: 'boolean', defaultValue: false, value: fc.boolean() };
    case 'int':
      return { schema: 'int', defaultValue: 0, value: fc.integer() };
    case 'long':
      // avsc writes longs only within ±(2^53 - 2) (its isSafeLong), one short of Number's safe range.
      return { schema: 'long', defaultValue: 0, value: fc.integer({ min: -AVSC_SAFE_LONG, max: AVSC_SAFE_LONG }) };
    case 'float':
      return { schema: 'float', defaultValue: 0, value: fc.float({ noNaN: true }) };
    case 'double':
      return { schema: 'double', defaultValue: 0, value: fc.double({ noNaN: true }) };
    case 'string':
      return { schema: 'string', defaultValue: '', value: fc.string({ maxLength: 6 }) };
    case 'bytes':
      return { schema: 'bytes', defaultValue: '', value: fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b)) };
  }
}

/** A writer version of the customer schema with extra fields (each with a default) and a value of it. */
export interface ExtendedWriter {
  schema: RecordSchemaJson;
  value: Record<string, unknown>;
}

/**
 * Writer schemas a producer may register under BACKWARD (schemas/README.md): the customer schema
 * plus 1-3 fields with defaults, anywhere among its fields, of arrays, maps, unions, enums, fixed
 * and nested records; with a value.
 */
export const extendedWriter: fc.Arbitrary<ExtendedWriter> = fc
  .tuple(fc.array(fc.tuple(shape(3), fc.nat()), { minLength: 1, maxLength: 3 }), fc.nat({ max: 10_000 }))
  .chain(([extras, sample]) => {
    const names = { next: 0 };
    const schema = customerEventWith();
    const fields: { field: FieldJson; value: fc.Arbitrary<unknown>; position: number }[] = extras.map(
      ([s, position], i) => {
        const t = typed(s, names);
        return { field: { name: `extra_${i}`, type: t.schema, default: t.defaultValue }, value: t.value, position };
      },
    );
    for (const { field, position } of fields) {
      schema.fields.splice(position % (schema.fields.length + 1), 0, field);
    }
    return fc.tuple(...fields.map((f) => f.value)).map((values) => ({
      schema,
      value: { ...sampleCustomerEvent(sample), ...Object.fromEntries(values.map((v, i) => [`extra_${i}`, v])) },
    }));
  });

/** One change to a record's bytes; positions are taken modulo the Avro body's length. */
export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'negative-varint'; at: number; value: number; replace: number }
  | { op: 'negative-block'; at: number; count: number; size: number; replace: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({
    op: fc.constant('negative-varint' as const),
    at: fc.nat(),
    value: fc.oneof(fc.integer({ min: -300, max: -1 }), fc.integer({ min: -(2 ** 53 - 1), max: -1 })),
    replace: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({
    op: fc.constant('negative-block' as const),
    at: fc.nat(),
    count: fc.oneof(fc.integer({ min: -5, max: -1 }), fc.integer({ min: -(2 ** 53 - 1), max: -1 })),
    size: fc.oneof(fc.integer({ min: -300, max: 300 }), fc.integer({ min: -(2 ** 53 - 1), max: 2 ** 53 - 1 })),
    replace: fc.integer({ min: 0, max: 2 }),
  }),
);

/** Applies mutations to the Avro body of a framed record (the 5-byte header stays). */
export function mutate(record: Buffer, mutations: readonly Mutation[]): Buffer {
  let bytes: Buffer = Buffer.from(record);
  for (const m of mutations) {
    const bodyLength = bytes.length - HEADER_LENGTH;
    const at = HEADER_LENGTH + (bodyLength === 0 ? 0 : m.at % (bodyLength + 1));
    switch (m.op) {
      case 'flip':
        if (at < bytes.length) bytes[at] = bytes.readUInt8(at) ^ (1 << m.bit);
        break;
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
      case 'insert':
        bytes = splice(bytes, at, 0, m.bytes);
        break;
      case 'negative-varint':
        bytes = splice(bytes, at, m.replace, varint(m.value));
        break;
      case 'negative-block':
        bytes = splice(bytes, at, m.replace, Buffer.concat([varint(m.count), varint(m.size)]));
        break;
    }
  }
  return bytes;
}
