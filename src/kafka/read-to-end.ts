import type { Admin, IHeaders, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { ScorerError } from '../errors/scorer-error.js';
import { throwawayConsumer } from './throwaway-consumer.js';
import { retryUntilTopicSettles } from './topic-leaders.js';

/** How long a topic created a moment ago may take to answer for its offsets. */
const TOPIC_SETTLE_TIMEOUT_MS = 30_000;

/** A topic was not read up to its end offsets in time (the models and rollout topics). */
export class TopicReadTimeoutError extends ScorerError {
  static override readonly code = 'CHURN_ERR_TOPIC_READ_TIMEOUT';
  override readonly name = 'TopicReadTimeoutError';
}

/** A record of a topic read from its beginning. */
export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders | undefined;
}

export interface ReadToEndOptions {
  /** the consumer group id before its random suffix, naming what reads */
  readonly groupPrefix: string;
  /** how long the broker may hold a fetch that has nothing to return */
  readonly maxWaitTimeInMs: number;
  /** fail with a TopicReadTimeoutError past this long, group join included; no limit when absent */
  readonly timeoutMs?: number | undefined;
  /** where a failed disconnect at the end is warned about; ignored when absent */
  readonly logger?: Logger | undefined;
  /**
   * Per topic, per partition: the offset to start at instead of the partition's beginning (a reader continuing
   * where an earlier read stopped; the bandit's read_to). Partitions left out start at their beginning; an
   * offset below the beginning (records deleted by retention) starts there.
   */
  readonly from?: ReadonlyMap<string, ReadonlyMap<number, bigint>> | undefined;
}

/** Per topic, per partition: the end offset a read went up to, which is where the next read starts. */
export type ReadEndOffsets = ReadonlyMap<string, ReadonlyMap<number, bigint>>;

/**
 * Reads the topics from their beginning up to their end offsets as of the call, read_committed (Kafka's answer to
 * a read_committed ListOffsets is the last stable offset, so an open transaction is never waited for), and hands
 * every committed record below those offsets to `onRecord` in partition order, waiting for it. A consumer group
 * of its own (throwaway-consumer.ts) so no other reader's position moves. Returns at once for empty topics. An
 * error thrown by `onRecord` ends the read with that error.
 *
 * With `from`, a partition starts at the given offset instead. Resolves with every partition's end offset, the
 * `from` of a read that continues this one.
 *
 * Progress is taken from kafkajs' END_BATCH_PROCESS event, which also fires for batches holding only
 * transaction markers (they never reach eachBatch); counting only delivered records would wait forever on
 * the marker that ends a topic written transactionally.
 */
export async function readTopicsToEnd(
  kafka: Kafka,
  admin: Pick<Admin, 'fetchTopicOffsets'>,
  topics: readonly string[],
  onRecord: (record: ReadRecord) => void | Promise<void>,
  options: ReadToEndOptions,
): Promise<ReadEndOffsets> {
  const ends = new Map<string, bigint>();
  const positions = new Map<string, bigint>();
  const starts = new Map<string, bigint>();
  const seeks: { topic: string; partition: number; offset: bigint }[] = [];
  const endOffsets = new Map<string, Map<number, bigint>>();
  for (const topic of topics) {
    const offsets = await retryUntilTopicSettles(() => admin.fetchTopicOffsets(topic), {
      timeoutMs: TOPIC_SETTLE_TIMEOUT_MS,
    });
    const topicEnds = new Map<number, bigint>();
    endOffsets.set(topic, topicEnds);
    for (const { partition, low, high } of offsets) {
      topicEnds.set(partition, BigInt(high));
      const from = options.from?.get(topic)?.get(partition);
      const start = from !== undefined && from > BigInt(low) ? from : BigInt(low);
      if (BigInt(high) > start) {
        ends.set(partitionKey(topic, partition), BigInt(high));
        positions.set(partitionKey(topic, partition), start);
        if (start > BigInt(low)) {
          starts.set(partitionKey(topic, partition), start);
          seeks.push({ topic, partition, offset: start });
        }
      }
    }
  }
  if (ends.size === 0) return endOffsets;
  const { consumer, done, finish, fail } = throwawayConsumer(kafka, options);
  const behind = () =>
    [...ends]
      .filter(([key, end]) => (positions.get(key) ?? 0n) < end)
      .map(([key, end]) => `${key} at ${positions.get(key) ?? 0n} of ${end}`);
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    const key = partitionKey(event.payload.topic, event.payload.partition);
    const next = BigInt(event.payload.lastOffset) + 1n;
    if (next > (positions.get(key) ?? 0n)) positions.set(key, next);
    if (behind().length === 0) finish();
  });
  const { timeoutMs } = options;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          fail(
            new TopicReadTimeoutError(
              `${topics.join(', ')} not read to the end within ${timeoutMs} ms (${behind().join(', ')}); ` +
                'check that the brokers are up and that this client may read the topics',
            ),
          );
        }, timeoutMs);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = ends.get(partitionKey(batch.topic, batch.partition));
        const start = starts.get(partitionKey(batch.topic, batch.partition)) ?? 0n;
        for (const message of batch.messages) {
          if (end === undefined || BigInt(message.offset) >= end) break;
          if (BigInt(message.offset) < start) continue;
          try {
            await onRecord({
              topic: batch.topic,
              partition: batch.partition,
              offset: message.offset,
              key: message.key,
              value: message.value,
              headers: message.headers,
            });
          } catch (err) {
            fail(err);
            return;
          }
        }
      },
    });
    // kafkajs applies a seek before the partition's next fetch and drops a fetch already under way for it.
    for (const { topic, partition, offset } of seeks) consumer.seek({ topic, partition, offset: offset.toString() });
    await done;
    return endOffsets;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch((err: unknown) => {
      options.logger?.warn({ err, topics }, 'topic reader disconnect failed');
    });
  }
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}[${partition}]`;
}
