import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { Rejection } from './rejection.js';

/** Header names of a dead-letter record; documented in README ("Dead letters"). */
export const DLQ_HEADERS = {
  errorType: 'churn.error.type',
  errorMessage: 'churn.error.message',
  sourceTopic: 'churn.source.topic',
  sourcePartition: 'churn.source.partition',
  sourceOffset: 'churn.source.offset',
  sourceTimestamp: 'churn.source.timestamp',
  scorerVersion: 'churn.scorer.version',
} as const;

const MAX_MESSAGE_CHARS = 2000;

export interface DeadLetterSource {
  topic: string;
  partition: number;
  scorerVersion: string;
}

/**
 * The dead-letter record for a rejected input: the original key and value bytes
 * untouched (so it can be fixed and replayed), the original headers kept, and our
 * headers saying what went wrong and where the record came from.
 */
export function deadLetterMessage(record: KafkaMessage, rejection: Rejection, source: DeadLetterSource): Message {
  const headers: IHeaders = { ...record.headers };
  headers[DLQ_HEADERS.errorType] = rejection.kind;
  headers[DLQ_HEADERS.errorMessage] =
    rejection.message.length > MAX_MESSAGE_CHARS ? `${rejection.message.slice(0, MAX_MESSAGE_CHARS)}…` : rejection.message;
  headers[DLQ_HEADERS.sourceTopic] = source.topic;
  headers[DLQ_HEADERS.sourcePartition] = String(source.partition);
  headers[DLQ_HEADERS.sourceOffset] = record.offset;
  headers[DLQ_HEADERS.sourceTimestamp] = record.timestamp;
  headers[DLQ_HEADERS.scorerVersion] = source.scorerVersion;
  return { key: record.key, value: record.value, headers };
}
