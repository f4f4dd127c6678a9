/**
 * The stream worker's data path (src/stream/pipeline.ts, unchanged: decode, validate, score, encode, one transaction
 * per <= 500 records with the consumed offsets, per-partition transactional producers that fence the previous
 * owner) run over @confluentinc/kafka-javascript instead of kafkajs, for the bench's 'clients' section. Live topic
 * only, no replay consumer, no lag monitor: what `run` does per record, with the same side-port metrics the bench
 * reads (churn_stream_records_consumed_total). Configured like `run` (src/config, environment), plus:
 *
 *   CK_MAX_BATCH      records per eachBatch call (default 2000; the client's own default is 32)
 *   CK_LINGER_MS      producer linger.ms (default 5, librdkafka's)
 *   CK_QUEUED_KBYTES  consumer prefetch, queued.max.messages.kbytes (default 8192; librdkafka's is 65536)
 *
 *   node --import tsx bench/clients/confluent-worker.ts --port 8081
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/index.js';
import { createValidationRules } from '../../src/contract/validation-rules.js';
import { buildHttpServer } from '../../src/http/server.js';
import { loadModel } from '../../src/model/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetricsRegistry } from '../../src/observability/metrics-registry.js';
import { outcomeCounters, predictionMetrics } from '../../src/observability/prediction-metrics.js';
import { AvroDecoder } from '../../src/serde/avro-decoder.js';
import { AvroEncoder } from '../../src/serde/avro-encoder.js';
import type { ChurnPrediction, CustomerEvent } from '../../src/serde/avro-records.js';
import { CachedSchemaRegistryClient } from '../../src/serde/cached-schema-registry.js';
import { HttpSchemaRegistryClient } from '../../src/serde/http-schema-registry.js';
import { churnPredictionSchema, customerEventSchema } from '../../src/serde/schema-files.js';
import { PartitionLeases } from '../../src/stream/partition-leases.js';
import { createBatchHandler } from '../../src/stream/pipeline.js';
import { provisionSchemas } from '../../src/stream/schema-provisioning.js';
import { SCORER_VERSION } from '../../src/stream/scorer-version.js';
import { streamMetrics } from '../../src/stream/stream-metrics.js';
import { confluentPorts, loadConfluentClient } from './confluent-client.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });
const config = loadConfig();
const logger = createLogger({ name: 'confluent-worker', level: config.log.level });
const positiveInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return n;
};

const client = loadConfluentClient();
const model = await loadModel(config.model.dir);
const metrics = createMetricsRegistry();
const groupId = config.stream.groupId;
const ports = confluentPorts(client, {
  brokers: config.kafka.brokers,
  clientId: config.kafka.clientId,
  groupId,
  sessionTimeoutMs: config.stream.sessionTimeoutMs,
  maxBytesPerPartition: 1024 * 1024,
  maxBatchSize: positiveInt('CK_MAX_BATCH', 2000),
  lingerMs: positiveInt('CK_LINGER_MS', 5),
  queuedMaxKbytes: positiveInt('CK_QUEUED_KBYTES', 8192),
});
await ports.admin.connect();

const registry = new CachedSchemaRegistryClient(new HttpSchemaRegistryClient({ url: config.registry.url }));
await provisionSchemas(registry, config, logger);
const leases = new PartitionLeases(ports.leaseClient, ports.admin, {
  consumerGroupId: groupId,
  transactionalIdPrefix: groupId,
  transactionTimeoutMs: 60_000,
  logger,
});
const handle = createBatchHandler(
  {
    decoder: new AvroDecoder<CustomerEvent>({ registry, readerType: customerEventSchema().type }),
    encoder: await AvroEncoder.create<ChurnPrediction>({
      registry,
      subject: `${config.topics.predictions}-value`,
      schema: churnPredictionSchema(),
      autoRegister: config.topics.create,
    }),
    model,
    rules: createValidationRules({ categories: model.meta.categories, strictCategories: config.model.strictCategories }),
    leases,
    metrics: streamMetrics(metrics),
    outcomes: outcomeCounters(predictionMetrics(metrics), 'stream'),
    logger,
    topics: { predictions: config.topics.predictions, deadLetter: config.topics.deadLetter },
    consumerGroupId: groupId,
    scorerVersion: SCORER_VERSION,
    limits: {
      transactionMaxRecords: config.stream.transactionMaxRecords,
      transactionMaxMs: config.stream.transactionMaxMs,
      maxRecordBytes: config.stream.maxRecordBytes,
    },
    now: Date.now,
    onCommitted: () => undefined,
  },
  { replay: false, label: 'live' },
);

let running = false;
const app = await buildHttpServer({
  config,
  model,
  logger,
  metrics,
  readiness: () => (running ? { ok: true, reasons: [] } : { ok: false, reasons: ['consumer starting'] }),
});
const address = await app.listen({ port: Number(values.port), host: values.host });

await ports.consumer.connect();
await ports.consumer.subscribe({ topics: [config.topics.customers] });
await ports.consumer.run({ eachBatchAutoResolve: false, partitionsConsumedConcurrently: config.topics.partitions, eachBatch: handle });
running = true;
logger.warn({ address, librdkafka: client.librdkafkaVersion, topic: config.topics.customers }, 'confluent worker running');

const stop = async () => {
  await ports.consumer.disconnect().catch(() => undefined);
  await leases.releaseAll();
  await ports.admin.disconnect().catch(() => undefined);
  await app.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
