import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config-schema.js';
import { createValidationRules } from '../contract/validation-rules.js';
import { createKafka, describeConnection, IDEMPOTENT_PRODUCER } from '../kafka/client.js';
import { ensureTopics, type TopicSpec } from '../kafka/topics.js';
import type { ChurnModel } from '../model/churn-model.js';
import { AvroDecoder } from '../serde/avro-decoder.js';
import { AvroEncoder } from '../serde/avro-encoder.js';
import type { ChurnPrediction, CustomerEvent } from '../serde/avro-records.js';
import { CachedSchemaRegistryClient } from '../serde/cached-schema-registry.js';
import { HttpSchemaRegistryClient } from '../serde/http-schema-registry.js';
import { churnPredictionSchema, customerEventSchema } from '../serde/schema-files.js';
import { provisionSchemas } from './schema-provisioning.js';
import { ConsumerState } from './consumer-state.js';
import { LagMonitor } from './lag-monitor.js';
import { PartitionLeases } from './partition-leases.js';
import { createBatchHandler, type PipelineDeps, type SourceKind } from './pipeline.js';
import { LiveFirstGate } from './live-first-gate.js';
import { streamMetrics } from './stream-metrics.js';
import { outcomeCounters, predictionMetrics } from '../observability/prediction-metrics.js';
import type { ProbeResult } from '../http/probes.js';

export interface WorkerDeps {
  config: Config;
  model: ChurnModel;
  logger: Logger;
  metrics: Registry;
  scorerVersion: string;
}

export interface RunningWorker {
  readiness(): ProbeResult;
  liveness(): ProbeResult;
  /** Stops fetching, lets the open transaction finish (or abandons it at the deadline), leaves the group. */
  stop(): Promise<void>;
  /** Resolves when a consumer crashes beyond kafkajs' own restarts: the process should exit. */
  readonly fatal: Promise<Error>;
}

/**
 * The imperative shell of the stream: builds clients from the config, provisions topics and
 * schemas, and runs two consumer groups — live (`customers`) and replay (`customers.replay`)
 * — through the same pipeline. Everything per record happens in ./pipeline.ts.
 */
export async function startWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const { config, model, logger } = deps;
  const log = logger.child({ component: 'stream' });
  const metrics = streamMetrics(deps.metrics);
  const kafka: Kafka = createKafka(config.kafka, log);
  log.info({ kafka: describeConnection(config.kafka), registry: config.registry.url }, 'starting stream worker');

  const admin: Admin = kafka.admin();
  await admin.connect();
  const registry = new CachedSchemaRegistryClient(
    new HttpSchemaRegistryClient({
      url: config.registry.url,
      username: config.registry.username ?? undefined,
      password: config.registry.password ?? undefined,
    }),
  );

  try {
    const topics = topicSpecs(config);
    const { created } = await ensureTopics(admin, topics, { create: config.topics.create });
    if (created.length > 0) log.info({ created }, 'created missing topics');
    await provisionSchemas(registry, config, log);
    await checkTransactionsAvailable(kafka, config.stream.groupId, log);
  } catch (err) {
    await admin.disconnect();
    throw err;
  }

  const customerSchema = customerEventSchema();
  const predictionSchema = churnPredictionSchema();
  const decoder = new AvroDecoder<CustomerEvent>({ registry, readerType: customerSchema.type });
  const encoder = await AvroEncoder.create<ChurnPrediction>({
    registry,
    subject: `${config.topics.predictions}-value`,
    schema: predictionSchema,
    autoRegister: config.topics.create,
  });

  const rules = createValidationRules({
    categories: model.meta.categories,
    strictCategories: config.model.strictCategories,
  });
  const gate = new LiveFirstGate();

  const liveGroup = config.stream.groupId;
  const replayGroup = `${config.stream.groupId}.replay`;
  const sharedDeps = {
    decoder,
    encoder,
    model,
    rules,
    metrics,
    outcomes: outcomeCounters(predictionMetrics(deps.metrics), 'stream'),
    logger: log,
    topics: { predictions: config.topics.predictions, deadLetter: config.topics.deadLetter },
    scorerVersion: deps.scorerVersion,
    now: Date.now,
  };

  const live = await startConsumer({
    kafka,
    admin,
    log,
    metrics,
    topic: config.topics.customers,
    groupId: liveGroup,
    source: { replay: false, label: 'live' },
    pipeline: {
      ...sharedDeps,
      consumerGroupId: liveGroup,
      limits: {
        transactionMaxRecords: config.stream.transactionMaxRecords,
        transactionMaxMs: config.stream.transactionMaxMs,
        maxRecordBytes: config.stream.maxRecordBytes,
      },
    },
    // 256 KiB (~1,450 records of 177 B, three full transactions) bounds what is in flight per partition;
    // 1 MiB cost ~10 MB more peak RSS for no measurable throughput (BENCHMARKS.md, "Worker memory").
    consumer: { maxBytesPerPartition: 256 * 1024, partitionsConsumedConcurrently: config.topics.partitions },
    config,
    gate,
  });
  const replay = await startConsumer({
    kafka,
    admin,
    log,
    metrics,
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
      },
    },
    consumer: { maxBytesPerPartition: 64 * 1024, partitionsConsumedConcurrently: 1 },
    config,
    gate,
  });

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
      await Promise.allSettled([live.consumer.disconnect(), replay.consumer.disconnect()]);
      await Promise.allSettled([live.leases.releaseAll(), replay.leases.releaseAll()]);
      await admin.disconnect().catch(() => undefined);
      log.info('stream worker stopped');
    })();
    return stopping;
  };

  return {
    readiness: () => combine([live.state.readiness(), replay.state.readiness()]),
    liveness: () => lag.liveness(config.stream.stuckAfterMs),
    stop,
    fatal: Promise.race([live.state.fatal, replay.state.fatal]),
  };
}

/**
 * Exactly-once needs transactions; a broker or ACL that cannot give us a transactional
 * producer must stop the worker here, loudly, rather than let it run without guarantees.
 */
async function checkTransactionsAvailable(kafka: Kafka, groupId: string, log: Logger): Promise<void> {
  const producer = kafka.producer({ ...IDEMPOTENT_PRODUCER, transactionalId: `${groupId}-startup-check` });
  try {
    await producer.connect();
    const txn = await producer.transaction();
    await txn.abort();
    log.info({ exactlyOnce: true }, 'Kafka transactions available: exactly-once processing on');
  } catch (err) {
    throw new Error(
      `Kafka transactions are not available (${(err as Error).message}); churn-scorer only runs exactly-once and ` +
        'will not fall back to at-least-once. Check the transaction state log (transaction.state.log.replication.factor ' +
        '<= number of brokers) and the TransactionalId ACLs for the consumer group name.',
      { cause: err },
    );
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

function topicSpecs(config: Config): TopicSpec[] {
  const { partitions, replicationFactor, retentionMs } = config.topics;
  return [config.topics.customers, config.topics.predictions, config.topics.deadLetter, config.topics.replay].map(
    (name) => ({ name, partitions, replicationFactor, retentionMs }),
  );
}

function combine(results: ProbeResult[]): ProbeResult {
  return { ok: results.every((r) => r.ok), reasons: results.flatMap((r) => r.reasons) };
}

interface ConsumerSetup {
  kafka: Kafka;
  admin: Admin;
  log: Logger;
  metrics: ReturnType<typeof streamMetrics>;
  topic: string;
  groupId: string;
  source: SourceKind;
  pipeline: Omit<PipelineDeps, 'leases' | 'onCommitted'>;
  consumer: { maxBytesPerPartition: number; partitionsConsumedConcurrently: number };
  config: Config;
  gate: LiveFirstGate;
}

async function startConsumer(setup: ConsumerSetup): Promise<{
  consumer: Consumer;
  leases: PartitionLeases;
  state: ConsumerState;
}> {
  const { kafka, admin, log, topic, groupId, source, config } = setup;
  const leases = new PartitionLeases(kafka, admin, {
    consumerGroupId: groupId,
    transactionalIdPrefix: groupId,
    transactionTimeoutMs: 60_000,
    logger: log,
  });
  const state = new ConsumerState({ name: source.label, topic, leases, log, metrics: setup.metrics });
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    sessionTimeout: config.stream.sessionTimeoutMs,
    heartbeatInterval: 1_000,
    rebalanceTimeout: 30_000,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: setup.consumer.maxBytesPerPartition,
  });
  state.attach(consumer);

  const handle = createBatchHandler(
    { ...setup.pipeline, leases, onCommitted: (partition, count) => state.progressed(partition, count) },
    source,
  );
  const eachBatch = source.replay ? setup.gate.yieldingTo(handle) : setup.gate.tracking(handle);

  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: setup.consumer.partitionsConsumedConcurrently,
    eachBatch,
  });
  log.info({ topic, groupId, replay: source.replay, exactlyOnce: true }, 'consumer running (transactional)');
  return { consumer, leases, state };
}
