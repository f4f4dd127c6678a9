import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config-schema.js';
import { checkMessageLimits, ensureTopics, MessageLimitError, type TopicSpec } from '../kafka/topics.js';
import { AvroDecoder } from '../serde/avro-decoder.js';
import { AvroEncoder } from '../serde/avro-encoder.js';
import type { ChurnPrediction, CustomerEvent } from '../serde/avro-records.js';
import { churnPredictionSchema, customerEventSchema, driftWindowSchema } from '../serde/schema-files.js';
import {
  canDescribeConfigs,
  type KafkaClientSupplier,
  type StreamAdmin,
  type StreamConsumer,
} from './kafka-client-supplier.js';
import type { SchemaRegistryConnection } from './schema-registry-connection.js';
import { provisionSchemas } from './schema-provisioning.js';
import { checkTransactionsAvailable } from './transactions-check.js';
import { whenRegistryAnswers } from './registry-startup.js';
import { ConsumerState } from './consumer-state.js';
import { LagMonitor } from './lag-monitor.js';
import { PartitionLeases, type TransactionalClient } from './partition-leases.js';
import { createBatchHandler, type PipelineDeps, type SourceKind } from './pipeline.js';
import { warmUpDecisions } from './decision-warm-up.js';
import { transactionOutputBudget } from './output-size.js';
import { recordDecision } from './record-decision.js';
import { LiveFirstGate } from './live-first-gate.js';
import { streamMetrics } from '../observability/stream-metrics.js';
import { churnCounters, predictionMetrics } from '../observability/prediction-metrics.js';
import type { ProbeResult } from '../observability/health.js';
import type { CommittedPredictionsRecorder } from '../experiments/scored-observation.js';
import type { ServingSetSource } from '../serving/serving-set.js';
import type { DriftTracker } from '../monitoring/drift-tracker.js';
import type { DriftWindowRecord } from '../monitoring/drift-window-record.js';
import type { PipelineDrift } from './drift-windows-output.js';

/** The slice of the service configuration the worker reads (the full Config satisfies it). */
export interface WorkerConfig {
  service: Pick<Config['service'], 'startupTimeoutMs'>;
  topics: Config['topics'];
  stream: Omit<Config['stream'], 'shutdownDeadlineMs'>;
  /** enabled: the drift topic is the worker's too (made, checked, its schema registered) */
  monitoring: Pick<Config['monitoring'], 'enabled'>;
  model: Pick<Config['model'], 'reasons'>;
}

export interface WorkerDeps {
  config: WorkerConfig;
  /** where the worker's Kafka clients come from (./kafkajs-client-supplier.ts by default) */
  clients: KafkaClientSupplier;
  registry: SchemaRegistryConnection;
  /**
   * The serving set in force: the rollout follower's (`run`), or a fixed one of the local model. The data path
   * reads it once per transaction.
   */
  serving: ServingSetSource;
  /** told what every committed transaction predicted live, with which set (the experiment comparison, the dashboard) */
  committed?: CommittedPredictionsRecorder;
  /**
   * The drift windows of the live partitions (src/monitoring): each live transaction counts its records in them and
   * carries the window records it closes to topics.drift. None when config.monitoring.enabled is false.
   */
  drift?: DriftTracker;
  logger: Logger;
  metrics: Registry;
  scorerVersion: string;
}

export interface RunningWorker {
  readiness(): ProbeResult;
  liveness(): ProbeResult;
  /** Stops fetching, lets the open transaction finish (or abandons it at the deadline), leaves the group. */
  stop(): Promise<void>;
  /**
   * Resolves when the worker fails for good (a consumer crash its client does not recover from, registry
   * credentials refused for too long): the process should exit.
   */
  readonly fatal: Promise<Error>;
}

/**
 * The imperative shell of the stream: with the clients it is handed, provisions topics and
 * schemas, and runs two consumer groups — live (`customers`) and replay (`customers.replay`)
 * — through the same pipeline. Everything per record happens in ./pipeline.ts.
 */
export async function startWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const { config, clients, registry, logger } = deps;
  const log = logger.child({ component: 'stream' });
  const metrics = streamMetrics(deps.metrics);
  log.info({ kafka: clients.description, registry: registry.url }, 'starting stream worker');

  const startupBudgetMs = config.service.startupTimeoutMs;
  await clients.awaitBrokers?.(startupBudgetMs);
  const admin = clients.getAdmin();
  await admin.connect();
  const producers = clients.getTransactionalClient(admin);
  const gate = new LiveFirstGate();
  const liveGroup = config.stream.groupId;
  const replayGroup = `${config.stream.groupId}.replay`;
  const started: StartedConsumer[] = [];
  let stopRequested = false;
  const stopConsumers = async () => {
    stopRequested = true;
    await Promise.allSettled(started.map((c) => c.consumer.disconnect()));
    await Promise.allSettled(started.map((c) => c.leases.releaseAll()));
  };
  let live: StartedConsumer;
  let replay: StartedConsumer;
  try {
    await prepareCluster({ admin, producers, registry, config, log, budgetMs: startupBudgetMs });
    const drift = deps.drift === undefined ? undefined : await driftOutput(deps.drift, registry, config);
    const sharedDeps = {
      ...(await codec(registry, config)),
      serving: deps.serving,
      ...(deps.committed === undefined ? {} : { committed: deps.committed }),
      metrics,
      churnCounters: churnCounters(predictionMetrics(deps.metrics), 'stream'),
      logger: log,
      topics: {
        predictions: config.topics.predictions,
        deadLetter: config.topics.deadLetter,
        shadow: config.topics.shadow,
      },
      scorerVersion: deps.scorerVersion,
      reasons: config.model.reasons,
      now: Date.now,
    };
    const warm = await warmUpDecisions({
      decide: recordDecision({
        ...sharedDeps,
        countsDrift: drift !== undefined,
        replay: false,
        maxRecordBytes: config.stream.maxRecordBytes,
        outputBudget: transactionOutputBudget(config.stream.transactionMaxBytes),
      }),
      serving: () => deps.serving.current(),
      registry: registry.client,
      topic: config.topics.customers,
      records: config.stream.warmUpRecords,
      log,
    });
    if (warm.records > 0) log.info(warm, 'decision path warmed up before joining');
    const consumerSetup = {
      clients,
      producers,
      admin,
      log,
      metrics,
      gate,
      sessionTimeoutMs: config.stream.sessionTimeoutMs,
      isStopping: () => stopRequested,
    };

    live = await startConsumer(started, {
      ...consumerSetup,
      topic: config.topics.customers,
      groupId: liveGroup,
      source: { replay: false, label: 'live' },
      pipeline: {
        ...sharedDeps,
        // Replays are not monitored: old events rescored say nothing of the customers the model sees today.
        ...(drift === undefined ? {} : { drift }),
        consumerGroupId: liveGroup,
        limits: {
          transactionMaxRecords: config.stream.transactionMaxRecords,
          transactionMaxMs: config.stream.transactionMaxMs,
          maxRecordBytes: config.stream.maxRecordBytes,
          transactionMaxBytes: config.stream.transactionMaxBytes,
        },
      },
      // 256 KiB (~1,450 records of 177 B, three full transactions) bounds what is in flight per partition;
      // 1 MiB raised peak RSS for no throughput (see BENCHMARKS.md, "5. Worker memory").
      consumer: { maxBytesPerPartition: 256 * 1024, partitionsConsumedConcurrently: config.topics.partitions },
    });
    replay = await startConsumer(started, {
      ...consumerSetup,
      topic: config.topics.replay,
      groupId: replayGroup,
      source: { replay: true, label: 'replay' },
      pipeline: {
        ...sharedDeps,
        consumerGroupId: replayGroup,
        limits: {
          // Replay runs in small transactions, one partition at a time, and yields to live
          // batches (LiveFirstGate), so a large rescoring cannot starve live traffic.
          transactionMaxRecords: config.stream.replayMaxRecordsPerBatch,
          transactionMaxMs: config.stream.transactionMaxMs,
          maxRecordBytes: config.stream.maxRecordBytes,
          transactionMaxBytes: config.stream.transactionMaxBytes,
        },
      },
      consumer: { maxBytesPerPartition: 64 * 1024, partitionsConsumedConcurrently: 1 },
    });
  } catch (err) {
    await stopConsumers();
    await admin.disconnect().catch(() => undefined);
    throw err;
  }

  const lag = new LagMonitor({
    admin,
    metrics,
    logger: log,
    groups: [
      { groupId: liveGroup, topic: config.topics.customers, state: live.state },
      { groupId: replayGroup, topic: config.topics.replay, state: replay.state },
    ],
    intervalMs: 5_000,
  });
  lag.start();

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      log.info('stopping stream worker: no new fetches, finishing the open transactions');
      lag.stop();
      registry.credentials?.stop();
      await stopConsumers();
      await admin.disconnect().catch(() => undefined);
      log.info('stream worker stopped');
    })();
    return stopping;
  };

  const { credentials } = registry;
  return {
    readiness: () => combine([...(credentials ? [credentials.readiness()] : []), live.readiness(), replay.readiness()]),
    liveness: () => lag.liveness(config.stream.stuckAfterMs),
    stop,
    fatal: Promise.race([live.state.fatal, replay.state.fatal, ...(credentials ? [credentials.gaveUp] : [])]),
  };
}

/** What start-up makes sure of before any consumer joins: the topics and their limits, the schemas, transactions. */
async function prepareCluster(setup: {
  admin: StreamAdmin;
  producers: TransactionalClient;
  registry: SchemaRegistryConnection;
  config: WorkerConfig;
  log: Logger;
  budgetMs: number;
}): Promise<void> {
  const { admin, registry, config, log, budgetMs } = setup;
  const { created } = await ensureTopics(admin, streamTopicSpecs(config), { create: config.topics.create });
  if (created.length > 0) log.info({ created }, 'created missing topics');
  await checkOutputLimits(admin, config, log);
  await whenRegistryAnswers(() => provisionSchemas(registry, config.topics, log, config.monitoring), {
    url: registry.url,
    budgetMs,
    log,
  });
  await checkTransactionsAvailable(setup.producers, config.stream.groupId, log, budgetMs);
}

/** The Avro decoder of customer events and the encoders of live and shadow predictions, over the registry. */
async function codec(
  registry: SchemaRegistryConnection,
  config: WorkerConfig,
): Promise<Pick<PipelineDeps, 'decoder' | 'encoder' | 'shadowEncoder'>> {
  const decoder = new AvroDecoder<CustomerEvent>({ registry: registry.client, readerType: customerEventSchema().type });
  const schema = churnPredictionSchema();
  // One encoder per subject: a registry need not give the same id to the same schema under two subjects.
  const encoderOf = (topic: string) =>
    AvroEncoder.create<ChurnPrediction>({
      registry: registry.client,
      subject: `${topic}-value`,
      schema,
      autoRegister: config.topics.create,
    });
  const [encoder, shadowEncoder] = await Promise.all([
    encoderOf(config.topics.predictions),
    encoderOf(config.topics.shadow),
  ]);
  return { decoder, encoder, shadowEncoder };
}

/** The drift windows' output: the tracker, the encoder of DriftWindow records under the drift topic's subject. */
async function driftOutput(
  tracker: DriftTracker,
  registry: SchemaRegistryConnection,
  config: WorkerConfig,
): Promise<PipelineDrift> {
  const encoder = await AvroEncoder.create<DriftWindowRecord>({
    registry: registry.client,
    subject: `${config.topics.drift}-value`,
    schema: driftWindowSchema(),
    autoRegister: config.topics.create,
  });
  return { tracker, encoder, topic: config.topics.drift };
}

/**
 * The topics the worker reads and writes (the follower ensures the two compacted model topics); the drift topic
 * when monitoring is on.
 */
export function streamTopicSpecs(config: Pick<WorkerConfig, 'topics' | 'monitoring'>): TopicSpec[] {
  const { partitions, replicationFactor, minInsyncReplicas, retentionMs, maxMessageBytes } = config.topics;
  const { customers, predictions, deadLetter, replay, shadow, drift } = config.topics;
  const names = [customers, predictions, deadLetter, replay, shadow, ...(config.monitoring.enabled ? [drift] : [])];
  return names.map((name) => ({
    name,
    partitions,
    replicationFactor,
    minInsyncReplicas,
    retentionMs,
    maxMessageBytes,
  }));
}

/** The output topics must take the worker's largest record batches; one created elsewhere may not. */
async function checkOutputLimits(admin: StreamAdmin, config: WorkerConfig, log: Logger): Promise<void> {
  const outputs = [config.topics.predictions, config.topics.deadLetter, config.topics.shadow];
  if (!canDescribeConfigs(admin)) {
    log.warn(
      { topics: outputs },
      'this Kafka client cannot read topic configs: max.message.bytes of the output topics not checked',
    );
    return;
  }
  try {
    await checkMessageLimits(admin, outputs, config.stream.transactionMaxBytes);
  } catch (err) {
    if (err instanceof MessageLimitError) throw err;
    // E.g. no DescribeConfigs right: a transaction the broker refuses as too large still stops the worker, saying why.
    log.warn({ err, topics: outputs }, 'could not read max.message.bytes of the output topics; not checked');
  }
}

function combine(results: ProbeResult[]): ProbeResult {
  return { ok: results.every((r) => r.ok), reasons: results.flatMap((r) => r.reasons) };
}

interface ConsumerSetup {
  clients: KafkaClientSupplier;
  producers: TransactionalClient;
  admin: StreamAdmin;
  log: Logger;
  metrics: ReturnType<typeof streamMetrics>;
  gate: LiveFirstGate;
  sessionTimeoutMs: number;
  topic: string;
  groupId: string;
  source: SourceKind;
  pipeline: Omit<PipelineDeps, 'leases' | 'onCommitted'>;
  consumer: { maxBytesPerPartition: number; partitionsConsumedConcurrently: number };
  /** true once the worker stops: a crashed consumer is then not restarted */
  isStopping: () => boolean;
}

interface StartedConsumer {
  consumer: StreamConsumer;
  leases: PartitionLeases;
  state: ConsumerState;
  readiness(): ProbeResult;
}

/** Starts one consumer group member; it joins `started` before it connects, so a failed start-up stops it too. */
async function startConsumer(started: StartedConsumer[], setup: ConsumerSetup): Promise<StartedConsumer> {
  const { admin, log, topic, groupId, source } = setup;
  const leases = new PartitionLeases(setup.producers, admin, {
    consumerGroupId: groupId,
    transactionalIdPrefix: groupId,
    transactionTimeoutMs: 60_000,
    logger: log,
  });
  const state = new ConsumerState({
    name: source.label,
    topic,
    leases,
    log,
    metrics: setup.metrics,
    restart: async () => {
      if (setup.isStopping()) return;
      await consumer.connect();
      await consumer.run(runOptions);
    },
  });
  const consumer = setup.clients.getConsumer({
    groupId,
    sessionTimeoutMs: setup.sessionTimeoutMs,
    maxBytesPerPartition: setup.consumer.maxBytesPerPartition,
  });
  const member: StartedConsumer = { consumer, leases, state, readiness: watchReadiness(consumer, state, log) };
  started.push(member);

  const handle = createBatchHandler(
    {
      ...setup.pipeline,
      leases,
      onCommitted: (partition, count) => {
        state.progressed(partition, count);
      },
    },
    source,
  );
  const eachBatch = source.replay ? setup.gate.yieldingTo(handle) : setup.gate.tracking(handle);

  await consumer.connect();
  await consumer.subscribe(topic);
  const runOptions = { partitionsConsumedConcurrently: setup.consumer.partitionsConsumedConcurrently, eachBatch };
  await consumer.run(runOptions);
  log.info({ topic, groupId, replay: source.replay, exactlyOnce: true }, 'consumer running (transactional)');
  return member;
}

/**
 * The consumer's readiness: from its instrumentation events when the client has them (joined, every owned
 * partition's producer fenced-in). Without them nothing tells when the group is joined, so the member counts as
 * ready once it runs, i.e. as soon as the worker has started.
 */
function watchReadiness(consumer: StreamConsumer, state: ConsumerState, log: Logger): () => ProbeResult {
  if (consumer.instrumentation !== undefined) {
    state.attach(consumer.instrumentation);
    return () => state.readiness();
  }
  log.warn(
    { consumer: state.name, topic: state.topic },
    'this Kafka client reports no consumer events: readiness only says the consumer runs, and a crash it does not recover from is not noticed',
  );
  return () => ({ ok: true, reasons: [] });
}
