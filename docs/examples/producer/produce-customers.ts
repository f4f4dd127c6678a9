/**
 * Sends CustomerEvents to the customers topic with kafkajs: Avro values in the Confluent wire format through the
 * schema registry (@kafkajs/confluent-schema-registry), keyed by customerid, placed by murmur2 like every other
 * client of the topic. See docs/producing.md for the rules.
 *
 * Input: JSON lines (stdin, or --input FILE), one CustomerEvent per line: `customerid`, the 19 features and,
 * optionally, `event_id` and `event_time` (epoch ms). A line without them gets a random UUID and the current time.
 * docs/examples/telco_to_jsonl.py writes such lines from the Telco CSV.
 *
 *   node --import tsx docs/examples/producer/produce-customers.ts --input events.jsonl
 *
 * Connection: --brokers / KAFKA_BROKERS, --registry-url / SCHEMA_REGISTRY_URL (basic auth from
 * SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD), --topic / TOPIC_CUSTOMERS (default customers).
 *
 * Schema: the value is written with schemas/customer-event.avsc (--schema FILE), which must already be registered
 * under `<topic>-value` (the scorer registers it at start-up); --register lets this producer register it itself.
 * Depends on kafkajs and @kafkajs/confluent-schema-registry only (nothing of churn-scorer's src/).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import registryModule from '@kafkajs/confluent-schema-registry';
import kafkajs, { type Message } from 'kafkajs';

// Both packages are CommonJS: Node does not see their exports by name, so they are taken from the default export.
const { Kafka, Partitioners, logLevel } = kafkajs;
const { SchemaRegistry, SchemaType } = registryModule;

const SCHEMA_FILE = new URL('../../../schemas/customer-event.avsc', import.meta.url);
const CHUNK = 500;

const { values: flags } = parseArgs({
  options: {
    brokers: { type: 'string', default: process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092' },
    'registry-url': { type: 'string', default: process.env['SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:8081' },
    topic: { type: 'string', default: process.env['TOPIC_CUSTOMERS'] ?? 'customers' },
    schema: { type: 'string' },
    input: { type: 'string' },
    register: { type: 'boolean', default: false },
  },
});

type CustomerEvent = Record<string, unknown> & { customerid: string; event_id: string; event_time: number };

/** The input lines as events; event_id and event_time filled in where absent. */
async function readEvents(path: string | undefined): Promise<CustomerEvent[]> {
  const lines = createInterface({ input: path === undefined ? process.stdin : createReadStream(path) });
  const events: CustomerEvent[] = [];
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    const parsed = JSON.parse(line) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error(`line ${lineNumber}: not a JSON object`);
    }
    const event = parsed as Record<string, unknown>;
    if (typeof event['customerid'] !== 'string' || event['customerid'] === '') {
      throw new Error(`line ${lineNumber}: no customerid`);
    }
    event['event_id'] ??= randomUUID();
    event['event_time'] ??= Date.now();
    events.push(event as CustomerEvent);
  }
  return events;
}

async function main(): Promise<void> {
  const events = await readEvents(flags.input);
  const subject = `${flags.topic}-value`;
  // Compact JSON, as the scorer registers it: Apicurio's Confluent API matches a looked-up schema by its exact text
  // (Confluent's registry compares the parsed schemas), so the pretty-printed file would not be found.
  const text = JSON.stringify(JSON.parse(readFileSync(flags.schema ?? SCHEMA_FILE, 'utf8')));
  const schema = { type: SchemaType.AVRO, schema: text } as const;
  const username = process.env['SCHEMA_REGISTRY_USERNAME'];
  const registry = new SchemaRegistry({
    host: flags['registry-url'],
    ...(username === undefined ? {} : { auth: { username, password: process.env['SCHEMA_REGISTRY_PASSWORD'] ?? '' } }),
  });
  let schemaId: number;
  if (flags.register) {
    // Registers it (BACKWARD on a new subject; the library refuses a subject set to another level), or finds it.
    schemaId = (await registry.register(schema, { subject })).id;
  } else {
    // The id of this schema under <topic>-value (TopicNameStrategy), which must exist.
    try {
      schemaId = await registry.getRegistryIdBySchema(subject, schema);
    } catch (err) {
      throw new Error(
        `the schema is not registered under ${subject} at ${flags['registry-url']} (${(err as Error).message}): ` +
          'start the scorer once (it registers it) or pass --register',
        { cause: err },
      );
    }
  }

  const kafka = new Kafka({
    clientId: 'produce-customers',
    brokers: flags.brokers.split(','),
    logLevel: logLevel.WARN,
  });
  const producer = kafka.producer({
    // acks=all and no duplicates from the client's own retries
    idempotent: true,
    maxInFlightRequests: 1,
    // murmur2 of the key bytes, as the Java client (and librdkafka's murmur2_random) place records; said
    // explicitly, which also silences kafkajs' warning about its v2 default
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += CHUNK) {
      const messages: Message[] = [];
      for (const event of events.slice(i, i + CHUNK)) {
        // encode() checks the event against the schema and names the fields that do not fit
        messages.push({ key: event.customerid, value: await registry.encode(schemaId, event) });
      }
      await producer.send({ topic: flags.topic, messages, acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
  process.stderr.write(`sent ${events.length} event${events.length === 1 ? '' : 's'}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`produce-customers: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
