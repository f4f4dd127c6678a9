/**
 * The service `run` starts (src/app/scorer-app.ts: the stream worker with its side-port; the data path,
 * src/stream/pipeline.ts, unchanged), over @confluentinc/kafka-javascript instead of kafkajs, for the bench's
 * 'clients' section: only the Kafka client supplier differs (./confluent-client.ts says what that changes).
 * Configured like `run` (src/config, environment), plus:
 *
 *   CK_MAX_BATCH      records per eachBatch call (default 2000; the client's own default is 32)
 *   CK_LINGER_MS      producer linger.ms (default 5, librdkafka's)
 *   CK_QUEUED_KBYTES  consumer prefetch, queued.max.messages.kbytes (default 8192; librdkafka's is 65536)
 *
 *   node --import tsx bench/clients/confluent-worker.ts --port 8081
 */
import { parseArgs } from 'node:util';
import { defaultSchemaRegistry } from '../../src/app/schema-registry.js';
import { runScorerService } from '../../src/cli/commands/run.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { confluentClientSupplier, loadConfluentClient } from './confluent-client.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
});
const config = loadConfig({ args: { http: { port: Number(values.port), host: values.host } } });
const logger = createLogger({ name: 'confluent-worker', level: config.log.level, format: config.log.format });
const nonNegativeInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${raw ?? ''}'`);
  return n;
};

const client = loadConfluentClient();
await runScorerService({
  config,
  clients: confluentClientSupplier(client, {
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId,
    fetchMaxBytesPerPartition: 1024 * 1024,
    maxBatchSize: nonNegativeInt('CK_MAX_BATCH', 2000),
    lingerMs: nonNegativeInt('CK_LINGER_MS', 5),
    queuedMaxKbytes: nonNegativeInt('CK_QUEUED_KBYTES', 8192),
  }),
  registry: defaultSchemaRegistry(config.registry),
  logger,
});
// At warn: the bench runs its workers with LOG_LEVEL=warn, and its logs should say which client ran.
logger.warn({ librdkafka: client.librdkafkaVersion, topic: config.topics.customers }, 'confluent worker running');
