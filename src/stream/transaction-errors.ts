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

const MAX_CAUSE_DEPTH = 8;

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = err;
  while (current !== null && typeof current === 'object' && chain.length < MAX_CAUSE_DEPTH) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

export function isFencedError(err: unknown): boolean {
  return causes(err).some((e) => {
    const { type, code } = e as { type?: unknown; code?: unknown };
    return (typeof type === 'string' && FENCED_TYPES.has(type)) || code === PRODUCER_FENCED_CODE;
  });
}

export function isRebalanceError(err: unknown): boolean {
  return causes(err).some((e) => {
    const { type } = e as { type?: unknown };
    return typeof type === 'string' && REBALANCE_TYPES.has(type);
  });
}

/**
 * Thrown out of eachBatch when our producer for a partition was fenced. Deliberately
 * retriable: kafkajs treats an error with `retriable: false` (which the broker's fencing
 * errors are) as fatal for the whole consumer and never restarts it, which would turn a
 * worker that was merely paused past its session (a zombie) into a dead process. Retrying
 * makes kafkajs fetch again, learn from the heartbeat that it must rejoin, and carry on
 * with whatever partitions the group gives it.
 */
export class PartitionFencedError extends Error {
  override readonly name = 'PartitionFencedError';
  readonly retriable = true;

  constructor(topic: string, partition: number, options: { cause: unknown }) {
    super(
      `producer for ${topic}[${partition}] was fenced: another worker owns the partition now ` +
        '(its transaction was aborted; the new owner continues from the committed offset)',
      options,
    );
  }
}
