// One-shot initialisation of a Kafka + schema-registry stack for churn-scorer:
// creates the four topics and registers the Avro schemas under TopicNameStrategy
// subjects with BACKWARD compatibility. Idempotent: existing topics are kept and
// re-registering an identical schema returns its existing id.
//   KAFKA_BROKERS=host:port SCHEMA_REGISTRY_URL=http://host:port node docker/init-stack.mjs
// Used by the `init` service of docker-compose.yml; works against the local stack too
// (set -a; . .stack/env; set +a; node docker/init-stack.mjs).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function required(name) {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const brokers = required('KAFKA_BROKERS').split(',');
const registryUrl = required('SCHEMA_REGISTRY_URL').replace(/\/+$/, '');
const partitions = Number(process.env.TOPIC_PARTITIONS ?? 3);
const retentionMs = process.env.TOPIC_RETENTION_MS ?? '604800000';
const topics = {
  customers: process.env.TOPIC_CUSTOMERS ?? 'customers',
  predictions: process.env.TOPIC_PREDICTIONS ?? 'predictions',
  deadLetter: process.env.TOPIC_DLQ ?? 'customers.dlq',
  replay: process.env.TOPIC_REPLAY ?? 'customers.replay',
};
// The subjects the worker registers itself at start-up (src/stream/schema-provisioning.ts), so a stack initialised
// here serves a worker with TOPICS_CREATE=false. The dead-letter and replay topics carry the original bytes of
// `customers` verbatim (with their schema id): no subject of their own.
const subjects = [
  { subject: `${topics.customers}-value`, file: 'schemas/customer-event.avsc' },
  { subject: `${topics.predictions}-value`, file: 'schemas/churn-prediction.avsc' },
];

async function retry(what, action, attempts = 30) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await action();
    } catch (error) {
      if (attempt >= attempts) {
        throw new Error(`${what} failed after ${attempts} attempts: ${error.message}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}

async function registry(method, route, body) {
  const response = await fetch(`${registryUrl}${route}`, {
    method,
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

async function createTopics() {
  const admin = new Kafka({ clientId: 'churn-scorer-init', brokers, logLevel: logLevel.WARN }).admin();
  await retry(`connecting to Kafka at ${brokers.join(',')}`, () => admin.connect());
  try {
    const existing = new Set(await admin.listTopics());
    const missing = Object.values(topics).filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: partitions,
          configEntries: [{ name: 'retention.ms', value: retentionMs }],
        })),
      });
    }
    console.log(
      `topics: created ${missing.length ? missing.join(', ') : 'none'}; present ${[...existing].filter((t) => Object.values(topics).includes(t)).join(', ') || 'none'}`,
    );
  } finally {
    await admin.disconnect();
  }
}

async function registerSchemas() {
  for (const { subject, file } of subjects) {
    // Compact JSON, as the worker registers it (src/serde/schema-files.ts): a registry that matches schemas by their
    // text (Apicurio) then finds this one when a worker with TOPICS_CREATE=false looks it up. A broken file fails here.
    const schema = JSON.stringify(JSON.parse(await readFile(path.join(root, file), 'utf8')));
    await retry(`configuring ${subject}`, () =>
      registry('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: 'BACKWARD' }),
    );
    const { id } = await registry('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
      schemaType: 'AVRO',
      schema,
    });
    console.log(`schema: ${subject} <- ${file} (id ${id}, BACKWARD)`);
  }
}

try {
  await createTopics();
  await registerSchemas();
} catch (error) {
  console.error(`init-stack: ${error.message}`);
  process.exit(1);
}
