import type { ErrorCode } from '../errors/error-codes.js';
import { ScorerError } from '../errors/scorer-error.js';
import { findSaslFailure, hasKafkaType } from '../kafka/kafkajs-errors.js';

/**
 * How the batch handler tells apart the errors a Kafka transaction can end with (pure).
 *
 * kafkajs reports broker errors as KafkaJSProtocolError with a `type`, often wrapped (in
 * KafkaJSNonRetriableError and the like) under `cause`; so each check reads the whole cause chain.
 */

/**
 * The broker says our transactional producer is not the current one for its transactional id:
 * another worker took the partition and called InitProducerId (or the broker expired our
 * transaction). The partition's lease is lost, not the worker: the group will hand out
 * partitions again. PRODUCER_FENCED (code 90) is what newer protocol versions call it.
 */
const FENCED_TYPES = new Set([
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_ID_MAPPING',
  'INVALID_TXN_STATE',
  'TRANSACTION_COORDINATOR_FENCED',
]);
const FENCED_CODES = new Set([90]);

/** Group membership changes the consumer learns about from a heartbeat. */
const REBALANCE_TYPES = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'NOT_COORDINATOR_FOR_GROUP',
  'UNKNOWN_MEMBER_ID',
]);

/** Failures no retry can mend: ACLs (and SASL logins, findSaslFailure). The process should stop and say so. */
const AUTHORIZATION_TYPES = new Set([
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
]);

/**
 * The broker refused a record batch as too large: MESSAGE_TOO_LARGE (code 10) when a batch is over the
 * topic's max.message.bytes, RECORD_LIST_TOO_LARGE (code 18) for the segment size. kafkajs marks both not
 * retriable, and rightly: the same transaction would be refused again.
 */
const TOO_LARGE_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
const TOO_LARGE_CODES = new Set([10, 18]);

export function isAuthorizationError(err: unknown): boolean {
  return hasKafkaType(err, AUTHORIZATION_TYPES) || findSaslFailure(err) !== undefined;
}

export function isFencedError(err: unknown): boolean {
  return hasKafkaType(err, FENCED_TYPES, FENCED_CODES);
}

export function isRebalanceError(err: unknown): boolean {
  return hasKafkaType(err, REBALANCE_TYPES);
}

export function isTooLargeError(err: unknown): boolean {
  return hasKafkaType(err, TOO_LARGE_TYPES, TOO_LARGE_CODES);
}

/**
 * What eachBatch throws for a failed transaction that a later attempt can mend (broker
 * restarting, coordinator moving, fencing): the lease is already released, so the retry
 * fences again and continues from the committed offset.
 *
 * Why no `cause`: kafkajs decides whether to restart a crashed consumer from the innermost
 * `cause` only, and broker errors such as GROUP_COORDINATOR_NOT_FOUND or
 * INVALID_PRODUCER_EPOCH say `retriable: false`; a consumer that is not restarted would
 * turn a broker restart or a pause past the session timeout into a dead worker. The
 * original error stays reachable as `underlying` (and in the log line before the throw).
 */
export class RetriableBatchError extends ScorerError {
  static override readonly code: ErrorCode = 'CHURN_ERR_BATCH_RETRIABLE';
  override readonly name: string = 'RetriableBatchError';

  constructor(
    message: string,
    readonly underlying: unknown,
  ) {
    super(message);
  }
}

/** Our producer for a partition was fenced: another worker owns it now. */
export class PartitionFencedError extends RetriableBatchError {
  static override readonly code: ErrorCode = 'CHURN_ERR_PARTITION_FENCED';
  override readonly name = 'PartitionFencedError';

  constructor(topic: string, partition: number, underlying: unknown) {
    super(
      `producer for ${topic}[${partition}] was fenced: another worker owns the partition now ` +
        '(its transaction was aborted; the new owner continues from the committed offset)',
      underlying,
    );
  }
}

/**
 * The broker refused a transaction's output as too large although the pipeline keeps every transaction's
 * output under stream.transactionMaxBytes: an output topic (or the broker) allows less than that, e.g. a topic
 * created elsewhere with a smaller max.message.bytes. Retrying would be refused forever, so this is fatal
 * (not retriable: kafkajs does not restart the consumer and the worker stops, saying what to change).
 */
export class OutputTooLargeError extends ScorerError {
  static override readonly code = 'CHURN_ERR_OUTPUT_TOO_LARGE';
  override readonly name = 'OutputTooLargeError';

  constructor(
    readonly source: { topic: string; partition: number },
    /** the output topics this transaction wrote, with the bytes it sent to each */
    readonly outputs: readonly { topic: string; bytes: number }[],
    readonly transactionMaxBytes: number,
    readonly underlying: unknown,
  ) {
    const written = outputs.map((o) => `${o.topic} (${o.bytes} bytes)`).join(', ') || 'its output topics';
    super(
      `the broker refused the output of ${source.topic}[${source.partition}] as too large: ${written}; every record ` +
        `batch was at most stream.transactionMaxBytes (${transactionMaxBytes} bytes), so max.message.bytes of ` +
        `${outputs.map((o) => o.topic).join(' or ') || 'an output topic'} (or the broker's message.max.bytes) is below ` +
        `${transactionMaxBytes}: raise it, or lower TRANSACTION_MAX_BYTES under it. Stopping instead of retrying forever.`,
    );
  }
}
