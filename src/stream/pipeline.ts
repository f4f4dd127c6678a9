/**
 * The data path, in one file: consume -> decide -> add to the pending transaction -> commit.
 *
 * kafkajs hands us one fetched batch of one input partition at a time (`eachBatch`). Each record is decided
 * (./record-decision: decode -> choose the model -> validate -> score -> encode; a live prediction with its
 * shadow predictions, or a dead letter) and added to a pending transaction (./pending-transaction), cut by
 * record count, time and output bytes (so every record batch the broker receives is within max.message.bytes).
 * A transaction carries the live and shadow predictions, the dead letters and the consumed offset of its
 * records, so a record's outcome and its offset become visible together or not at all (exactly-once with
 * read_committed readers). A transaction of a live partition also counts its records in the partition's drift
 * windows and carries the window records it closes (./drift-windows-output). A failed batch becomes a retry or a
 * stop in ./batch-failure.
 *
 * The serving set (rollout and models) is read from `serving` when a transaction opens and used for every
 * record of it, so a rollout change takes effect between transactions, never inside one.
 *
 * Everything here that is not I/O is a call into a pure module.
 */
import type { Batch, EachBatchPayload } from 'kafkajs';
import type { Logger } from 'pino';
import type { CommittedPredictionsRecorder } from '../experiments/scored-observation.js';
import type { ChurnCounters } from '../observability/prediction-metrics.js';
import type { StreamMetrics } from '../observability/stream-metrics.js';
import type { DriftWindows } from '../monitoring/drift-windows.js';
import type { ServingSetSource } from '../serving/serving-set.js';
import { batchFailure } from './batch-failure.js';
import { stageDrift, type PipelineDrift } from './drift-windows-output.js';
import { transactionOutputBudget } from './output-size.js';
import type { PartitionLease, PartitionLeases, TransactionalProducer } from './partition-leases.js';
import { PendingTransaction, type TransactionShape } from './pending-transaction.js';
import { recordDecision, type EventDecoder, type PredictionEncoder } from './record-decision.js';

export type { EventDecoder, PredictionEncoder } from './record-decision.js';

export interface PipelineDeps {
  decoder: EventDecoder;
  /** live predictions, under the predictions topic's subject */
  encoder: PredictionEncoder;
  /** shadow and compare predictions, under the shadow topic's subject */
  shadowEncoder: PredictionEncoder;
  /** the serving set in force (the rollout follower swaps it); read once per transaction */
  serving: ServingSetSource;
  /** told what each committed transaction predicted live; none: nothing is gathered for it */
  committed?: CommittedPredictionsRecorder;
  /** drift windows of the live partitions, sent in the transactions that close them; none: no drift (and replay) */
  drift?: PipelineDrift;
  leases: PartitionLeases;
  metrics: StreamMetrics;
  /** churn_predictions_total{source="stream"}, shared with the side-port's counter */
  churnCounters: ChurnCounters;
  logger: Logger;
  topics: { predictions: string; deadLetter: string; shadow: string };
  consumerGroupId: string;
  scorerVersion: string;
  /** model.reasons: each live prediction carries its top reasons */
  reasons: boolean;
  limits: {
    transactionMaxRecords: number;
    transactionMaxMs: number;
    maxRecordBytes: number;
    /** bytes of one record batch at most (<= every output topic's max.message.bytes) */
    transactionMaxBytes: number;
  };
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

export function createBatchHandler(deps: PipelineDeps, source: SourceKind): (payload: BatchPayload) => Promise<void> {
  const { limits, metrics, leases, logger, serving } = deps;
  const outputBudget = transactionOutputBudget(limits.transactionMaxBytes);
  const decide = recordDecision({
    ...deps,
    countsDrift: !source.replay && deps.drift !== undefined,
    replay: source.replay,
    maxRecordBytes: limits.maxRecordBytes,
    outputBudget,
  });
  const shape: TransactionShape = {
    maxRecords: limits.transactionMaxRecords,
    maxMs: limits.transactionMaxMs,
    outputBudget,
    topics: deps.topics,
  };
  const consumed = metrics.consumed.labels({ source: source.label });
  const produced = metrics.produced.labels({ source: source.label });
  const shadowProduced = metrics.shadowProduced.labels({ source: source.label });
  const endToEnd = metrics.endToEndSeconds.labels({ source: source.label });
  const batchSize = metrics.batchSize.labels({ source: source.label });
  const txnCommitted = metrics.transactionSeconds.labels({ source: source.label, result: 'commit' });
  const txnAborted = metrics.transactionSeconds.labels({ source: source.label, result: 'abort' });
  // Replays are never monitored: old events rescored say nothing of the customers the model sees today.
  const drift = source.replay ? undefined : deps.drift;
  // The drift windows of each partition and the lease they count under. A new lease (after a failure or a
  // rebalance) keeps them only when the partition's committed offset is still where our last commit left it: if
  // another owner committed records meanwhile, they are not in our windows, so the windows start afresh (the
  // partial windows are dropped, never published) rather than leave a gap.
  const driftWindows = new Map<number, { lease: PartitionLease; windows: DriftWindows }>();
  const driftWindowsOf = (topic: string, partition: number, lease: PartitionLease): DriftWindows | undefined => {
    if (drift === undefined) return undefined;
    const known = driftWindows.get(partition);
    if (known !== undefined && (known.lease === lease || known.lease.nextOffset === lease.nextOffset)) {
      known.lease = lease;
      return known.windows;
    }
    const windows = drift.tracker.restart(`${topic}[${partition}]`, () => leases.isReady(topic, partition));
    driftWindows.set(partition, { lease, windows });
    return windows;
  };

  async function eachBatch(payload: BatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    if (batch.messages.length === 0) return;
    // Shutting down or revoked: what is not committed yet is left to the next owner.
    const open = () => isRunning() && !isStale();

    let pending: PendingTransaction | undefined;
    try {
      // The lease fences any previous owner of this partition and tells us the offset that
      // is really committed; kafkajs' own position may be older after a rebalance.
      const lease = await leases.acquire(topic, partition);
      const windows = driftWindowsOf(topic, partition, lease);
      const settle = async (done: PendingTransaction, lastOffset: string) => {
        const next = BigInt(lastOffset) + 1n;
        await commit(lease.producer, topic, partition, done, next, windows);
        lease.nextOffset = next;
        resolveOffset(lastOffset);
        await heartbeat();
      };

      for (const record of batch.messages) {
        if (!open()) return;
        if (BigInt(record.offset) < lease.nextOffset) continue; // committed by an earlier owner
        // The set of the transaction this record joins; a transaction opening now captures the set in force.
        let set = pending?.set ?? serving.current();
        // Awaited only when it is a promise (a registry lookup): no microtask turn per record.
        const decision = decide(record, topic, partition, set);
        let outcome = decision instanceof Promise ? await decision : decision;
        if (pending?.cannotTake(outcome.bytes)) {
          await settle(pending, pending.lastOffset);
          pending = undefined;
          // The record opens the next transaction: decided again if the set changed meanwhile, so that no
          // transaction mixes two sets.
          const next = serving.current();
          if (next !== set) {
            set = next;
            const again = decide(record, topic, partition, set);
            outcome = again instanceof Promise ? await again : again;
          }
        }
        pending ??= new PendingTransaction(deps.now(), shape, set);
        pending.add(outcome, record.offset);
        if (pending.isFull(deps.now())) {
          await settle(pending, pending.lastOffset);
          pending = undefined;
        }
      }
      if (!open()) return;
      // Commit up to the batch's last offset, not the last record's: trailing transaction
      // markers of a transactional upstream would otherwise show as lag forever.
      if (pending !== undefined) {
        await settle(pending, batch.lastOffset());
      } else if (BigInt(batch.lastOffset()) >= lease.nextOffset) {
        // Only control records (transaction markers) are left: commit past them, offsets only.
        await settle(new PendingTransaction(deps.now(), shape, serving.current()), batch.lastOffset());
      } else {
        // The whole batch was below the committed offset: move kafkajs' position up to it.
        resolveOffset((lease.nextOffset - 1n).toString());
      }
    } catch (err) {
      // Any failure inside a transaction may mean we were fenced: drop the lease so the
      // next attempt fences again and re-reads the committed offset before producing.
      await leases.release(topic, partition);
      const failure = batchFailure(err, {
        topic,
        partition,
        outputs: pending?.outputs() ?? [],
        transactionMaxBytes: limits.transactionMaxBytes,
      });
      logger[failure.log.level](failure.log.fields, failure.log.message);
      throw failure.error;
    }
  }

  /** produce + commit: one transaction with the outcomes and the consumed offset. */
  async function commit(
    producer: TransactionalProducer,
    topic: string,
    partition: number,
    done: PendingTransaction,
    nextOffset: bigint,
    windows: DriftWindows | undefined,
  ): Promise<void> {
    const txnStarted = deps.now();
    const txn = await producer.transaction();
    let drifting = windows;
    try {
      const topicMessages = done.topicMessages();
      if (drifting !== undefined && drift !== undefined) {
        try {
          const from = { topic, partition, scorerVersion: deps.scorerVersion };
          const windowRecords = stageDrift(drift, drifting, done, from, txnStarted);
          if (windowRecords.length > 0) topicMessages.push({ topic: drift.topic, messages: windowRecords });
        } catch (err) {
          // Monitoring never stops scoring: the windows just do not count this transaction (never committed).
          drifting = undefined;
          logger.error({ err, topic, partition }, 'could not stage the drift windows; this transaction is not in them');
        }
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
    try {
      drifting?.commit(committedAt);
    } catch (err) {
      // The transaction is committed (window records included): a failing alert must not make the partition retry it.
      logger.error({ err, topic, partition }, 'the drift windows failed on a committed transaction');
    }
    txnCommitted.observe((committedAt - txnStarted) / 1000);
    batchSize.observe(done.records);
    consumed.inc(done.records);
    produced.inc(done.predictions.length);
    shadowProduced.inc(done.shadowPredictions.length);
    deps.churnCounters.churn.inc(done.churned);
    deps.churnCounters.no_churn.inc(done.predictions.length - done.churned);
    for (const eventTime of done.eventTimes) endToEnd.observe(Math.max(0, committedAt - eventTime) / 1000);
    for (const rejection of done.rejections) {
      metrics.deadLettered.inc({ source: source.label, reason: rejection.kind });
      logger.warn({ topic, partition, reason: rejection.kind, detail: rejection.message }, 'record dead-lettered');
    }
    for (const failure of done.shadowFailures) {
      metrics.shadowFailed.inc({ source: source.label, version: failure.version });
      const fields = { topic, partition, shadow: failure.version, detail: failure.message };
      logger.warn(fields, 'shadow could not score a record; the live prediction stands');
    }
    if (deps.committed !== undefined && done.observations.length > 0) {
      try {
        deps.committed.recordCommitted(done.set, done.observations);
      } catch (err) {
        // The transaction is committed: a failing comparison must not make the partition retry it.
        logger.error({ err, topic, partition }, 'the experiment recorder failed on a committed transaction');
      }
    }
    deps.onCommitted(partition, done.records);
  }

  return eachBatch;
}
