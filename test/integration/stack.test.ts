// Smoke test of the integration harness: the broker handed out by
// test/setup/kafka-stack.ts supports exactly-once consume-transform-produce with
// kafkajs, and the registry speaks the Confluent API and enforces BACKWARD.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const kafkaBrokers = inject('kafkaBrokers');
const schemaRegistryUrl = inject('schemaRegistryUrl');
const runId = randomUUID().slice(0, 8);
const kafka = new Kafka({
  clientId: `stack-test-${runId}`,
  brokers: kafkaBrokers.split(','),
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();

/** Reads `topic` from the start until `count` records arrived, then `settleMs` longer to catch extras. */
async function readTopic(topic: string, count: number, readUncommitted: boolean, settleMs = 1_500): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId: `${topic}-reader-${randomUUID()}`, readUncommitted });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const giveUp = setTimeout(() => {
        reject(new Error(`read ${values.length}/${count} records of ${topic}`));
      }, 60_000);
      void consumer.run({
        eachMessage: ({ message }: { message: KafkaMessage }) => {
          values.push(message.value?.toString() ?? '');
          if (values.length === count) {
            clearTimeout(giveUp);
            setTimeout(resolve, settleMs);
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

describe('integration stack: Kafka broker', () => {
  const source = `stack-smoke-${runId}-in`;
  const sink = `stack-smoke-${runId}-out`;
  const groupId = `stack-smoke-${runId}-scorer`;

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: source, numPartitions: 1 },
        { topic: sink, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [source, sink] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('commits output and input offsets in one transaction; read_committed skips an aborted one', async () => {
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: source, messages: ['a', 'b', 'c'].map((value) => ({ key: value, value })) });
    await plain.disconnect();

    const producer = kafka.producer({ transactionalId: `${groupId}-tx`, idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId, readUncommitted: false });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: source, fromBeginning: true });
    let transformed = 0;
    await new Promise<void>((resolve, reject) => {
      const giveUp = setTimeout(() => {
        reject(new Error(`transformed only ${transformed}/3 records`));
      }, 60_000);
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const transaction = await producer.transaction();
          try {
            await transaction.send({
              topic: sink,
              messages: batch.messages.map((m) => ({ key: m.key, value: (m.value?.toString() ?? '').toUpperCase() })),
            });
            await transaction.sendOffsets({
              consumerGroupId: groupId,
              topics: [
                {
                  topic: batch.topic,
                  partitions: [{ partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }],
                },
              ],
            });
            await transaction.commit();
          } catch (error) {
            await transaction.abort();
            throw error;
          }
          transformed += batch.messages.length;
          if (transformed >= 3) {
            clearTimeout(giveUp);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();

    const aborted = await producer.transaction();
    await aborted.send({ topic: sink, messages: [{ key: 'x', value: 'ABORTED' }] });
    await aborted.abort();
    await producer.disconnect();

    const [committedOffsets] = await admin.fetchOffsets({ groupId, topics: [source] });
    expect(committedOffsets?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '3' })]);
    expect(await readTopic(sink, 3, false)).toEqual(['A', 'B', 'C']);
    // The aborted record is really in the log: only isolation hides it.
    expect(await readTopic(sink, 4, true, 0)).toEqual(['A', 'B', 'C', 'ABORTED']);
  });
});

describe('integration stack: schema registry (Confluent API)', () => {
  const contentType = 'application/vnd.schemaregistry.v1+json';
  const subject = `stack-smoke-${runId}-value`;
  const record = (fields: object[]): string =>
    JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'Smoke', namespace: 'churn.test', fields }) });

  async function call(method: string, route: string, body?: string): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${schemaRegistryUrl}${route}`, {
      method,
      headers: { 'Content-Type': contentType, Accept: contentType },
      ...(body === undefined ? {} : { body }),
    });
    return { status: response.status, json: await response.json() };
  }

  it('lists subjects, registers a schema and rejects a BACKWARD-incompatible change with 409', async () => {
    const listed = await call('GET', '/subjects');
    expect(listed.status).toBe(200);
    expect(Array.isArray(listed.json)).toBe(true);

    const first = await call('POST', `/subjects/${subject}/versions`, record([{ name: 'id', type: 'string' }]));
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ id: expect.any(Number) as unknown });

    const config = await call('PUT', `/config/${subject}`, JSON.stringify({ compatibility: 'BACKWARD' }));
    expect(config.status).toBe(200);

    // A new required field without a default: new readers cannot read old data.
    const breaking = record([
      { name: 'id', type: 'string' },
      { name: 'score', type: 'double' },
    ]);
    const rejected = await call('POST', `/subjects/${subject}/versions`, breaking);
    expect(rejected.status).toBe(409);

    const evolving = record([
      { name: 'id', type: 'string' },
      { name: 'score', type: 'double', default: 0 },
    ]);
    const accepted = await call('POST', `/subjects/${subject}/versions`, evolving);
    expect(accepted.status).toBe(200);

    const versions = await call('GET', `/subjects/${subject}/versions`);
    expect(versions.json).toEqual([1, 2]);
    expect((await call('GET', '/subjects')).json).toContain(subject);
  });
});
