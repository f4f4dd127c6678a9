/**
 * The data path, in one file: consume -> decode -> validate -> score -> encode -> produce -> commit.
 *
 * kafkajs hands us one fetched batch of one input partition at a time (`eachBatch`). We cut it
 * into transactions bounded by record count and time; each transaction carries the predictions,
 * the dead letters and the consumed offsets of its records, so a record's outcome and its
 * offset become visible together or not at all (exactly-once with read_committed readers).
 *
 * Everything here that is not I/O is a call into a pure module: src/serde (codec),
 * src/contract (input contract), src/model (scoring), ./prediction-record and ./dead-letter.
 */
import type { Batch, EachBatchPayload, KafkaMessage, Message } from 'kafkajs';
import type { Logger } from 'pino';
import type { ValidationRules } from '../contract/validation-rules.js';
import type { ChurnModel } from '../model/churn-model.js';
import { predictCustomer, type CustomerPrediction } from '../model/predict-customer.js';
import type { ChurnPrediction, CustomerEvent } from '../serde/avro-records.js';
import { isDecodeError } from '../serde/decode-error.js';
import { deadLetterMessage } from './dead-letter.js';
import type { PartitionLeases, TransactionalProducer } from './partition-leases.js';
import { predictionHeaders, predictionRecord } from './prediction-record.js';
import type { Rejection } from './rejection.js';
import type { StreamMetrics } from './stream-metrics.js';
import type { OutcomeCounters } from '../observability/prediction-metrics.js';
import {
  PartitionFencedError,
  RetriableBatchError,
  isAuthorizationError,
  isFencedError,
  isRebalanceError,
} from './transaction-errors.js';

export interface EventDecoder {
  /** Sync fast path once the writer schema is known; undefined when a registry lookup is needed. */
  decodeIfResolved(bytes: Buffer | null): CustomerEvent | undefined;
  decode(bytes: Buffer | null): Promise<CustomerEvent>;
}

export interface PredictionEncoder {
  encode(value: ChurnPrediction): Buffer;
}

export interface PipelineDeps {
  decoder: EventDecoder;
  encoder: PredictionEncoder;
  model: ChurnModel;
  rules: ValidationRules;
  leases: PartitionLeases;
  metrics: StreamMetrics;
  /** churn_predictions_total{source="stream"}, shared with the side-port's counter */
  outcomes: OutcomeCounters;
  logger: Logger;
  topics: { predictions: string; deadLetter: string };
  consumerGroupId: string;
  scorerVersion: string;
  limits: { transactionMaxRecords: number; transactionMaxMs: number; maxRecordBytes: number };
  now: () => number;
  /** Called after each committed transaction (liveness bookkeeping). */
  onCommitted: (partition: number, records: number) => void;
}

/**
 * What the data path reads of a fetched batch: the part of kafkajs' `EachBatchPayload` that
 * another client's consumer can also provide (bench/clients runs this file over librdkafka).
 */
export type BatchPayload = Pick<EachBatchPayload, 'resolveOffset' | 'heartbeat' | 'isRunning' | 'isStale'> & {
  batch: Pick<Batch, 'topic' | 'partition' | 'messages' | 'lastOffset'>;
};

/** Where the batches come from: the live topic or the replay topic (same logic, flagged output). */
export interface SourceKind {
  replay: boolean;
  /** metrics label */
  label: 'live' | 'replay';
}

type Outcome =
  | { ok: true; message: Message; eventTime: number; churn: boolean }
  | { ok: false; message: Message; rejection: Rejection };

export function createBatchHandler(deps: PipelineDeps, source: SourceKind) {
  const { limits, metrics, leases, logger } = deps;
  const consumed = metrics.consumed.labels({ source: source.label });
  const produced = metrics.produced.labels({ source: source.label });
  const endToEnd = metrics.endToEndSeconds.labels({ source: source.label });
  const batchSize = metrics.batchSize.labels({ source: source.label });
  const txnCommitted = metrics.transactionSeconds.labels({ source: source.label, result: 'commit' });
  const txnAborted = metrics.transactionSeconds.labels({ source: source.label, result: 'abort' });

  /** decode -> validate -> score -> encode, for one record; never throws for a bad record. */
  async function processRecord(record: KafkaMessage, topic: string, partition: number): Promise<Outcome> {
    const dead = (rejection: Rejection): Outcome => ({
      ok: false,
      rejection,
      message: deadLetterMessage(record, rejection, { topic, partition, scorerVersion: deps.scorerVersion }),
    });

    // consume: a record over the limit is rejected before we spend time decoding it
    const size = record.value === null ? 0 : record.value.length;
    if (size > limits.maxRecordBytes) {
      return dead({ kind: 'oversize', message: `value is ${size} bytes, over the limit of ${limits.maxRecordBytes}` });
    }

    // decode (a registry outage throws a retriable error: the whole transaction is retried)
    let event: CustomerEvent;
    try {
      event = deps.decoder.decodeIfResolved(record.value) ?? (await deps.decoder.decode(record.value));
    } catch (err) {
      if (isDecodeError(err)) return dead({ kind: err.reason, message: err.message });
      throw err;
    }

    // validate + score: the same decision as POST /predict and `score`
    let prediction: CustomerPrediction;
    try {
      prediction = predictCustomer(event, deps.rules, deps.model);
    } catch (err) {
      return dead({ kind: 'score-failed', message: (err as Error).message });
    }
    if (!prediction.ok) {
      const detail = prediction.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
      return dead({ kind: 'invalid-customer', message: detail });
    }

    // encode
    const { churn } = prediction;
    const value = predictionRecord({
      event,
      probability: prediction.churn_probability,
      churn,
      model: deps.model.meta,
      replay: source.replay,
      scoredAt: deps.now(),
      source: { topic, partition, offset: record.offset },
      warnings: prediction.warnings,
    });
    let encoded: Buffer;
    try {
      encoded = deps.encoder.encode(value);
    } catch (err) {
      // Only a bug could get here (every field is ours); dead-letter rather than stall the partition.
      return dead({ kind: 'score-failed', message: `cannot encode the prediction: ${(err as Error).message}` });
    }
    return {
      ok: true,
      eventTime: event.event_time,
      churn,
      message: { key: event.customerid, value: encoded, headers: predictionHeaders(record.headers, deps.model.meta.version) },
    };
  }

  /** Outcomes of the records of one transaction-to-be, gathered as they are processed. */
  class PendingTransaction {
    readonly started = deps.now();
    readonly predictions: Message[] = [];
    readonly deadLetters: Message[] = [];
    readonly eventTimes: number[] = [];
    readonly rejections: Rejection[] = [];
    count = 0;
    churned = 0;
    lastOffset = '';

    add(outcome: Outcome, offset: string): void {
      this.count++;
      this.lastOffset = offset;
      if (outcome.ok) {
        this.predictions.push(outcome.message);
        this.eventTimes.push(outcome.eventTime);
        if (outcome.churn) this.churned++;
      } else {
        this.deadLetters.push(outcome.message);
        this.rejections.push(outcome.rejection);
      }
    }

    full(): boolean {
      return this.count >= limits.transactionMaxRecords || deps.now() - this.started >= limits.transactionMaxMs;
    }
  }

  /** produce + commit: one transaction with the outcomes and the consumed offset. */
  async function commit(
    producer: TransactionalProducer,
    topic: string,
    partition: number,
    pending: PendingTransaction,
    nextOffset: bigint,
  ): Promise<void> {
    const txnStarted = deps.now();
    const txn = await producer.transaction();
    try {
      const topicMessages = [];
      if (pending.predictions.length > 0) {
        topicMessages.push({ topic: deps.topics.predictions, messages: pending.predictions });
      }
      if (pending.deadLetters.length > 0) {
        topicMessages.push({ topic: deps.topics.deadLetter, messages: pending.deadLetters });
      }
      if (topicMessages.length > 0) await txn.sendBatch({ topicMessages });
      await txn.sendOffsets({
        consumerGroupId: deps.consumerGroupId,
        topics: [{ topic, partitions: [{ partition, offset: nextOffset.toString() }] }],
      });
      await txn.commit();
    } catch (err) {
      txnAborted.observe((deps.now() - txnStarted) / 1000);
      try {
        await txn.abort();
      } catch (abortErr) {
        logger.warn({ err: abortErr, topic, partition }, 'abort after a failed transaction also failed');
      }
      throw err;
    }

    // Only now, with the commit acknowledged, do the outcomes exist.
    const committedAt = deps.now();
    txnCommitted.observe((committedAt - txnStarted) / 1000);
    batchSize.observe(pending.count);
    consumed.inc(pending.count);
    produced.inc(pending.predictions.length);
    deps.outcomes.churn.inc(pending.churned);
    deps.outcomes.no_churn.inc(pending.predictions.length - pending.churned);
    for (const eventTime of pending.eventTimes) endToEnd.observe(Math.max(0, committedAt - eventTime) / 1000);
    for (const rejection of pending.rejections) {
      metrics.deadLettered.inc({ source: source.label, reason: rejection.kind });
      logger.warn({ topic, partition, reason: rejection.kind, detail: rejection.message }, 'record dead-lettered');
    }
    deps.onCommitted(partition, pending.count);
  }

  return async function eachBatch(payload: BatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    if (batch.messages.length === 0) return;
    const open = () => isRunning() && !isStale();

    let pending: PendingTransaction | undefined;
    let reachedEnd = true;
    try {
      // The lease fences any previous owner of this partition and tells us the offset that
      // is really committed; kafkajs' own position may be older after a rebalance.
      const lease = await leases.acquire(topic, partition);
      const settle = async (done: PendingTransaction, lastOffset: string) => {
        const next = BigInt(lastOffset) + 1n;
        await commit(lease.producer, topic, partition, done, next);
        lease.nextOffset = next;
        resolveOffset(lastOffset);
        await heartbeat();
      };

      for (const record of batch.messages) {
        if (!open()) {
          reachedEnd = false;
          break;
        }
        if (BigInt(record.offset) < lease.nextOffset) continue; // committed by an earlier owner
        pending ??= new PendingTransaction();
        pending.add(await processRecord(record, topic, partition), record.offset);
        if (pending.full()) {
          await settle(pending, pending.lastOffset);
          pending = undefined;
        }
      }
      if (!reachedEnd || !open()) return; // shutting down or revoked: the next owner redoes the rest
      // Commit up to the batch's last offset, not the last record's: trailing transaction
      // markers of a transactional upstream would otherwise show as lag forever.
      if (pending !== undefined) {
        await settle(pending, batch.lastOffset());
      } else if (BigInt(batch.lastOffset()) >= lease.nextOffset) {
        // Only control records (transaction markers) are left: commit past them, offsets only.
        await settle(new PendingTransaction(), batch.lastOffset());
      } else {
        // The whole batch was below the committed offset: move kafkajs' position up to it.
        resolveOffset((lease.nextOffset - 1n).toString());
      }
    } catch (err) {
      // Any failure inside a transaction may mean we were fenced: drop the lease so the
      // next attempt fences again and re-reads the committed offset before producing.
      await leases.release(topic, partition);
      if (isAuthorizationError(err)) {
        logger.error({ err, topic, partition }, 'not authorized: no retry can fix this; stopping');
        throw err;
      }
      if (isFencedError(err)) {
        logger.warn({ err, topic, partition }, 'partition producer fenced by a newer owner; giving the partition up');
        throw new PartitionFencedError(topic, partition, err);
      }
      if (isRebalanceError(err)) {
        // From the heartbeat after a committed transaction: nothing is lost. Thrown as it is,
        // because kafkajs recognises its rebalance errors and rejoins instead of crashing.
        logger.info({ topic, partition, reason: (err as Error).message }, 'group rebalancing; the rest of the batch waits for the next owner');
        throw err;
      }
      logger.error({ err, topic, partition }, 'transaction failed; the batch is retried from the committed offset');
      throw new RetriableBatchError(`${topic}[${partition}]: ${(err as Error).message}`, err);
    }
  };
}
