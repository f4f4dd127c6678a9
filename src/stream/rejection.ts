/**
 * Why the scorer could not turn a record into a prediction. Each kind is a property of
 * the record itself, so the record goes to the dead-letter topic and the partition moves
 * on. Infrastructure failures (registry down, broker unavailable) are never rejections:
 * they abort the transaction and the batch is retried.
 */
export type RejectionKind =
  // from src/serde DecodeError reasons
  | 'empty'
  | 'unknown-magic-byte'
  | 'truncated'
  | 'unknown-schema-id'
  | 'schema-mismatch'
  | 'invalid-avro'
  | 'trailing-bytes'
  // from the stream itself
  | 'oversize'
  | 'invalid-customer'
  | 'score-failed';

export interface Rejection {
  kind: RejectionKind;
  message: string;
}
