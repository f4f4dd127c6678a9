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
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config-schema.js';
import { retryUntilTopicSettles } from '../kafka/topic-leaders.js';
import { ensureTopics } from '../kafka/topics.js';
import { startupBackoffMs } from '../kafka/startup-connect.js';
import type { ProbeResult } from '../observability/health.js';
import { joinMetrics } from '../observability/join-metrics.js';
import { AvroDecoder } from '../serde/avro-decoder.js';
import { AvroEncoder } from '../serde/avro-encoder.js';
import type { ChurnPrediction, CustomerOutcome, PredictionOutcome } from '../serde/avro-records.js';
import { churnPredictionSchema, customerOutcomeSchema, predictionOutcomeSchema } from '../serde/schema-files.js';
import { isBrokerAbsentCrash } from '../stream/consumer-state.js';
import type { KafkaClientSupplier, StreamConsumer } from '../stream/kafka-client-supplier.js';
import type { BatchPayload } from '../stream/pipeline.js';
import type { SchemaRegistryConnection } from '../stream/schema-registry-connection.js';
import { coPartitionedAssigner, tasksOf } from './co-partitioned-assigner.js';
import { JoinChangelogError } from './join-changelog.js';
import { JoinBatchHandler } from './join-batch-handler.js';
import { JoinTasks } from './join-tasks.js';
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
  outcomes: Pick<Config['outcomes'], 'attributionWindowMs' | 'maxPendingPerPartition'>;
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
      maxPending: config.outcomes.maxPendingPerPartition,
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

function describeClient(description: Readonly<Record<string, unknown>>): string {
  const client = description['client'];
  return typeof client === 'string' ? `the ${client} Kafka client` : 'this Kafka client';
}
