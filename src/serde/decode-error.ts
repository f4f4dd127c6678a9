import { ScorerError } from '../errors/scorer-error.js';

/**
 * Why a record's bytes could not be turned into a value. Every reason is a
 * property of the record itself (or of the immutable schema it names), so the
 * stream may dead-letter it; registry outages are not DecodeErrors (see
 * SchemaRegistryError).
 */
export type DecodeReason =
  /** null value (tombstone) or zero bytes */
  | 'empty'
  /** first byte is not the Confluent magic byte 0 */
  | 'unknown-magic-byte'
  /** shorter than the 5-byte header, or the Avro payload ends early */
  | 'truncated'
  /** the registry does not know the schema id in the header */
  | 'unknown-schema-id'
  /** the writer schema cannot be resolved into our reader schema */
  | 'schema-mismatch'
  /** the payload is not valid Avro for its writer schema */
  | 'invalid-avro'
  /** the payload decodes but leaves bytes unread */
  | 'trailing-bytes';

export const DECODE_REASONS: readonly DecodeReason[] = [
  'empty',
  'unknown-magic-byte',
  'truncated',
  'unknown-schema-id',
  'schema-mismatch',
  'invalid-avro',
  'trailing-bytes',
];

export interface DecodeErrorContext {
  /** length of the record value in bytes (0 for null) */
  byteLength: number;
  /** schema id from the header, when the header could be read */
  schemaId?: number;
}

export class DecodeError extends ScorerError {
  static override readonly code = 'CHURN_ERR_DECODE';
  override readonly name = 'DecodeError';
  readonly reason: DecodeReason;
  readonly byteLength: number;
  readonly schemaId: number | undefined;

  constructor(reason: DecodeReason, detail: string, context: DecodeErrorContext, options?: { cause?: unknown }) {
    const where =
      context.schemaId === undefined
        ? `${context.byteLength} bytes`
        : `schema id ${context.schemaId}, ${context.byteLength} bytes`;
    super(`${reason}: ${detail} (${where})`, options);
    this.reason = reason;
    this.byteLength = context.byteLength;
    this.schemaId = context.schemaId;
  }
}

export function isDecodeError(error: unknown): error is DecodeError {
  return error instanceof DecodeError;
}
