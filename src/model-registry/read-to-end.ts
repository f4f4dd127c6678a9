import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { TopicReadTimeoutError } from './registry-errors.js';

/** A record of a topic read from its beginning. */
export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** How long a read of the small registry topics may take, group join included. */
export const READ_TO_END_TIMEOUT_MS = 30_000;

/**
 * Reads the topics from their beginning up to their end offsets as of the call, read_committed, and hands
 * every committed record below those offsets to `onRecord` in partition order. A consumer group of its own
 * (a new id each call, no offset commits) so no other reader's position moves. Returns at once for empty topics.
 *
 * Progress is taken from kafkajs' END_BATCH_PROCESS event, which also fires for batches holding only
 * transaction markers (they never reach eachBatch); counting only delivered records would wait forever on
 * the marker that ends a topic written transactionally.
 */
export async function readTopicsToEnd(
  kafka: Kafka,
  admin: Pick<Admin, 'fetchTopicOffsets'>,
  topics: readonly string[],
  onRecord: (record: ReadRecord) => void,
  options: { timeoutMs?: number; groupPrefix?: string } = {},
): Promise<void> {
  const ends = new Map<string, bigint>();
  const positions = new Map<string, bigint>();
  for (const topic of topics) {
    for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
      if (BigInt(high) > BigInt(low)) {
        ends.set(partitionKey(topic, partition), BigInt(high));
        positions.set(partitionKey(topic, partition), BigInt(low));
      }
    }
  }
  if (ends.size === 0) return;
  const timeoutMs = options.timeoutMs ?? READ_TO_END_TIMEOUT_MS;
  const consumer = kafka.consumer({
    groupId: `${options.groupPrefix ?? 'churn-scorer.registry-read'}.${randomUUID()}`,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
  });
  let finish: (() => void) | undefined;
  let fail: ((err: unknown) => void) | undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const behind = () =>
    [...ends]
      .filter(([key, end]) => (positions.get(key) ?? 0n) < end)
      .map(([key, end]) => `${key} at ${positions.get(key) ?? 0n} of ${end}`);
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    const key = partitionKey(event.payload.topic, event.payload.partition);
    const next = BigInt(event.payload.lastOffset) + 1n;
    if (next > (positions.get(key) ?? 0n)) positions.set(key, next);
    if (behind().length === 0) finish?.();
  });
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) fail?.(event.payload.error);
  });
  const timer = setTimeout(() => {
    fail?.(
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
      eachBatch: ({ batch }) => {
        const end = ends.get(partitionKey(batch.topic, batch.partition));
        for (const message of batch.messages) {
          if (end === undefined || BigInt(message.offset) >= end) break;
          onRecord({
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            key: message.key,
            value: message.value,
          });
        }
        return Promise.resolve();
      },
    });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}[${partition}]`;
}
