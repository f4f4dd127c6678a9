import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AvroDecoder } from '../../src/serde/avro-decoder.js';
import { AvroEncoder } from '../../src/serde/avro-encoder.js';
import type { CustomerEvent } from '../../src/serde/avro-records.js';
import { CachedSchemaRegistryClient } from '../../src/serde/cached-schema-registry.js';
import { DecodeError } from '../../src/serde/decode-error.js';
import { HttpSchemaRegistryClient } from '../../src/serde/http-schema-registry.js';
import { churnPredictionSchema, customerEventSchema, parseSchema } from '../../src/serde/schema-files.js';
import { registerWithCompatibility } from '../../src/serde/schema-registration.js';
import { SchemaRegistryError, valueSubject, type SchemaRegistryClient } from '../../src/serde/schema-registry.js';
import { frame } from '../../src/serde/wire-format.js';
import { runProcess } from '../support/run-process.js';
import { sampleCustomerEvent } from '../unit/serde/sample-events.js';

const EVENT_COUNT = 10_000;

/** The stack the global setup hands out: provided values first, the environment as a fallback. */
function stackValue(key: 'kafkaBrokers' | 'schemaRegistryUrl', envName: string): string {
  const provided = (inject as (name: string) => unknown)(key);
  const value = typeof provided === 'string' && provided !== '' ? provided : process.env[envName];
  if (value === undefined || value === '') {
    throw new Error(
      `integration stack missing: neither inject('${key}') nor ${envName} is set (test/setup/kafka-stack.ts)`,
    );
  }
  return value;
}

const brokers = stackValue('kafkaBrokers', 'KAFKA_BROKERS')
  .split(',')
  .map((b) => b.trim());
const registryUrl = stackValue('schemaRegistryUrl', 'SCHEMA_REGISTRY_URL');
const registryAuth = {
  username: process.env['SCHEMA_REGISTRY_USERNAME'],
  password: process.env['SCHEMA_REGISTRY_PASSWORD'],
};
/** The library's own client, to see what the registry holds independently of the client under test. */
const independent = new SchemaRegistry({
  host: registryUrl,
  ...(registryAuth.username === undefined
    ? {}
    : { auth: { username: registryAuth.username, password: registryAuth.password ?? '' } }),
});

/** Counts HTTP getSchemaById calls, to show the decoder's cache on the real registry. */
class CountingRegistry extends HttpSchemaRegistryClient {
  schemaByIdCalls = 0;
  override getSchemaById(id: number): Promise<string> {
    this.schemaByIdCalls += 1;
    return super.getSchemaById(id);
  }
}

interface FieldSchema {
  name: string;
  type: unknown;
  default?: unknown;
  doc?: string;
}

function withExtraField(schemaText: string, field: FieldSchema): string {
  const schema = JSON.parse(schemaText) as { fields: FieldSchema[] };
  return JSON.stringify({ ...schema, fields: [...schema.fields, field] });
}

describe('serde on the real Kafka broker and schema registry', () => {
  const runId = randomUUID().slice(0, 8);
  const customersTopic = `it-serde-customers-${runId}`;
  const predictionsTopic = `it-serde-predictions-${runId}`;
  const customersSubject = valueSubject(customersTopic);
  const predictionsSubject = valueSubject(predictionsTopic);
  const customerEvent = customerEventSchema();
  const churnPrediction = churnPredictionSchema();

  const kafka = new Kafka({ clientId: `serde-it-${runId}`, brokers, logLevel: logLevel.WARN });
  // unset if beforeAll failed before creating it: afterAll then has nothing to clean up
  let admin: Admin | undefined;
  let registry: SchemaRegistryClient;

  beforeAll(async () => {
    registry = new CachedSchemaRegistryClient(new HttpSchemaRegistryClient({ url: registryUrl, ...registryAuth }));
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: customersTopic, numPartitions: 3, replicationFactor: 1 }],
    });
  });

  afterAll(async () => {
    await admin?.deleteTopics({ topics: [customersTopic] }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('registers both schemas under TopicNameStrategy subjects with BACKWARD compatibility', async () => {
    const customerId = await registerWithCompatibility(registry, customersSubject, customerEvent.text, 'BACKWARD');
    const predictionId = await registerWithCompatibility(
      registry,
      predictionsSubject,
      churnPrediction.text,
      'BACKWARD',
    );
    expect(customerId).not.toBe(predictionId);

    for (const [subject, id] of [
      [customersSubject, customerId],
      [predictionsSubject, predictionId],
    ] as const) {
      expect(await independent.getRegistryId(subject, 1)).toBe(id);
      expect(await independent.getLatestSchemaId(subject)).toBe(id);
    }
    const fresh = new HttpSchemaRegistryClient({ url: registryUrl, ...registryAuth });
    // registering the identical schema again is idempotent
    expect(await fresh.register(customersSubject, customerEvent.text)).toBe(customerId);
    expect(await fresh.lookup(customersSubject, customerEvent.text)).toBe(customerId);
  });

  it(`produces and consumes ${EVENT_COUNT} CustomerEvents through the codec`, async () => {
    const encoder = await AvroEncoder.create<CustomerEvent>({
      registry,
      subject: customersSubject,
      schema: customerEvent,
      autoRegister: true,
    });
    const sent = new Map<string, CustomerEvent>();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
    await producer.connect();
    try {
      for (let start = 0; start < EVENT_COUNT; start += 1_000) {
        const messages = [];
        for (let i = start; i < Math.min(start + 1_000, EVENT_COUNT); i++) {
          const event = sampleCustomerEvent(i);
          sent.set(event.event_id, event);
          messages.push({ key: event.customerid, value: encoder.encode(event) });
        }
        await producer.send({ topic: customersTopic, acks: -1, messages });
      }
    } finally {
      await producer.disconnect();
    }
    expect(sent.size).toBe(EVENT_COUNT);

    // A decoder with its own registry client, as a separate consumer process would have.
    const http = new CountingRegistry({ url: registryUrl, ...registryAuth });
    const decoder = new AvroDecoder<CustomerEvent>({
      registry: new CachedSchemaRegistryClient(http),
      readerType: customerEvent.type,
    });
    const received = new Map<string, CustomerEvent>();
    const mismatches: string[] = [];
    // eachBatch decodes; the comparison with what was sent happens after, outside the consumer.
    let records = 0;
    const consumer = kafka.consumer({ groupId: `it-serde-${runId}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: customersTopic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`only ${records} of ${EVENT_COUNT} records arrived in 120 s`));
        }, 120_000);
        consumer
          .run({
            eachBatch: async ({ batch }) => {
              for (const message of batch.messages) {
                const event = await decoder.decode(message.value);
                records += 1;
                if (message.key?.toString() !== event.customerid) mismatches.push(`key of ${event.event_id}`);
                received.set(event.event_id, event);
              }
              if (records >= EVENT_COUNT) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }

    expect(mismatches).toEqual([]);
    expect(records).toBe(EVENT_COUNT);
    expect(received.size).toBe(EVENT_COUNT);
    expect([...received.keys()].sort()).toEqual([...sent.keys()].sort());
    for (const [eventId, event] of received) expect(event).toEqual(sent.get(eventId));
    // the writer schema was fetched once for all 10,000 records
    expect(http.schemaByIdCalls).toBe(1);
  });

  it('rejects an incompatible schema change and accepts a compatible one', async () => {
    const firstId = await registerWithCompatibility(registry, customersSubject, customerEvent.text, 'BACKWARD');
    const fresh = new HttpSchemaRegistryClient({ url: registryUrl, ...registryAuth });

    // A new required field: a reader of the new version could not read the events already written.
    const requiredField = withExtraField(customerEvent.text, {
      name: 'region',
      type: 'string',
      doc: 'required, no default',
    });
    const rejection: unknown = await fresh.register(customersSubject, requiredField).catch((e: unknown) => e);
    expect(rejection).toBeInstanceOf(SchemaRegistryError);
    expect(rejection).toMatchObject({ status: 409, incompatible: true, retriable: false, subject: customersSubject });

    // Retyping a feature is rejected too.
    const retyped = JSON.stringify({
      ...(JSON.parse(customerEvent.text) as object),
      fields: (JSON.parse(customerEvent.text) as { fields: FieldSchema[] }).fields.map((f) =>
        f.name === 'tenure' ? { ...f, type: 'string' } : f,
      ),
    });
    await expect(fresh.register(customersSubject, retyped)).rejects.toMatchObject({ status: 409 });
    expect(await independent.getLatestSchemaId(customersSubject)).toBe(firstId);

    // An optional field with a default is allowed, and our reader still decodes the new writer's bytes.
    const optionalField = withExtraField(customerEvent.text, {
      name: 'loyalty_tier',
      type: ['null', 'string'],
      default: null,
      doc: 'optional',
    });
    const evolved = await AvroEncoder.create<CustomerEvent & { loyalty_tier: string | null }>({
      registry: fresh,
      subject: customersSubject,
      schema: parseSchema(optionalField),
      autoRegister: true,
    });
    expect(await independent.getRegistryId(customersSubject, 2)).toBe(evolved.schemaId);
    expect(await independent.getLatestSchemaId(customersSubject)).toBe(evolved.schemaId);
    const decoder = new AvroDecoder<CustomerEvent>({ registry: fresh, readerType: customerEvent.type });
    const event = sampleCustomerEvent(42);
    await expect(decoder.decode(evolved.encode({ ...event, loyalty_tier: 'gold' }))).resolves.toEqual(event);
  });

  it("maps the real registry's 404 to unknown-schema-id, and a refused connection to a retriable error", async () => {
    const decoder = new AvroDecoder<CustomerEvent>({
      registry: new CachedSchemaRegistryClient(new HttpSchemaRegistryClient({ url: registryUrl, ...registryAuth })),
      readerType: customerEvent.type,
    });
    const unknownId = 0x7ffffff0;
    const unknown: unknown = await decoder.decode(frame(unknownId, Buffer.from([0]))).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(DecodeError);
    expect(unknown).toMatchObject({ reason: 'unknown-schema-id', schemaId: unknownId });

    const closedPort = await freePort();
    const down = new AvroDecoder<CustomerEvent>({
      registry: new HttpSchemaRegistryClient({ url: `http://127.0.0.1:${closedPort}`, timeoutMs: 2_000 }),
      readerType: customerEvent.type,
    });
    const encoder = await AvroEncoder.create<CustomerEvent>({
      registry,
      subject: customersSubject,
      schema: customerEvent,
      autoRegister: true,
    });
    const outage: unknown = await down.decode(encoder.encode(sampleCustomerEvent(1))).catch((e: unknown) => e);
    expect(outage).not.toBeInstanceOf(DecodeError);
    expect(outage).toBeInstanceOf(SchemaRegistryError);
    expect(outage).toMatchObject({ retriable: true, status: undefined, schemaId: encoder.schemaId });
    expect((outage as Error).message).toContain('ECONNREFUSED');
  });

  it("Python confluent-kafka's AvroDeserializer decodes our bytes with the writer schema from the registry", async () => {
    const encoder = await AvroEncoder.create<CustomerEvent>({
      registry,
      subject: customersSubject,
      schema: customerEvent,
      autoRegister: true,
    });
    const events = Array.from({ length: 50 }, (_, i) => sampleCustomerEvent(i));
    events.push({ ...sampleCustomerEvent(50), customerid: 'Zoë-客户-🙂', event_time: -1, monthlycharges: 0.1 + 0.2 });
    const request = { topic: customersTopic, frames: events.map((e) => encoder.encode(e).toString('hex')) };

    const output = await runPython(
      ['scripts/interop/decode.py', '--registry-url', registryUrl],
      JSON.stringify(request),
    );
    const { values } = JSON.parse(output) as { values: unknown[] };
    expect(values).toEqual(events);
    // a first run on a fresh machine may install uv and the training environment from PyPI
  }, 600_000);
});

/**
 * Runs a script with the training/ project's Python (confluent-kafka in its interop group) through
 * scripts/uv.sh, which installs the pinned uv when missing. Missing Python or uv fails the test.
 */
async function runPython(args: string[], stdin: string): Promise<string> {
  const run = await runProcess(
    'bash',
    ['scripts/uv.sh', 'run', '--frozen', '--project', 'training', '--all-groups', 'python', ...args],
    {
      stdin,
    },
  );
  if (run.code !== 0) throw new Error(`python ${args.join(' ')} exited with ${run.code}:\n${run.stderr.slice(-4_000)}`);
  return run.stdout;
}

/** A loopback port nothing listens on (bound, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}
