import { DecodeError } from './decode-error.js';

/**
 * The Confluent wire format: magic byte 0, the writer schema id as a 4-byte
 * big-endian unsigned integer, then the Avro binary body.
 */
export const MAGIC_BYTE = 0;
export const HEADER_LENGTH = 5;
const MAX_SCHEMA_ID = 0xffff_ffff;

export interface Frame {
  schemaId: number;
  /** Avro body; a view on the input, not a copy */
  payload: Buffer;
}

export function assertSchemaId(schemaId: number): void {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > MAX_SCHEMA_ID) {
    throw new RangeError(`schema id must be an integer in [0, ${MAX_SCHEMA_ID}], got ${schemaId}`);
  }
}

export function frame(schemaId: number, payload: Uint8Array): Buffer {
  assertSchemaId(schemaId);
  const out = Buffer.allocUnsafe(HEADER_LENGTH + payload.length);
  writeHeader(out, schemaId);
  out.set(payload, HEADER_LENGTH);
  return out;
}

/** Writes the 5-byte header at the start of `target` (which must have room). */
export function writeHeader(target: Buffer, schemaId: number): void {
  target[0] = MAGIC_BYTE;
  target.writeUInt32BE(schemaId, 1);
}

/**
 * Checks the header and returns the schema id, or the DecodeError explaining
 * why the bytes are not a Confluent frame. Allocation-free on success, so the
 * decoder can use it on every record.
 */
export function readSchemaId(buf: Uint8Array | null | undefined): number | DecodeError {
  // A typed array reads undefined past its end: each `=== undefined` below is a length check TypeScript narrows.
  const first = buf?.[0];
  if (buf == null || first === undefined) {
    return new DecodeError('empty', buf == null ? 'record value is null' : 'record value has no bytes', {
      byteLength: 0,
    });
  }
  if (first !== MAGIC_BYTE) {
    return new DecodeError(
      'unknown-magic-byte',
      `first byte is 0x${first.toString(16).padStart(2, '0')}, expected 0x00`,
      { byteLength: buf.length },
    );
  }
  const b1 = buf[1];
  const b2 = buf[2];
  const b3 = buf[3];
  const b4 = buf[4];
  if (b1 === undefined || b2 === undefined || b3 === undefined || b4 === undefined) {
    return new DecodeError('truncated', `header needs ${HEADER_LENGTH} bytes`, { byteLength: buf.length });
  }
  // Big-endian uint32 by hand: works on any Uint8Array, not only Buffer.
  return ((b1 << 24) >>> 0) + (b2 << 16) + (b3 << 8) + b4;
}

export function parseFrame(buf: Buffer | null | undefined): Frame | DecodeError {
  const schemaId = readSchemaId(buf);
  if (schemaId instanceof DecodeError) return schemaId;
  return { schemaId, payload: (buf as Buffer).subarray(HEADER_LENGTH) };
}
