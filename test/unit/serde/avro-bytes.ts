import avro from 'avsc';
import { customerEventSchema } from '../../../src/serde/schema-files.js';
import { frame } from '../../../src/serde/wire-format.js';

export interface FieldJson {
  name: string;
  type: unknown;
  default?: unknown;
}
export type RecordSchemaJson = { type: 'record'; name: string; namespace?: string; fields: FieldJson[] };

/** A fresh copy of schemas/customer-event.avsc as JSON. */
export function customerEventJson(): RecordSchemaJson {
  return JSON.parse(customerEventSchema().text) as RecordSchemaJson;
}

/** The customer schema with extra fields appended: BACKWARD-compatible when each has a default. */
export function customerEventWith(...extra: FieldJson[]): RecordSchemaJson {
  const schema = customerEventJson();
  schema.fields.push(...extra);
  return schema;
}

/** Encodes `value` with a writer schema, framed with `schemaId`. */
export function writeWith(schema: unknown, schemaId: number, value: unknown): Buffer {
  return frame(schemaId, avro.Type.forSchema(schema as avro.Schema).toBuffer(value));
}

/** Avro's zig-zag varint of a (safe) integer. */
export function varint(n: number): Buffer {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  do {
    let byte = z % 128;
    z = Math.floor(z / 128);
    if (z > 0) byte |= 0x80;
    out.push(byte);
  } while (z > 0);
  return Buffer.from(out);
}

/** `bytes` with `replace` bytes at `at` replaced by `insert`. */
export function splice(bytes: Uint8Array, at: number, replace: number, insert: Uint8Array): Buffer {
  return Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(Math.min(bytes.length, at + replace))]);
}
