/**
 * The service `run` starts (src/app/scorer-app.ts: the stream worker with its side-port; the data path,
 * src/stream/pipeline.ts, unchanged), over @platformatic/kafka instead of kafkajs, for the bench's 'clients'
 * section: only the Kafka client supplier differs (./platformatic-client.ts says what that changes). Needs
 * Node >= 22.22 (@platformatic/kafka 2.x); the bench runs it with the node of `scripts/ci/node-versions.sh bin
 * 22.23.5`. Configured like `run` (src/config, environment), plus:
 *
 *   PLT_MAX_BATCH      records per eachBatch call at most (default 2000)
 *   PLT_MAX_QUEUED     records waiting per consumer before its stream is paused (default 8000)
 *   PLT_MAX_WAIT_MS    how long a fetch waits for records (default 100, as the worker's kafkajs consumers)
 *
 *   PATH="$(bash scripts/ci/node-versions.sh bin 22.23.5):$PATH" node --import tsx bench/clients/platformatic-worker.ts --port 8081
 */
import { parseArgs } from 'node:util';
import { defaultSchemaRegistry } from '../../src/app/schema-registry.js';
import { runScorerService } from '../../src/cli/commands/run.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { loadPlatformaticClient, platformaticClientSupplier } from './platformatic-client.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
});
const config = loadConfig({ args: { http: { port: Number(values.port), host: values.host } } });
const logger = createLogger({ name: 'platformatic-worker', level: config.log.level, format: config.log.format });
const positiveInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got '${raw ?? ''}'`);
  return n;
};

const client = await loadPlatformaticClient();
await runScorerService({
  config,
  clients: platformaticClientSupplier(client, {
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId,
    maxBatchSize: positiveInt('PLT_MAX_BATCH', 2000),
    maxQueued: positiveInt('PLT_MAX_QUEUED', 8000),
    fetchMaxWaitMs: positiveInt('PLT_MAX_WAIT_MS', 100),
    heartbeatIntervalMs: 1_000,
    logger: logger.child({ component: 'kafka' }),
  }),
  registry: defaultSchemaRegistry(config.registry),
  logger,
});
// At warn: the bench runs its workers with LOG_LEVEL=warn, and its logs should say which client ran.
logger.warn(
  { platformaticKafka: client.version, node: process.version, topic: config.topics.customers },
  'platformatic worker running',
);
