/**
 * How the batch handler tells apart the errors a Kafka transaction can end with (pure).
 *
 * kafkajs reports broker errors as KafkaJSProtocolError with a `type`, often wrapped (in
 * KafkaJSNonRetriableError and the like) under `cause`; so each check walks the cause chain.
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
const PRODUCER_FENCED_CODE = 90;

/** Group membership changes the consumer learns about from a heartbeat. */
const REBALANCE_TYPES = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'NOT_COORDINATOR_FOR_GROUP', 'UNKNOWN_MEMBER_ID']);

/** Failures no retry can mend: credentials or ACLs. The process should stop and say so. */
const AUTHORIZATION_TYPES = new Set([
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
]);

const MAX_CAUSE_DEPTH = 8;

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = err;
  while (current !== null && typeof current === 'object' && chain.length < MAX_CAUSE_DEPTH) {
    chain.push(current);
    const next = current as { cause?: unknown; underlying?: unknown };
    current = next.cause ?? next.underlying;
  }
  return chain;
}

function hasType(err: unknown, types: ReadonlySet<string>): boolean {
  return causes(err).some((e) => {
    const { type } = e as { type?: unknown };
    return typeof type === 'string' && types.has(type);
  });
}

export function isAuthorizationError(err: unknown): boolean {
  return hasType(err, AUTHORIZATION_TYPES) || causes(err).some((e) => (e as { name?: unknown }).name === 'KafkaJSSASLAuthenticationError');
}

export function isFencedError(err: unknown): boolean {
  return causes(err).some((e) => {
    const { type, code } = e as { type?: unknown; code?: unknown };
    return (typeof type === 'string' && FENCED_TYPES.has(type)) || code === PRODUCER_FENCED_CODE;
  });
}

export function isRebalanceError(err: unknown): boolean {
  return hasType(err, REBALANCE_TYPES);
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
export class RetriableBatchError extends Error {
  override readonly name: string = 'RetriableBatchError';
  readonly retriable = true;

  constructor(
    message: string,
    readonly underlying: unknown,
  ) {
    super(message);
  }
}

/** Our producer for a partition was fenced: another worker owns it now. */
export class PartitionFencedError extends RetriableBatchError {
  override readonly name = 'PartitionFencedError';

  constructor(topic: string, partition: number, underlying: unknown) {
    super(
      `producer for ${topic}[${partition}] was fenced: another worker owns the partition now ` +
        '(its transaction was aborted; the new owner continues from the committed offset)',
      underlying,
    );
  }
}
