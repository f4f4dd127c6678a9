/**
 * One batch of the outcome join, from records to a committed transaction: decode and classify each input record,
 * plan what it adds to the task's staged join, cut transactions at the record and byte budgets, and commit the
 * joined records, the changelog updates of p, the dead letters and the consumed offset together with task p's
 * producer. The state takes a transaction's changes only once the broker acknowledged its commit; a transaction
 * that failed is discarded before the task is given up, so the next owner (maybe this worker again) starts clean.
 *
 * Kafka itself stays outside: the handler sees the ports of JoinTasks, the admin's ends and the codecs, so it can
 * be driven by in-process fakes (test/unit/outcomes/join-batch-handler.test.ts).
 */
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import { hasKafkaType } from '../kafka/kafkajs-errors.js';
import type { JoinMetrics } from '../observability/join-metrics.js';
import type { ChurnPrediction, CustomerOutcome, PredictionOutcome } from '../serde/avro-records.js';
import { isDecodeError } from '../serde/decode-error.js';
import { batchFailure } from '../stream/batch-failure.js';
import { deadLetterMessage, fitDeadLetter } from '../stream/dead-letter.js';
import { transactionOutputBudget } from '../stream/output-size.js';
import type { BatchPayload } from '../stream/pipeline.js';
import type { Rejection } from '../stream/rejection.js';
import { encodeChangelogUpdate } from './join-changelog.js';
import { isComparePrediction, isIgnoredPrediction, outcomeProblem } from './join-input.js';
import { pendingOf, type StagedJoin } from './join-state.js';
import { JoinTransaction, type JoinTransactionInput } from './join-transaction.js';
import type { JoinTask, JoinTasks } from './join-tasks.js';
import type { JoinedRecorder } from './joined-recorder.js';

/** How long an outcome batch waits before the gate is checked again. */
const GATE_RETRY_MS = 200;

/** The slice of the configuration a batch reads (the joiner's config satisfies it). */
export interface JoinBatchConfig {
  topics: Pick<Config['topics'], 'predictions' | 'shadow' | 'outcomes' | 'joined' | 'joinChangelog' | 'deadLetter'>;
  stream: Pick<Config['stream'], 'transactionMaxRecords' | 'transactionMaxBytes'>;
}

/** The decoding port (the registry-backed AvroDecoder in production). */
export interface RecordDecoder<T> {
  decode(bytes: Buffer | null | undefined): Promise<T>;
}

/** The encoding port (AvroEncoder in production). */
export interface RecordEncoder<T> {
  encode(value: T): Buffer;
}

export interface HandlerDeps {
  config: JoinBatchConfig;
  groupId: string;
  tasks: Pick<JoinTasks, 'acquire' | 'release' | 'readyTask' | 'pendingPredictions'>;
  admin: { fetchTopicOffsets(topic: string): Promise<{ partition: number; high: string }[]> };
  predictionDecoder: RecordDecoder<ChurnPrediction>;
  outcomeDecoder: RecordDecoder<CustomerOutcome>;
  encoder: RecordEncoder<PredictionOutcome>;
  metrics: JoinMetrics;
  log: Logger;
  scorerVersion: string;
  recorder?: JoinedRecorder;
  now: () => number;
}

/** What one input record is to the join. */
type JoinInput =
  | { kind: 'prediction'; prediction: ChurnPrediction }
  | { kind: 'outcome'; outcome: CustomerOutcome }
  | { kind: 'ignored' }
  | { kind: 'dead-letter'; rejection: Rejection };

/** The outcome gate of a task: the ends of predictions[p] and shadow[p] as of the outcome record `at`. */
interface Gate {
  at: string;
  ends: Map<string, bigint>;
}

export class JoinBatchHandler {
  private readonly gates = new Map<number, Gate>();
  /** tasks whose first early expiry has been logged (once per task and process) */
  private readonly fullTasks = new Set<number>();
  private readonly budget: number;

  constructor(private readonly deps: HandlerDeps) {
    this.budget = transactionOutputBudget(deps.config.stream.transactionMaxBytes);
  }

  /** A batch of transaction markers only was read: the task has read past it. */
  readPast(topic: string, partition: number, lastOffset: string): void {
    const task = this.deps.tasks.readyTask(partition);
    if (task === undefined) return;
    const next = BigInt(lastOffset) + 1n;
    if (next > (task.position.get(topic) ?? 0n)) task.position.set(topic, next);
  }

  async eachBatch(payload: BatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    if (batch.messages.length === 0) return;
    const open = () => isRunning() && !isStale();
    const { tasks, log } = this.deps;
    let txn: JoinTransaction | undefined;
    try {
      const task = await withHeartbeats(tasks.acquire(partition), heartbeat);
      await exclusive(
        task,
        async () => {
          if (topic === this.deps.config.topics.outcomes && !(await this.gateOpen(task, batch.messages))) {
            // Not yet: the task reads its predictions first. Nothing is resolved, so the records are fetched again
            // (kafkajs: once the partition is resumed, which spares fetching them in a loop meanwhile).
            const { pause } = payload as Partial<Pick<EachBatchPayload, 'pause'>>;
            if (pause !== undefined) setTimeout(pause(), GATE_RETRY_MS).unref();
            return;
          }
          const next = () => task.next.get(topic) ?? -1n;
          const settle = async (done: JoinTransaction, lastOffset: string | undefined) => {
            await this.commit(task, topic, done, lastOffset);
            if (lastOffset !== undefined) resolveOffset(lastOffset);
            await heartbeat();
          };
          const maxRecords = this.deps.config.stream.transactionMaxRecords;
          /** Commits the open transaction (up to the last record it took) and opens the next one. */
          const cut = async (done: JoinTransaction): Promise<JoinTransaction> => {
            await settle(done, done.lastOffset);
            txn = this.begin(task);
            return txn;
          };
          const drainDue = async () => {
            // Expiries the stream time made due go out before the next record is read, a bounded number per transaction.
            while (txn?.staged.hasDue() === true) {
              if (txn.outputs >= maxRecords) {
                await cut(txn);
                continue;
              }
              const step = txn.staged.planExpiry();
              if (step !== undefined && !txn.tryTake({ kind: 'step', step })) await cut(txn);
            }
          };

          for (const record of batch.messages) {
            if (!open()) break;
            if (BigInt(record.offset) < next()) continue; // committed by an earlier owner
            txn ??= this.begin(task);
            await drainDue();
            const input = await this.inputOf(topic, record);
            let current: JoinTransaction = txn;
            if (!current.tryTake(this.plan(current.staged, input, record, topic, partition))) {
              // It would take the transaction's outputs over the budget: the ones before it commit first.
              current = await cut(current);
              current.tryTake(this.plan(current.staged, input, record, topic, partition));
            }
            if (input.kind === 'dead-letter') this.logDeadLetter(input, record, topic, partition);
            current.inputs++;
            current.lastOffset = record.offset;
            if (current.inputs >= maxRecords || current.outputs >= maxRecords) {
              // `txn` stays set until the commit is acknowledged: a failed one is discarded by the catch below.
              await settle(current, record.offset);
              txn = undefined;
            }
          }
          if (!open()) {
            txn?.staged.discard();
            txn = undefined;
            return;
          }
          // The expiries the batch's last outcome made due go out now, not with the task's next record (none may come).
          const pastEnd = BigInt(batch.lastOffset()) >= next();
          txn ??= this.begin(task);
          await drainDue();
          const last = txn;
          if (pastEnd) {
            // Up to the batch's last offset, not the last record's: trailing transaction markers would read as lag.
            await settle(last, batch.lastOffset());
          } else if (last.outputs > 0) {
            await settle(last, undefined);
            resolveOffset((next() - 1n).toString());
          } else {
            last.staged.discard();
            resolveOffset((next() - 1n).toString());
          }
          txn = undefined;
        },
        () => {
          // Before the next batch of the task may begin on the state.
          txn?.staged.discard();
        },
      );
    } catch (err) {
      txn?.staged.discard();
      await tasks.release(partition);
      const failure = batchFailure(err, {
        topic,
        partition,
        outputs: [],
        transactionMaxBytes: this.deps.config.stream.transactionMaxBytes,
      });
      log[failure.log.level](failure.log.fields, `outcome join: ${failure.log.message}`);
      throw failure.error;
    }
  }

  private begin(task: JoinTask): JoinTransaction {
    return new JoinTransaction(task.state.begin(this.deps.now()), this.budget, (record) => ({
      key: record.customerid,
      value: this.deps.encoder.encode(record),
    }));
  }

  /**
   * Whether the task has read predictions[p] and shadow[p] up to their ends as of this outcome batch's first
   * unprocessed record (ends read once per such record, then kept while the gate waits).
   */
  private async gateOpen(task: JoinTask, messages: readonly KafkaMessage[]): Promise<boolean> {
    const { topics } = this.deps.config;
    const next = task.next.get(topics.outcomes) ?? -1n;
    const first = messages.find((m) => BigInt(m.offset) >= next);
    if (first === undefined) return true;
    let gate = this.gates.get(task.partition);
    if (gate?.at !== first.offset) {
      const ends = new Map<string, bigint>();
      for (const topic of [topics.predictions, topics.shadow]) {
        let offsets: readonly { partition: number; high: string }[];
        try {
          offsets = await this.deps.admin.fetchTopicOffsets(topic);
        } catch (err) {
          // Not the task's failure (kafkajs' admin fails a ListOffsets now and then while it refreshes metadata):
          // the outcomes wait and the gate asks again, the task and its transactions untouched.
          this.deps.log.debug(
            { err, topic, partition: task.partition },
            'outcome gate could not read the ends; waiting',
          );
          return false;
        }
        const end = offsets.find((o) => o.partition === task.partition);
        ends.set(topic, end === undefined ? 0n : BigInt(end.high));
      }
      gate = { at: first.offset, ends };
      this.gates.set(task.partition, gate);
    }
    for (const [topic, end] of gate.ends) if ((task.position.get(topic) ?? 0n) < end) return false;
    this.gates.delete(task.partition);
    return true;
  }

  /** Decodes and classifies one input record; throws only what is not the record's fault (a registry outage). */
  private async inputOf(topic: string, record: KafkaMessage): Promise<JoinInput> {
    const { topics } = this.deps.config;
    try {
      if (topic === topics.outcomes) {
        const outcome = await this.deps.outcomeDecoder.decode(record.value);
        const problem = outcomeProblem(record.key, outcome);
        if (problem !== undefined)
          return { kind: 'dead-letter', rejection: { kind: 'invalid-outcome', message: problem } };
        return { kind: 'outcome', outcome };
      }
      if (topic === topics.shadow && isComparePrediction(record.headers)) return { kind: 'ignored' };
      const prediction = await this.deps.predictionDecoder.decode(record.value);
      if (topic === topics.predictions && isIgnoredPrediction(prediction)) return { kind: 'ignored' };
      return { kind: 'prediction', prediction };
    } catch (err) {
      if (!isDecodeError(err)) throw err;
      return { kind: 'dead-letter', rejection: { kind: err.reason, message: err.message } };
    }
  }

  /** What an input adds to a transaction whose staged join is `staged` (planned, not yet taken). */
  private plan(
    staged: StagedJoin,
    input: JoinInput,
    record: KafkaMessage,
    topic: string,
    partition: number,
  ): JoinTransactionInput {
    switch (input.kind) {
      case 'ignored':
        return { kind: 'none' };
      case 'prediction':
        return { kind: 'step', step: staged.planPrediction(input.prediction.customerid, pendingOf(input.prediction)) };
      case 'outcome':
        return { kind: 'step', step: staged.planOutcome(input.outcome) };
      case 'dead-letter': {
        const letter = deadLetterMessage(record, input.rejection, {
          topic,
          partition,
          scorerVersion: this.deps.scorerVersion,
        });
        const fitted = fitDeadLetter(letter, this.budget);
        return {
          kind: 'dead-letter',
          letter: { message: fitted.message, bytes: fitted.bytes, reason: input.rejection.kind },
        };
      }
    }
  }

  private evicted(partition: number, count: number): void {
    this.deps.metrics.evicted.inc(count);
    if (this.fullTasks.has(partition)) return;
    this.fullTasks.add(partition);
    this.deps.log.warn(
      { partition, evicted: count },
      'join task full: its oldest pending predictions expire before their attribution window closes ' +
        '(raise OUTCOME_MAX_PENDING_PER_PARTITION, or check that outcomes arrive; churn_outcomes_evicted_total counts them)',
    );
  }

  private logDeadLetter(
    input: Extract<JoinInput, { kind: 'dead-letter' }>,
    record: KafkaMessage,
    topic: string,
    partition: number,
  ): void {
    this.deps.log.warn(
      { topic, partition, offset: record.offset, reason: input.rejection.kind, detail: input.rejection.message },
      'join input dead-lettered',
    );
  }

  /** One transaction of the task: joined records, changelog updates of p, dead letters, the consumed offset. */
  private async commit(task: JoinTask, topic: string, done: JoinTransaction, lastOffset: string | undefined) {
    const { config, metrics, log } = this.deps;
    const { topics } = config;
    const changelog = done.staged.changelog().map((update) => {
      const { key, value } = encodeChangelogUpdate(update);
      return { key, value, partition: task.partition };
    });
    const topicMessages = [
      ...(done.joinedMessages.length > 0 ? [{ topic: topics.joined, messages: done.joinedMessages }] : []),
      ...(changelog.length > 0 ? [{ topic: topics.joinChangelog, messages: changelog }] : []),
      ...(done.deadLetters.length > 0
        ? [{ topic: topics.deadLetter, messages: done.deadLetters.map((d) => d.message) }]
        : []),
    ];
    const nextOffset = lastOffset === undefined ? undefined : BigInt(lastOffset) + 1n;
    if (topicMessages.length === 0 && nextOffset === undefined) {
      done.staged.commit();
      return;
    }
    const txn = await task.producer.transaction();
    try {
      if (topicMessages.length > 0) await txn.sendBatch({ topicMessages });
      if (nextOffset !== undefined) {
        const offsets = {
          consumerGroupId: this.deps.groupId,
          topics: [{ topic, partitions: [{ partition: task.partition, offset: nextOffset.toString() }] }],
        };
        await concurrentTransactionsRetry(() => txn.sendOffsets(offsets));
      }
      await txn.commit();
    } catch (err) {
      try {
        await txn.abort();
      } catch (abortErr) {
        log.warn(
          { err: abortErr, topic, partition: task.partition },
          'abort after a failed join transaction also failed',
        );
      }
      throw err;
    }
    // Only now, with the commit acknowledged, does the state take the changes.
    done.staged.commit();
    if (nextOffset !== undefined) {
      task.next.set(topic, nextOffset);
      if (nextOffset > (task.position.get(topic) ?? 0n)) task.position.set(topic, nextOffset);
    }
    for (const record of done.records) metrics.joined.inc({ kind: record.kind });
    if (done.staged.evicted > 0) this.evicted(task.partition, done.staged.evicted);
    for (const letter of done.deadLetters) metrics.deadLettered.inc({ reason: letter.reason });
    metrics.pending.set(this.deps.tasks.pendingPredictions());
    if (this.deps.recorder !== undefined && done.records.length > 0) {
      try {
        this.deps.recorder.recordCommitted(done.records);
      } catch (err) {
        // The transaction is committed: a failing recorder must not make the task retry it.
        log.error({ err, partition: task.partition }, 'the joined recorder failed on a committed transaction');
      }
    }
  }
}

const CONCURRENT_TRANSACTIONS = new Set(['CONCURRENT_TRANSACTIONS']);

/**
 * Retries a transaction request the broker answered CONCURRENT_TRANSACTIONS: a task's transactions follow each
 * other closely (its three inputs' batches take turns), and right after a commit its markers are still being
 * written for a few milliseconds. kafkajs retries AddPartitionsToTxn on it, not AddOffsetsToTxn.
 */
async function concurrentTransactionsRetry(request: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await request();
      return;
    } catch (err) {
      if (attempt >= 6 || !hasKafkaType(err, CONCURRENT_TRANSACTIONS)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt));
    }
  }
}

/** Runs `work` while no other batch of the task runs; `onError` runs when it fails, before the next one may. */
async function exclusive(task: JoinTask, work: () => Promise<void>, onError: () => void): Promise<void> {
  const previous = task.lock;
  let release: () => void = () => undefined;
  task.lock = new Promise<void>((resolve) => {
    release = resolve;
  });
  try {
    await previous;
    await work();
  } catch (err) {
    onError();
    throw err;
  } finally {
    release();
  }
}

/** Awaits `work`, heartbeating the group every second meanwhile (a restore can take longer than a session). */
async function withHeartbeats<T>(work: Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
  const tick = Symbol('tick');
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const ticking = new Promise<typeof tick>((resolve) => {
      timer = setTimeout(() => {
        resolve(tick);
      }, 1_000);
    });
    try {
      const result = await Promise.race([work, ticking]);
      if (result !== tick) return result;
    } finally {
      clearTimeout(timer);
    }
    await heartbeat();
  }
}
