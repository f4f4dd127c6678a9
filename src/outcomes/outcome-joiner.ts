/**
 * The outcome join's Kafka shell: a consumer group of its own (`${stream.groupId}.outcomes`) reading predictions,
 * predictions.shadow and customers.outcomes (read_committed), dealt co-partitioned (partition p of every topic to
 * one member: task p, ./co-partitioned-assigner.ts). Each task restores its state from changelog partition p before
 * it processes a record (./join-tasks.ts), then each transaction of task p carries, with p's own transactional
 * producer, the joined records (Avro PredictionOutcome), the changelog updates of p, the dead letters and the
 * consumed offsets: all visible together or not at all. The state (./join-state.ts) takes a transaction's changes
 * only once the broker has acknowledged its commit.
 *
 * Order within a task: an outcome is joined only once the task has read predictions[p] and predictions.shadow[p]
 * up to their ends as of the moment the outcome is read (the outcome gate). Outcomes come days after the
 * predictions they explain, so every prediction already on the topics when an outcome is read was made before it;
 * a joiner catching up on both topics (after a restart, a rebalance) so joins as one that was always up to date.
 *
 * The scorer's data path (src/stream/pipeline.ts) knows nothing of it: the join reads what the stream committed.
 */
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config-schema.js';
import { hasKafkaType } from '../kafka/kafkajs-errors.js';
import { retryUntilTopicSettles } from '../kafka/topic-leaders.js';
import { ensureTopics } from '../kafka/topics.js';
import { startupBackoffMs } from '../kafka/startup-connect.js';
import type { ProbeResult } from '../observability/health.js';
import { joinMetrics, type JoinMetrics } from '../observability/join-metrics.js';
import { AvroDecoder } from '../serde/avro-decoder.js';
import { AvroEncoder } from '../serde/avro-encoder.js';
import type { ChurnPrediction, CustomerOutcome, PredictionOutcome } from '../serde/avro-records.js';
import { isDecodeError } from '../serde/decode-error.js';
import { churnPredictionSchema, customerOutcomeSchema, predictionOutcomeSchema } from '../serde/schema-files.js';
import { batchFailure } from '../stream/batch-failure.js';
import { isBrokerAbsentCrash } from '../stream/consumer-state.js';
import { deadLetterMessage, fitDeadLetter } from '../stream/dead-letter.js';
import type { KafkaClientSupplier, StreamConsumer } from '../stream/kafka-client-supplier.js';
import { transactionOutputBudget } from '../stream/output-size.js';
import type { BatchPayload } from '../stream/pipeline.js';
import type { Rejection } from '../stream/rejection.js';
import type { SchemaRegistryConnection } from '../stream/schema-registry-connection.js';
import { coPartitionedAssigner, tasksOf } from './co-partitioned-assigner.js';
import { encodeChangelogUpdate, JoinChangelogError } from './join-changelog.js';
import { isComparePrediction, isIgnoredPrediction, outcomeProblem } from './join-input.js';
import { pendingOf, type StagedJoin } from './join-state.js';
import { JoinTransaction, type JoinTransactionInput } from './join-transaction.js';
import { JoinTasks, type JoinTask } from './join-tasks.js';
import {
  coPartitionedTopics,
  coPartitioningProblem,
  JoinClientError,
  joinTopicSpecs,
  provisionJoinSchemas,
} from './join-topics.js';
import type { JoinedRecorder } from './joined-recorder.js';

/** The slice of the configuration the joiner reads (the full Config satisfies it). */
export interface OutcomeJoinerConfig {
  topics: Pick<
    Config['topics'],
    | 'predictions'
    | 'shadow'
    | 'outcomes'
    | 'joined'
    | 'joinChangelog'
    | 'deadLetter'
    | 'create'
    | 'partitions'
    | 'replicationFactor'
    | 'minInsyncReplicas'
    | 'retentionMs'
    | 'maxMessageBytes'
  >;
  stream: Pick<Config['stream'], 'groupId' | 'transactionMaxRecords' | 'transactionMaxBytes' | 'sessionTimeoutMs'>;
  outcomes: Pick<Config['outcomes'], 'attributionWindowMs'>;
  service: Pick<Config['service'], 'startupTimeoutMs'>;
}

export interface OutcomeJoinerDeps {
  config: OutcomeJoinerConfig;
  clients: KafkaClientSupplier;
  registry: SchemaRegistryConnection;
  /** told what every committed transaction wrote to the joined topic (realized performance) */
  recorder?: JoinedRecorder;
  logger: Logger;
  metrics: Registry;
  scorerVersion: string;
  now?: () => number;
}

export interface RunningJoiner {
  /** not ready until joined and every owned task restored */
  readiness(): ProbeResult;
  /** finishes the open transactions, leaves the group */
  stop(): Promise<void>;
  /** resolves when the join's consumer fails for good */
  readonly fatal: Promise<Error>;
}

/** The join's consumer group id. */
export function joinGroupId(streamGroupId: string): string {
  return `${streamGroupId}.outcomes`;
}

/** How long an outcome batch waits before the gate is checked again. */
const GATE_RETRY_MS = 200;

export async function startOutcomeJoiner(deps: OutcomeJoinerDeps): Promise<RunningJoiner> {
  const { config, clients, registry } = deps;
  const log = deps.logger.child({ component: 'outcome-join' });
  const metrics = joinMetrics(deps.metrics);
  const now = deps.now ?? Date.now;
  const { topics } = config;
  const groupId = joinGroupId(config.stream.groupId);
  const inputs = [topics.predictions, topics.shadow, topics.outcomes];

  const admin = clients.getAdmin();
  await admin.connect();
  let consumer: StreamConsumer | undefined;
  let tasks: JoinTasks | undefined;
  try {
    // A broker of a cluster learns of topics made a moment ago (the worker's, the join's) asynchronously.
    const settled = { timeoutMs: config.service.startupTimeoutMs };
    const metadataOf = (names: string[]) =>
      retryUntilTopicSettles(() => admin.fetchTopicMetadata({ topics: names }), settled);
    const [predictions] = (await metadataOf([topics.predictions])).topics;
    const partitions = predictions?.partitions.length || topics.partitions;
    const { created } = await ensureTopics(admin, joinTopicSpecs(topics, partitions), { create: topics.create });
    if (created.length > 0) log.info({ created }, 'created missing topics');
    const metadata = await metadataOf(coPartitionedTopics(topics));
    const counts = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
    const problem = coPartitioningProblem(counts);
    if (problem !== undefined) throw problem;
    await provisionJoinSchemas(registry, topics, log);

    const predictionDecoder = new AvroDecoder<ChurnPrediction>({
      registry: registry.client,
      readerType: churnPredictionSchema().type,
    });
    const outcomeDecoder = new AvroDecoder<CustomerOutcome>({
      registry: registry.client,
      readerType: customerOutcomeSchema().type,
    });
    const encoder = await AvroEncoder.create<PredictionOutcome>({
      registry: registry.client,
      subject: `${topics.joined}-value`,
      schema: predictionOutcomeSchema(),
      autoRegister: topics.create,
    });
    const producers = clients.getTransactionalClient(admin);
    // One ListOffsets at a time: kafkajs' admin can fail concurrent fetchTopicOffsets calls (restores, gates).
    let offsetsQueue: Promise<unknown> = Promise.resolve();
    const joinAdmin = {
      fetchOffsets: (options: Parameters<typeof admin.fetchOffsets>[0]) => admin.fetchOffsets(options),
      fetchTopicOffsets: (topic: string) => {
        const call = offsetsQueue.then(() => admin.fetchTopicOffsets(topic));
        offsetsQueue = call.catch(() => undefined);
        return call;
      },
    };
    const joinConsumer = clients.getConsumer({
      groupId,
      sessionTimeoutMs: config.stream.sessionTimeoutMs,
      maxBytesPerPartition: 256 * 1024,
      partitionAssigners: [coPartitionedAssigner],
    });
    consumer = joinConsumer;
    const events = joinConsumer.instrumentation;
    if (events === undefined) {
      throw new JoinClientError(
        `${describeClient(clients.description)} cannot run the outcome join (it needs ` +
          'consumer events and a custom partition assignment); run with the kafkajs client or set OUTCOME_JOIN=false',
      );
    }
    const joinTasks = new JoinTasks({
      clients,
      producers,
      admin: joinAdmin,
      groupId,
      inputTopics: inputs,
      changelogTopic: topics.joinChangelog,
      windowMs: config.outcomes.attributionWindowMs,
      sessionTimeoutMs: config.stream.sessionTimeoutMs,
      transactionTimeoutMs: 60_000,
      metrics,
      logger: log,
      now,
    });
    tasks = joinTasks;

    const handler = new JoinBatchHandler({
      config,
      groupId,
      tasks: joinTasks,
      admin: joinAdmin,
      predictionDecoder,
      outcomeDecoder,
      encoder,
      metrics,
      log,
      scorerVersion: deps.scorerVersion,
      now,
      ...(deps.recorder === undefined ? {} : { recorder: deps.recorder }),
    });

    // ---- group membership, readiness, crashes ----
    let joined = false;
    let crashed: string | undefined;
    let stopping = false;
    let assignment: number[] = [];
    let resolveFatal: (err: Error) => void = () => undefined;
    const fatal = new Promise<Error>((resolve) => {
      resolveFatal = resolve;
    });
    const runOptions = {
      partitionsConsumedConcurrently: Math.max(1, inputs.length * config.topics.partitions),
      eachBatch: (payload: BatchPayload) => handler.eachBatch(payload),
    };
    events.on(events.events.GROUP_JOIN, (event) => {
      const mine = tasksOf(event.payload.memberAssignment);
      assignment = mine;
      joined = true;
      crashed = undefined;
      log.info({ groupId, tasks: mine, memberId: event.payload.memberId }, 'joined the outcome join group');
      void takeTasks(mine);
    });
    events.on(events.events.END_BATCH_PROCESS, ({ payload }) => {
      // kafkajs never hands a batch of transaction markers (or aborted records) only to eachBatch: the gate
      // must still see that the task has read past it.
      if (payload.batchSize === 0) handler.readPast(payload.topic, payload.partition, payload.lastOffset);
    });
    events.on(events.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      joined = false;
      crashed = error.message;
      if (restart) {
        log.warn({ err: error }, 'outcome join consumer crashed; kafkajs restarts it');
      } else if (!stopping && isBrokerAbsentCrash(error)) {
        restartLater(1, error);
      } else if (!stopping) {
        log.error({ err: error }, 'outcome join consumer crashed and will not restart');
        resolveFatal(new Error(`outcome join consumer crashed: ${error.message}`, { cause: error }));
      }
    });
    events.on(events.events.STOP, () => {
      joined = false;
    });
    const restartLater = (attempt: number, error: Error): void => {
      const inMs = startupBackoffMs(attempt);
      log.warn({ err: error, attempt, restartInMs: inMs }, 'outcome join consumer crashed while brokers were away');
      setTimeout(() => {
        if (stopping) return;
        joinConsumer
          .connect()
          .then(() => joinConsumer.run(runOptions))
          .catch((err: unknown) => {
            const failure = err instanceof Error ? err : new Error(String(err));
            if (isBrokerAbsentCrash(failure)) restartLater(attempt + 1, failure);
            else resolveFatal(failure);
          });
      }, inMs).unref();
    };
    /** Takes (fences, restores) the tasks of this assignment up front, so readiness waits for their restore. */
    const takeTasks = async (mine: number[]): Promise<void> => {
      for (let attempt = 1; joined && assignment === mine && !stopping; attempt++) {
        try {
          await joinTasks.retainOnly(mine);
          await Promise.all(mine.map((p) => joinTasks.acquire(p)));
          metrics.pending.set(joinTasks.pendingPredictions());
          return;
        } catch (err) {
          if (err instanceof JoinChangelogError) {
            // A retry would read the same records: the operator resets the join (the message says how).
            log.error({ code: err.code }, err.oneLine);
            resolveFatal(err);
            return;
          }
          const nextAttemptInMs = startupBackoffMs(attempt);
          log.warn({ err, attempt, nextAttemptInMs }, 'could not take join tasks yet; trying again');
          await new Promise((resolve) => setTimeout(resolve, nextAttemptInMs).unref());
        }
      }
    };

    await joinConsumer.connect();
    for (const topic of inputs) await joinConsumer.subscribe(topic);
    await joinConsumer.run(runOptions);
    log.info(
      { groupId, topics: inputs, joined: topics.joined, changelog: topics.joinChangelog },
      'outcome join running',
    );

    let stopped: Promise<void> | undefined;
    return {
      readiness: (): ProbeResult => {
        if (crashed !== undefined) return { ok: false, reasons: [`outcome join consumer crashed: ${crashed}`] };
        if (!joined) return { ok: false, reasons: ['outcome join consumer has not joined its group yet'] };
        const restoring = joinTasks.restoring();
        if (restoring.length > 0) {
          return { ok: false, reasons: [`outcome join restoring the state of tasks ${restoring.join(',')}`] };
        }
        const waiting = assignment.filter((p) => !joinTasks.isReady(p));
        if (waiting.length > 0)
          return { ok: false, reasons: [`outcome join tasks ${waiting.join(',')} not taken yet`] };
        return { ok: true, reasons: [] };
      },
      fatal,
      stop: () => {
        stopped ??= (async () => {
          stopping = true;
          await joinConsumer.disconnect().catch((err: unknown) => {
            log.warn({ err }, 'outcome join consumer disconnect failed');
          });
          await joinTasks.releaseAll();
          await admin.disconnect().catch(() => undefined);
          log.info('outcome join stopped');
        })();
        return stopped;
      },
    };
  } catch (err) {
    await consumer?.disconnect().catch(() => undefined);
    await tasks?.releaseAll();
    await admin.disconnect().catch(() => undefined);
    throw err;
  }
}

interface HandlerDeps {
  config: OutcomeJoinerConfig;
  groupId: string;
  tasks: JoinTasks;
  admin: { fetchTopicOffsets(topic: string): Promise<{ partition: number; high: string }[]> };
  predictionDecoder: AvroDecoder<ChurnPrediction>;
  outcomeDecoder: AvroDecoder<CustomerOutcome>;
  encoder: AvroEncoder<PredictionOutcome>;
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

class JoinBatchHandler {
  private readonly gates = new Map<number, Gate>();
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
          txn = undefined;
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

function describeClient(description: Readonly<Record<string, unknown>>): string {
  const client = description['client'];
  return typeof client === 'string' ? `the ${client} Kafka client` : 'this Kafka client';
}
