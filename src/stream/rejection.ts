import { DECODE_REASONS, type DecodeReason } from '../serde/decode-error.js';

/**
 * Why the scorer could not turn a record into a prediction. Each kind is a property of
 * the record itself, so the record goes to the dead-letter topic and the partition moves
 * on. Infrastructure failures (registry down, broker unavailable) are never rejections:
 * they abort the transaction and the batch is retried.
 */
export type RejectionKind =
  /** the bytes are not a CustomerEvent (src/serde DecodeError reasons) */
  | DecodeReason
  /** over stream.maxRecordBytes */
  | 'oversize'
  /** decoded, but fails the input contract */
  | 'invalid-customer'
  /** the model or the encoder failed on a valid customer */
  | 'score-failed'
  /** scored, but the prediction is larger than a transaction may carry (stream.transactionMaxBytes) */
  | 'oversize-output'
  /** a `replay --compare` record names a model version this worker has not verified (or was never published) */
  | 'compare-model-unknown'
  /** an outcome the join cannot use: no or another key than its customerid, an empty customerid (src/outcomes) */
  | 'invalid-outcome';

/** Every kind, as the `churn.error.type` header of a dead letter names it (README "Dead letters" lists them all). */
export const REJECTION_KINDS: readonly RejectionKind[] = [
  ...DECODE_REASONS,
  'oversize',
  'invalid-customer',
  'score-failed',
  'oversize-output',
  'compare-model-unknown',
  'invalid-outcome',
];

export interface Rejection {
  kind: RejectionKind;
  message: string;
}
