import { randomUUID } from 'node:crypto';
import type { KafkaClientSupplier, StreamAdmin } from '../stream/kafka-client-supplier.js';
import { onlyPartitionsAssigner } from './co-partitioned-assigner.js';

/** A changelog record as the restore hands it over, in offset order per partition. */
export interface RestoredRecord {
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
}

export interface RestoreOptions {
  clients: Pick<KafkaClientSupplier, 'getConsumer'>;
  admin: Pick<StreamAdmin, 'fetchTopicOffsets'>;
  topic: string;
  partitions: readonly number[];
  /** the group id before its random suffix */
  groupPrefix: string;
  sessionTimeoutMs: number;
  onRecord: (record: RestoredRecord) => void;
}

/**
 * Reads changelog partitions from their beginning to their end as of the call, read_committed (Kafka's answer to
 * a read_committed ListOffsets is the last stable offset: the caller has fenced the task's producer first, so no
 * transaction of it is open and the end is final). A consumer in a group of its own that is dealt exactly these
 * partitions and commits nothing, as Kafka Streams' restore consumer reads only the changelog partitions of the
 * tasks being restored. Progress is taken from the consumer's END_BATCH_PROCESS events, which also come for
 * batches of transaction markers only (kafkajs never hands those to eachBatch).
 */
export async function restoreChangelog(options: RestoreOptions): Promise<{ records: number }> {
  const { topic } = options;
  const offsets = await options.admin.fetchTopicOffsets(topic);
  const ends = new Map<number, bigint>();
  const positions = new Map<number, bigint>();
  for (const p of options.partitions) {
    const found = offsets.find((o) => o.partition === p);
    if (found === undefined) throw new Error(`changelog ${topic} has no partition ${p}`);
    if (BigInt(found.high) > BigInt(found.low)) {
      ends.set(p, BigInt(found.high));
      positions.set(p, BigInt(found.low));
    }
  }
  if (ends.size === 0) return { records: 0 };

  const consumer = options.clients.getConsumer({
    groupId: `${options.groupPrefix}.${randomUUID()}`,
    sessionTimeoutMs: options.sessionTimeoutMs,
    maxBytesPerPartition: 1024 * 1024,
    partitionAssigners: [onlyPartitionsAssigner(topic, [...ends.keys()])],
  });
  const events = consumer.instrumentation;
  if (events === undefined) throw new Error('the restore consumer reports no batch events: cannot tell its progress');
  let records = 0;
  let settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A failure may come before `done` is awaited: not an unhandled rejection meanwhile.
  done.catch(() => undefined);
  const behind = () => [...ends].filter(([p, end]) => (positions.get(p) ?? 0n) < end);
  const progressed = (partition: number, lastOffset: string) => {
    const next = BigInt(lastOffset) + 1n;
    if (next > (positions.get(partition) ?? 0n)) positions.set(partition, next);
    if (behind().length === 0) settle?.resolve();
  };
  events.on(events.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic === topic) progressed(payload.partition, payload.lastOffset);
  });
  events.on(events.events.CRASH, ({ payload }) => {
    if (!payload.restart) settle?.reject(payload.error);
  });
  try {
    await consumer.connect();
    await consumer.subscribe(topic);
    await consumer.run({
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset }) => {
        const end = ends.get(batch.partition);
        for (const message of batch.messages) {
          if (end === undefined || BigInt(message.offset) >= end) break;
          try {
            options.onRecord({ partition: batch.partition, key: message.key, value: message.value });
          } catch (err) {
            // A record the state cannot take ends the restore (not a retry of the batch: it would fail the same way).
            settle?.reject(err);
            return;
          }
          records++;
        }
        const last = batch.messages.at(-1);
        if (last !== undefined) resolveOffset(last.offset);
        await Promise.resolve();
      },
    });
    await done;
    return { records };
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
