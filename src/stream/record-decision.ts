/**
 * The per-record decision of the data path: decode -> validate -> score -> encode, ending in a prediction or a
 * dead letter. A bad record never throws: it becomes a dead letter saying why. Only what is not the record's
 * fault throws (a registry outage), so that the transaction is retried instead.
 *
 * Synchronous once the record's writer schema is resolved, which is every record but the first of each writer
 * schema: `decide` then returns the outcome itself and only a registry lookup makes it return a promise. Every
 * record of the stream passes here, and a promise per record would cost each one a microtask turn.
 */
import type { KafkaMessage, Message } from 'kafkajs';
import { clipText } from '../contract/shown-value.js';
import type { ValidationRules } from '../contract/validation-rules.js';
import type { ChurnModel } from '../model/churn-model.js';
import { predictCustomer, type CustomerPrediction } from '../model/predict-customer.js';
import type { ChurnPrediction, CustomerEvent } from '../serde/avro-records.js';
import { isDecodeError } from '../serde/decode-error.js';
import { deadLetterMessage, fitDeadLetter, MAX_ERROR_MESSAGE_CHARS } from './dead-letter.js';
import { messageBytes } from './output-size.js';
import { predictionHeaders, predictionRecord } from './prediction-record.js';
import type { Rejection, RejectionKind } from './rejection.js';

export interface EventDecoder {
  /** Sync fast path once the writer schema is known; undefined when a registry lookup is needed. */
  decodeIfResolved(bytes: Buffer | null): CustomerEvent | undefined;
  decode(bytes: Buffer | null): Promise<CustomerEvent>;
}

export interface PredictionEncoder {
  encode(value: ChurnPrediction): Buffer;
}

/** A record scored: its prediction record and what the metrics need once it is committed. */
export interface ScoredRecord {
  ok: true;
  message: Message;
  /** what `message` takes in a record batch (output-size.ts) */
  bytes: number;
  eventTime: number;
  churn: boolean;
}

/** A record rejected: its dead letter (cut to fit a transaction) and why. */
export interface RejectedRecord {
  ok: false;
  message: Message;
  /** what `message` takes in a record batch (output-size.ts) */
  bytes: number;
  rejection: Rejection;
}

export type RecordOutcome = ScoredRecord | RejectedRecord;

/** Decides one fetched record of `topic`[`partition`]; a promise only when a registry lookup is needed. */
export type DecideRecord = (
  record: KafkaMessage,
  topic: string,
  partition: number,
) => RecordOutcome | Promise<RecordOutcome>;

export interface RecordDecisionDeps {
  decoder: EventDecoder;
  encoder: PredictionEncoder;
  model: ChurnModel;
  rules: ValidationRules;
  scorerVersion: string;
  /** the clock of a prediction's scored_at */
  now: () => number;
  /** whether the records come from the replay topic (their predictions say so) */
  replay: boolean;
  /** stream.maxRecordBytes: a larger input is rejected before it is decoded */
  maxRecordBytes: number;
  /** the output bytes one transaction may carry (output-size.ts): no output may be larger */
  outputBudget: number;
}

export function recordDecision(deps: RecordDecisionDeps): DecideRecord {
  const { decoder, encoder, model, rules, outputBudget } = deps;

  function decide(record: KafkaMessage, topic: string, partition: number): RecordOutcome | Promise<RecordOutcome> {
    const size = record.value === null ? 0 : record.value.length;
    if (size > deps.maxRecordBytes) {
      return rejected(
        record,
        topic,
        partition,
        'oversize',
        `value is ${size} bytes, over the limit of ${deps.maxRecordBytes}`,
      );
    }
    let event: CustomerEvent | undefined;
    try {
      event = decoder.decodeIfResolved(record.value);
    } catch (err) {
      return decodeFailed(err, record, topic, partition);
    }
    return event === undefined ? decodeThenScore(record, topic, partition) : score(event, record, topic, partition);
  }

  /** The first record of a writer schema: the registry is asked for it once, then every later record is sync. */
  async function decodeThenScore(record: KafkaMessage, topic: string, partition: number): Promise<RecordOutcome> {
    let event: CustomerEvent;
    try {
      event = await decoder.decode(record.value);
    } catch (err) {
      return decodeFailed(err, record, topic, partition);
    }
    return score(event, record, topic, partition);
  }

  function decodeFailed(err: unknown, record: KafkaMessage, topic: string, partition: number): RejectedRecord {
    // A registry outage is no property of the record: it aborts the transaction, which is retried.
    if (!isDecodeError(err)) throw err;
    return rejected(record, topic, partition, err.reason, err.message);
  }

  /** validate + score (the same decision as POST /predict and `score`), then encode. */
  function score(event: CustomerEvent, record: KafkaMessage, topic: string, partition: number): RecordOutcome {
    let prediction: CustomerPrediction;
    try {
      prediction = predictCustomer(event, rules, model);
    } catch (err) {
      return rejected(record, topic, partition, 'score-failed', messageOf(err));
    }
    if (!prediction.ok) {
      const detail = prediction.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
      return rejected(record, topic, partition, 'invalid-customer', detail);
    }

    const { churn } = prediction;
    const value = predictionRecord({
      event,
      probability: prediction.churn_probability,
      churn,
      model: model.meta,
      replay: deps.replay,
      scoredAt: deps.now(),
      source: { topic, partition, offset: record.offset },
      warnings: prediction.warnings,
    });
    let encoded: Buffer;
    try {
      encoded = encoder.encode(value);
    } catch (err) {
      // Only a bug could get here (every field is ours); dead-letter rather than stall the partition.
      return rejected(record, topic, partition, 'score-failed', `cannot encode the prediction: ${messageOf(err)}`);
    }
    const message: Message = {
      key: event.customerid,
      value: encoded,
      headers: predictionHeaders(record.headers, model.meta.version),
    };
    // customerid is in both key and value and warnings quote values, so a prediction can outgrow its input.
    const bytes = messageBytes(message);
    if (bytes > outputBudget) {
      const detail = `the prediction is ${bytes} bytes, over the ${outputBudget} a transaction may carry (stream.transactionMaxBytes)`;
      return rejected(record, topic, partition, 'oversize-output', detail);
    }
    return { ok: true, eventTime: event.event_time, churn, message, bytes };
  }

  /** A dead letter carries the original bytes; when they cannot fit a transaction they are cut (fitDeadLetter). */
  function rejected(
    record: KafkaMessage,
    topic: string,
    partition: number,
    kind: RejectionKind,
    detail: string,
  ): RejectedRecord {
    // deadLetterMessage clips the header itself: given the clipped text, its "… (N chars)" would count that.
    const rejection: Rejection = { kind, message: clipText(detail, MAX_ERROR_MESSAGE_CHARS) };
    const source = { topic, partition, scorerVersion: deps.scorerVersion };
    const letter = deadLetterMessage(record, { kind, message: detail }, source);
    const { message, bytes } = fitDeadLetter(letter, outputBudget);
    return { ok: false, rejection, message, bytes };
  }

  return decide;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
