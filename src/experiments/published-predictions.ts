import { randomUUID } from 'node:crypto';
import type { Admin, IHeaders, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { ChurnPrediction } from '../serde/avro-records.js';
import { DecodeError } from '../serde/decode-error.js';
import { COMPARE_HEADERS, headerText } from '../stream/prediction-record.js';
import type { PublishedPrediction } from './experiment-report.js';

/** The decoding the reader needs (src/serde/avro-decoder.ts AvroDecoder<ChurnPrediction> is one). */
export interface PredictionDecoder {
  decode(bytes: Buffer | null): Promise<ChurnPrediction>;
}

/**
 * A prediction record as the comparison reads it (pure). Decoded with this build's reader schema, a record
 * written before rollouts existed reads as the champion of revision 0 (the fields' defaults).
 */
export function publishedPrediction(value: ChurnPrediction, headers: IHeaders | undefined): PublishedPrediction {
  return {
    variant: value.variant,
    modelVersion: value.model_version,
    score: value.churn_probability,
    threshold: value.threshold,
    rolloutRevision: value.rollout_revision,
    replay: value.replay,
    sourceTopic: value.source_topic,
    sourcePartition: value.source_partition,
    sourceOffset: value.source_offset,
    compareId: headerText(headers, COMPARE_HEADERS.id) ?? null,
  };
}

export interface PublishedPredictions {
  readonly topic: string;
  readonly predictions: PublishedPrediction[];
  /** records that are not a ChurnPrediction (topic/partition@offset: reason); left out of the comparison */
  readonly undecodable: string[];
}

/**
 * Reads a prediction topic as its consumers see it (read_committed), from the beginning up to the end
 * offsets when the read starts (Kafka's answer to a read_committed ListOffsets: the last stable offsets, so
 * an open transaction is never waited for). A consumer group of its own that never commits, so no group's
 * offsets move. Records the registry cannot decode are listed, not fatal; a registry or Kafka failure is.
 */
export async function readPublishedPredictions(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  options: { decoder: PredictionDecoder; logger: Logger },
): Promise<PublishedPredictions> {
  const predictions: PublishedPrediction[] = [];
  const undecodable: string[] = [];
  const ends = new Map<number, bigint>();
  for (const o of await admin.fetchTopicOffsets(topic)) {
    if (BigInt(o.high) > BigInt(o.low)) ends.set(o.partition, BigInt(o.high));
  }
  if (ends.size === 0) return { topic, predictions, undecodable };

  const pending = new Set(ends.keys());
  let finish: (() => void) | undefined;
  let fail: ((err: unknown) => void) | undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  // A failure may come before `await done` below: it must not count as an unhandled rejection meanwhile.
  done.catch(() => undefined);
  const consumer = kafka.consumer({
    groupId: `churn-scorer.experiment-report.${randomUUID()}`,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 200,
  });
  // Also emitted for a batch of only commit markers or aborted records, which never reach eachBatch: the
  // last offset of a transactional partition is usually such a marker.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const end = ends.get(payload.partition);
    if (payload.topic !== topic || end === undefined) return;
    if (BigInt(payload.lastOffset) + 1n >= end && pending.delete(payload.partition) && pending.size === 0) finish?.();
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) fail?.(payload.error);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = ends.get(batch.partition) ?? 0n;
        for (const message of batch.messages) {
          if (BigInt(message.offset) >= end) break;
          try {
            predictions.push(publishedPrediction(await options.decoder.decode(message.value), message.headers));
          } catch (err) {
            if (!(err instanceof DecodeError)) {
              fail?.(err);
              return;
            }
            undecodable.push(`${topic}/${batch.partition}@${message.offset}: ${err.message}`);
          }
        }
      },
    });
    await done;
  } finally {
    await consumer.disconnect().catch((err: unknown) => {
      options.logger.warn({ err, topic }, 'prediction reader disconnect failed');
    });
  }
  return { topic, predictions, undecodable };
}
