import type { IHeaders, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { throwawayConsumer } from '../kafka/throwaway-consumer.js';
import { AvroDecoder } from '../serde/avro-decoder.js';
import type { ChurnPrediction } from '../serde/avro-records.js';
import { isDecodeError } from '../serde/decode-error.js';
import type { SchemaRegistryClient } from '../serde/schema-registry.js';
import { churnPredictionSchema } from '../serde/schema-files.js';
import { DLQ_HEADERS } from '../stream/dead-letter.js';
import { COMPARE_HEADERS, headerText } from '../stream/prediction-record.js';
import type { CompareRole, CompareTally } from './compare-tally.js';

/** Where a topic's reading starts: its end offsets taken before anything was copied. */
export interface TopicStart {
  readonly topic: string;
  readonly offsets: readonly { partition: number; offset: string }[];
}

export interface CompareReaderOptions {
  readonly kafka: Kafka;
  readonly registry: SchemaRegistryClient;
  readonly compareId: string;
  /** the replay topic: a prediction of a compare copy names it as its source */
  readonly replayTopic: string;
  /** the shadow topic, where the worker writes both predictions of a compare copy */
  readonly shadow: TopicStart;
  /** the dead-letter topic, where a copy the worker cannot score goes (with the copy's headers) */
  readonly deadLetter: TopicStart;
  readonly tally: CompareTally;
  readonly logger: Logger;
  /** called after each batch that counted something */
  readonly onProgress?: () => void;
}

export interface CompareReader {
  /**
   * Settles true once the tally is complete, false when `timeoutMs` passes first; the timer starts at the call
   * (call it once the copy is done and the tally knows how many copies to expect).
   */
  complete(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Reads the shadow and dead-letter topics read_committed (what is aborted never counts), from the offsets taken
 * before the copy, in a throwaway consumer group that never commits, and hands the tally every record that
 * carries this run's compare id: a prediction as the champion's or the candidate's by its variant, a dead letter
 * with its reason. Records of other runs and of live shadows lack the id and are skipped without decoding.
 */
export async function startCompareReader(options: CompareReaderOptions): Promise<CompareReader> {
  const { kafka, tally, logger, compareId } = options;
  const decoder = new AvroDecoder<ChurnPrediction>({
    registry: options.registry,
    readerType: churnPredictionSchema().type,
  });
  // `done` settles when the tally is complete; nobody awaits it before complete() is called.
  const {
    consumer,
    done: whenComplete,
    finish: completed,
  } = throwawayConsumer(kafka, {
    groupPrefix: 'churn-scorer.replay-compare',
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [options.shadow.topic, options.deadLetter.topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      let counted = 0;
      for (const message of batch.messages) {
        if (headerText(message.headers, COMPARE_HEADERS.id) !== compareId) continue;
        if (batch.topic === options.deadLetter.topic) {
          const letter = deadLetterOf(message.headers);
          if (letter === undefined) {
            logger.warn({ offset: message.offset }, 'compare dead letter without its source position; not counted');
            continue;
          }
          tally.addDeadLetter(letter);
        } else {
          let prediction: ChurnPrediction;
          try {
            prediction = await decoder.decode(message.value);
          } catch (err) {
            // A registry outage throws on: kafkajs retries the batch. A record that is no prediction is skipped.
            if (!isDecodeError(err)) throw err;
            logger.warn({ err, offset: message.offset }, 'compare prediction that cannot be decoded; not counted');
            continue;
          }
          const role = roleOf(prediction.variant);
          if (role === undefined || prediction.source_topic !== options.replayTopic) {
            logger.warn(
              { offset: message.offset, variant: prediction.variant, source: prediction.source_topic },
              'compare prediction of an unexpected variant or source; not counted',
            );
            continue;
          }
          tally.addPrediction({
            partition: prediction.source_partition,
            offset: prediction.source_offset,
            role,
            customerid: prediction.customerid,
            modelVersion: prediction.model_version,
            score: prediction.churn_probability,
            churn: prediction.churn,
            threshold: prediction.threshold,
          });
        }
        counted += 1;
      }
      if (counted > 0) options.onProgress?.();
      if (tally.isComplete()) completed();
    },
  });
  for (const start of [options.shadow, options.deadLetter]) {
    for (const { partition, offset } of start.offsets) consumer.seek({ topic: start.topic, partition, offset });
  }

  return {
    complete: async (timeoutMs) => {
      if (tally.isComplete()) return true;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => {
          resolve(false);
        }, timeoutMs);
      });
      try {
        return await Promise.race([whenComplete.then(() => true as const), timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
    stop: async () => {
      await consumer.disconnect().catch((err: unknown) => {
        logger.warn({ err }, 'replay compare consumer disconnect failed');
      });
    },
  };
}

/** The champion's prediction is variant "champion", the candidate's "shadow" (it is scored on the side). */
function roleOf(variant: string): CompareRole | undefined {
  if (variant === 'champion') return 'champion';
  if (variant === 'shadow') return 'candidate';
  return undefined;
}

function deadLetterOf(
  headers: IHeaders | undefined,
): { partition: number; offset: number; reason: string } | undefined {
  const partition = Number(headerText(headers, DLQ_HEADERS.sourcePartition));
  const offset = Number(headerText(headers, DLQ_HEADERS.sourceOffset));
  if (!Number.isInteger(partition) || !Number.isInteger(offset)) return undefined;
  return { partition, offset, reason: headerText(headers, DLQ_HEADERS.errorType) ?? 'unknown' };
}
