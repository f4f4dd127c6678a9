import type { Admin, IHeaders, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { readTopicsToEnd } from '../kafka/read-to-end.js';
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
 * an open transaction is never waited for), in a consumer group of its own that never commits, so no group's
 * offsets move (src/kafka/read-to-end.ts). Records the registry cannot decode are listed, not fatal; a registry
 * or Kafka failure is.
 */
export async function readPublishedPredictions(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  options: { decoder: PredictionDecoder; logger: Logger },
): Promise<PublishedPredictions> {
  const predictions: PublishedPrediction[] = [];
  const undecodable: string[] = [];
  await readTopicsToEnd(
    kafka,
    admin,
    [topic],
    async (record) => {
      try {
        predictions.push(publishedPrediction(await options.decoder.decode(record.value), record.headers));
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        undecodable.push(`${topic}/${record.partition}@${record.offset}: ${err.message}`);
      }
    },
    { groupPrefix: 'churn-scorer.experiment-report', maxWaitTimeInMs: 200, logger: options.logger },
  );
  return { topic, predictions, undecodable };
}
