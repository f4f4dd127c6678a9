import avro from 'avsc';
import { ScorerError } from '../errors/scorer-error.js';

/**
 * Items an array or map may hold beyond one per payload byte: only items that take no bytes
 * (null, an empty record, a zero-size fixed) can exceed one per byte, and a real producer
 * has no reason to send more than a few of those.
 */
export const MAX_EMPTY_ITEMS = 10_000;

/** Records nested in records (a recursive writer schema); deeper is not a customer event. */
export const MAX_RECORD_NESTING = 128;

/** Longest Avro varint: ten 7-bit groups hold 64 bits. */
const MAX_VARINT_BYTES = 10;

/** Why Avro bytes are not a value of their writer schema; `truncated` when they end too early. */
export class AvroWalkError extends ScorerError {
  static override readonly code = 'CHURN_ERR_AVRO_MALFORMED';
  override readonly name = 'AvroWalkError';
  constructor(
    readonly kind: 'truncated' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Walks one value from `start` and returns the position after it; throws AvroWalkError when
 * the bytes cannot be a value of the schema.
 */
export type AvroWalk = (buf: Uint8Array, start: number) => number;

interface Cursor {
  readonly buf: Uint8Array;
  pos: number;
  /** array and map items still allowed in this record */
  itemsLeft: number;
  depth: number;
}

type Step = (cursor: Cursor) => void;

/**
 * Compiles a checker of Avro binary against a writer schema that only moves forward and
 * does work bounded by the byte count: every length and index is checked against what is
 * left, a negative block size or a block whose items do not fill exactly its declared size
 * is invalid, and array/map items are capped at one per byte plus MAX_EMPTY_ITEMS.
 *
 * Why: avsc trusts block headers. Skipping an array or map the reader does not have, it
 * adds a block's byte size to the read position even when negative (the position moves
 * back and the same bytes are read forever), and it loops over a block count without
 * looking at the bytes left (2^50 items of a zero-byte type never end). Bytes that pass
 * this walk drive avsc's reader and skipper through the same blocks, so they end.
 */
export function compileBoundedWalk(type: avro.Type): AvroWalk {
  const step = compile(type, new Map());
  return (buf, start) => {
    const cursor: Cursor = { buf, pos: start, itemsLeft: buf.length - start + MAX_EMPTY_ITEMS, depth: 0 };
    step(cursor);
    return cursor.pos;
  };
}

/**
 * Whether avsc's own decoding of this schema can do work that the byte count does not
 * bound: arrays and maps (block counts and sizes), and recursive records.
 */
export function needsBoundedWalk(type: avro.Type, seen: Set<avro.Type> = new Set()): boolean {
  if (type instanceof avro.types.ArrayType || type instanceof avro.types.MapType) return true;
  if (type instanceof avro.types.LogicalType) return needsBoundedWalk(type.underlyingType, seen);
  if (type instanceof avro.types.UnwrappedUnionType || type instanceof avro.types.WrappedUnionType) {
    return type.types.some((t) => needsBoundedWalk(t, seen));
  }
  if (type instanceof avro.types.RecordType) {
    if (seen.has(type)) return true;
    seen.add(type);
    const found = type.fields.some((f) => needsBoundedWalk(f.type, seen));
    seen.delete(type);
    return found;
  }
  return false;
}

function compile(type: avro.Type, records: Map<avro.Type, Step>): Step {
  if (type instanceof avro.types.LogicalType) return compile(type.underlyingType, records);
  if (type instanceof avro.types.RecordType) return compileRecord(type, records);
  if (type instanceof avro.types.ArrayType) {
    const item = compile(type.itemsType, records);
    return (c) => {
      walkBlocks(c, item, 'array');
    };
  }
  if (type instanceof avro.types.MapType) {
    const value = compile(type.valuesType as avro.Type, records);
    const entry: Step = (c) => {
      skipLengthPrefixed(c, 'map key');
      value(c);
    };
    return (c) => {
      walkBlocks(c, entry, 'map');
    };
  }
  if (type instanceof avro.types.UnwrappedUnionType || type instanceof avro.types.WrappedUnionType) {
    const branches = type.types.map((t) => compile(t, records));
    return (c) => {
      const index = readLong(c);
      const branch = branches[index];
      if (branch === undefined) throw invalid(c, `union branch index ${index} is not in [0, ${branches.length - 1}]`);
      branch(c);
    };
  }
  if (type instanceof avro.types.EnumType) {
    const count = type.symbols.length;
    return (c) => {
      const index = readLong(c);
      if (!(index >= 0 && index < count)) throw invalid(c, `enum index ${index} is not in [0, ${count - 1}]`);
    };
  }
  if (type instanceof avro.types.FixedType) {
    const size = type.size;
    return (c) => {
      advance(c, size, 'fixed');
    };
  }
  switch (type.typeName) {
    case 'null':
      return () => undefined;
    case 'boolean':
      return (c) => {
        advance(c, 1, 'boolean');
      };
    case 'int':
    case 'long':
    case 'abstract:long':
      return (c) => {
        readLong(c);
      };
    case 'float':
      return (c) => {
        advance(c, 4, 'float');
      };
    case 'double':
      return (c) => {
        advance(c, 8, 'double');
      };
    case 'string':
    case 'bytes':
      return (c) => {
        skipLengthPrefixed(c, type.typeName);
      };
    default:
      throw new Error(`no bounded walk for Avro type ${type.typeName}`);
  }
}

function compileRecord(type: avro.types.RecordType, records: Map<avro.Type, Step>): Step {
  const known = records.get(type);
  if (known !== undefined) return known;
  // Filled in after registering the step, so a recursive field finds it.
  let fields: Step[] = [];
  const step: Step = (c) => {
    if (++c.depth > MAX_RECORD_NESTING) throw invalid(c, `records nested more than ${MAX_RECORD_NESTING} deep`);
    for (const field of fields) field(c);
    c.depth--;
  };
  records.set(type, step);
  fields = type.fields.map((f) => compile(f.type, records));
  return step;
}

/** Array and map blocks: a count, then (when the count is negative) a byte size, then the items. */
function walkBlocks(c: Cursor, item: Step, what: 'array' | 'map'): void {
  for (;;) {
    let count = readLong(c);
    if (count === 0) return;
    if (count > 0) {
      walkItems(c, item, count, what);
      continue;
    }
    count = -count;
    const size = readLong(c);
    if (size < 0) throw invalid(c, `${what} block declares a negative byte size (${size})`);
    const start = c.pos;
    if (size > c.buf.length - start) throw truncated(c, `${what} block of ${size} bytes`);
    walkItems(c, item, count, what);
    if (c.pos - start !== size) {
      throw invalid(c, `${what} block declares ${size} bytes but its ${count} items take ${c.pos - start}`);
    }
  }
}

function walkItems(c: Cursor, item: Step, count: number, what: 'array' | 'map'): void {
  if (count > c.itemsLeft) {
    throw invalid(c, `${what} block of ${count} items is more than the record's ${c.buf.length} bytes can hold`);
  }
  c.itemsLeft -= count;
  for (let i = 0; i < count; i++) item(c);
}

function skipLengthPrefixed(c: Cursor, what: string): void {
  const length = readLong(c);
  if (length < 0) throw invalid(c, `${what} has a negative length (${length})`);
  advance(c, length, what);
}

function advance(c: Cursor, bytes: number, what: string): void {
  if (bytes > c.buf.length - c.pos) throw truncated(c, `${what} of ${bytes} bytes`);
  c.pos += bytes;
}

/** Zig-zag varint. Float arithmetic past 2^31, as avsc does; exact up to 2^53, enough for bounds. */
function readLong(c: Cursor): number {
  const { buf } = c;
  let pos = c.pos;
  let n = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (pos >= buf.length) throw truncated(c, 'varint');
    const byte = buf[pos++] ?? 0;
    n += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      c.pos = pos;
      return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
    }
    scale *= 128;
  }
  throw invalid(c, `varint longer than ${MAX_VARINT_BYTES} bytes`);
}

function truncated(c: Cursor, what: string): AvroWalkError {
  return new AvroWalkError('truncated', `${what} at byte ${c.pos} runs past the end`);
}

function invalid(c: Cursor, what: string): AvroWalkError {
  return new AvroWalkError('invalid', `${what} (at byte ${c.pos})`);
}
