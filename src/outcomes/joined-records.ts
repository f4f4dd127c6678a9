import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { readTopicsToEnd } from '../kafka/read-to-end.js';
import type { PredictionOutcome } from '../serde/avro-records.js';
import { DecodeError } from '../serde/decode-error.js';
import type { JoinedTopicRecord } from './realized-report.js';

/** The decoding the reader needs (src/serde/avro-decoder.ts AvroDecoder<PredictionOutcome> is one). */
export interface PredictionOutcomeDecoder {
  decode(bytes: Buffer | null): Promise<PredictionOutcome>;
}

export interface JoinedRecords {
  readonly topic: string;
  readonly records: JoinedTopicRecord[];
  /** records that are not a PredictionOutcome (topic/partition@offset: reason); left out */
  readonly undecodable: string[];
}

/**
 * Reads the joined topic as its consumers see it (read_committed), from the beginning up to the end offsets when
 * the read starts, in a consumer group of its own that never commits (src/kafka/read-to-end.ts), as `experiment
 * report` reads the prediction topics. Records the registry cannot decode are listed, not fatal; a registry or
 * Kafka failure is.
 */
export async function readJoinedRecords(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  options: { decoder: PredictionOutcomeDecoder; logger: Logger },
): Promise<JoinedRecords> {
  const records: JoinedTopicRecord[] = [];
  const undecodable: string[] = [];
  await readTopicsToEnd(
    kafka,
    admin,
    [topic],
    async (read) => {
      try {
        const record = await options.decoder.decode(read.value);
        records.push({ record, partition: read.partition, offset: BigInt(read.offset) });
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        undecodable.push(`${topic}/${read.partition}@${read.offset}: ${err.message}`);
      }
    },
    { groupPrefix: 'churn-scorer.experiment-report', maxWaitTimeInMs: 200, logger: options.logger },
  );
  return { topic, records, undecodable };
}
