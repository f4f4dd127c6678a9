import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { clipText } from '../contract/shown-value.js';
import { messageBytes } from './output-size.js';
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
  /** set only on a dead letter cut to fit: which parts were cut, e.g. "value" or "key,value" */
  truncated: 'churn.truncated',
  /** set with `truncated`: the original sizes, so a reader knows how much is missing */
  originalKeyBytes: 'churn.original.key.bytes',
  originalValueBytes: 'churn.original.value.bytes',
} as const;

export const MAX_ERROR_MESSAGE_CHARS = 2000;

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
  headers[DLQ_HEADERS.errorMessage] = clipText(rejection.message, MAX_ERROR_MESSAGE_CHARS);
  headers[DLQ_HEADERS.sourceTopic] = source.topic;
  headers[DLQ_HEADERS.sourcePartition] = String(source.partition);
  headers[DLQ_HEADERS.sourceOffset] = record.offset;
  headers[DLQ_HEADERS.sourceTimestamp] = record.timestamp;
  headers[DLQ_HEADERS.scorerVersion] = source.scorerVersion;
  return { key: record.key, value: record.value, headers };
}

/** A dead letter and the bytes it takes in a record batch (see output-size.ts). */
export interface SizedMessage {
  message: Message;
  bytes: number;
}

/**
 * Makes a dead letter fit in `maxBytes`, so that it can always be written. One that fits is returned as it
 * is. Otherwise the original bytes are cut, value first: the value to the room the key and headers leave;
 * if they alone are too big, the key too; if even that is not enough, the original headers are dropped
 * (ours stay). The cut letter says so: `churn.truncated` names the parts cut, `churn.original.*.bytes` give
 * the original sizes.
 */
export function fitDeadLetter(letter: Message, maxBytes: number): SizedMessage {
  const bytes = messageBytes(letter);
  if (bytes <= maxBytes) return { message: letter, bytes };

  const key = asBuffer(letter.key);
  const value = asBuffer(letter.value);
  const headers: IHeaders = {
    ...letter.headers,
    // Its longest value for now, so the room computed below still holds once the real one is set.
    [DLQ_HEADERS.truncated]: 'key,value,headers',
    [DLQ_HEADERS.originalKeyBytes]: String(key?.length ?? 0),
    [DLQ_HEADERS.originalValueBytes]: String(value?.length ?? 0),
  };
  let room = maxBytes - messageBytes({ key, value: null, headers });
  if (room >= 0) return cutLetter(key, cutTo(value, room), headers, 'value');
  room = maxBytes - messageBytes({ key: null, value: null, headers });
  if (room >= 0) return cutLetter(cutTo(key, room), cutTo(value, 0), headers, 'key,value');
  const ours = ourHeaders(headers);
  room = maxBytes - messageBytes({ key: null, value: null, headers: ours });
  return cutLetter(cutTo(key, Math.max(0, room)), cutTo(value, 0), ours, 'key,value,headers');
}

function cutLetter(key: Buffer | null, value: Buffer | null, headers: IHeaders, cut: string): SizedMessage {
  headers[DLQ_HEADERS.truncated] = cut;
  const message: Message = { key, value, headers };
  return { message, bytes: messageBytes(message) };
}

function cutTo(data: Buffer | null, bytes: number): Buffer | null {
  return data === null || data.length <= bytes ? data : data.subarray(0, bytes);
}

function asBuffer(data: Buffer | string | null | undefined): Buffer | null {
  if (data === null || data === undefined) return null;
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** Only the churn.* headers of a dead letter. */
function ourHeaders(headers: IHeaders): IHeaders {
  const ours: IHeaders = {};
  for (const name of Object.values(DLQ_HEADERS)) {
    if (headers[name] !== undefined) ours[name] = headers[name];
  }
  return ours;
}
