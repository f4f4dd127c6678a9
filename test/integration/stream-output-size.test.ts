import kafkajs, { CompressionTypes, type Message } from 'kafkajs';
import { describe, expect } from 'vitest';
import type { CustomerEvent } from '../../src/serde/avro-records.js';
import { describeAudit, type CollectedRecord } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, telcoEvents } from '../support/events.js';
import { groupLag, waitForNoLag } from '../support/kafka.js';
import { metricValue } from '../support/metrics.js';
import { must } from '../support/must.js';
import { test, type StreamFixture } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

const { ConfigResourceTypes } = kafkajs;

// Outputs can outgrow their inputs (customerid is in the prediction's key and value; a dead letter adds
// headers), and a transaction used to be bounded by count and time only: the broker refused the batch as
// MESSAGE_TOO_LARGE, the transaction was retried, refused again, and the partition stalled for good.
// Every wait below is bounded, so a stalled partition fails the test instead of hanging it.
const STALL_MS = 60_000;
/** stream.transactionMaxBytes default (config/default.json) */
const TRANSACTION_MAX_BYTES = 524_288;
const BROKER_DEFAULT_MAX_MESSAGE_BYTES = '1048588';

function onPartition(partition: number, messages: readonly Message[]): Message[] {
  return messages.map((m) => ({ ...m, partition }));
}

/** A worker on the stream's topics, ready, with readers of its input and both its outputs, and an upstream producer. */
async function readyWorker(stream: StreamFixture) {
  const worker = stream.startWorker();
  const predictions = await stream.collectPredictions();
  const deadLetters = await stream.collectDeadLetters();
  const inputs = await stream.collectInputs();
  await worker.waitForReady();
  return { worker, predictions, deadLetters, inputs, producer: await stream.producer() };
}

function deadLetterOffsets(letters: readonly CollectedRecord<null>[], partition: number): string[] {
  return letters
    .filter((l) => l.headers['churn.source.partition'] === String(partition))
    .map((l) => must(l.headers['churn.source.offset'], 'the churn.source.offset header of a dead letter'));
}

describe('stream outputs larger than a broker batch', () => {
  test('dead-letters a valid event whose prediction cannot fit as oversize-output, cut to fit; the partition keeps moving', async ({
    stream,
  }) => {
    const { names, admin } = stream;
    await stream.createTopics();
    const encoder = await customerEventEncoder(names.customers);
    const [before, after] = [telcoEvents(5), telcoEvents(50)];
    // 900 KB of customerid: the input (about 900 KB, short key) is under MAX_RECORD_BYTES and the broker's
    // limit; its prediction carries the id twice (key and value), about 1.8 MB.
    const big: CustomerEvent = { ...must(telcoEvents(1)[0], 'a telco event'), customerid: 'X'.repeat(900_000) };
    const bigMessage: Message = { key: 'big-customer', value: encoder.encode(big), partition: 0 };
    expect((bigMessage.value as Buffer).length).toBeLessThan(1_048_576);

    const { worker, predictions, deadLetters, inputs, producer } = await readyWorker(stream);
    await producer.send({
      topic: names.customers,
      acks: -1,
      messages: onPartition(
        0,
        before.map((e) => eventMessage(encoder, e)),
      ),
    });
    await producer.send({ topic: names.customers, acks: -1, messages: [bigMessage] });
    await producer.send({
      topic: names.customers,
      acks: -1,
      messages: onPartition(
        0,
        after.map((e) => eventMessage(encoder, e)),
      ),
    });
    await producer.disconnect();

    // The records after the big one, on the same partition, are scored: the partition did not stall.
    const expected = new Set([...before, ...after].map((e) => e.event_id));
    await predictions.waitForAll(expected, STALL_MS);
    await waitUntil(() => deadLetters.records.length >= 1, {
      timeoutMs: STALL_MS,
      describe: () => 'no dead letter for the oversize prediction',
    });
    await waitForNoLag(admin, names.group, names.customers, STALL_MS);
    await Promise.all([predictions.drain(admin), deadLetters.drain(admin), inputs.drain(admin)]);

    const audit = predictions.audit(expected);
    expect(audit.missing.length + audit.duplicated.length + audit.unexpected.length, describeAudit(audit)).toBe(0);
    expect(deadLetters.records).toHaveLength(1);
    const letter = must(deadLetters.records[0], 'the dead letter');
    const source = must(
      inputs.records.find((r) => r.key === 'big-customer'),
      'the big-customer input record',
    );
    const original = bigMessage.value as Buffer;
    expect(letter.headers).toMatchObject({
      'churn.error.type': 'oversize-output',
      'churn.source.topic': names.customers,
      'churn.source.partition': '0',
      'churn.source.offset': source.offset,
      'churn.truncated': 'value',
      'churn.original.value.bytes': String(original.length),
    });
    expect(letter.headers['churn.error.message']).toMatch(
      /prediction is \d+ bytes, over the \d+ a transaction may carry/,
    );
    expect(letter.rawKey?.toString()).toBe('big-customer');
    // the original bytes, cut at the limit: a prefix, as long as the letter's room allows
    const value = must(letter.rawValue, 'the value of the dead letter');
    expect(value.length).toBeLessThan(original.length);
    expect(value.length).toBeGreaterThan(TRANSACTION_MAX_BYTES - 4_096);
    expect(value.equals(original.subarray(0, value.length))).toBe(true);

    const metrics = (await worker.get('/metrics')).body;
    expect(metricValue(metrics, 'churn_stream_dead_letters_total', { source: 'live', reason: 'oversize-output' })).toBe(
      1,
    );
    expect(worker.running).toBe(true);
  });

  test('splits two 600 KB dead letters fetched together across transactions; every record accounted for once', async ({
    stream,
  }) => {
    const { names, admin } = stream;
    await stream.createTopics();
    const encoder = await customerEventEncoder(names.customers);
    const partition = 1;
    // Invalid (negative tenure) and large; compressed by the upstream, so both travel in one small record
    // batch and reach the worker in one fetch, one transaction-to-be. Same key: same dead-letter partition.
    const invalid = (n: number): Message => ({
      key: 'same-customer',
      value: encoder.encode({
        ...must(telcoEvents(1)[0], 'a telco event'),
        customerid: `${n}${'Y'.repeat(600_000)}`,
        tenure: -5,
      }),
      partition,
    });
    const valid = telcoEvents(30);

    const { worker, predictions, deadLetters, inputs, producer } = await readyWorker(stream);
    await producer.send({
      topic: names.customers,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: [invalid(1), invalid(2)],
    });
    await producer.send({
      topic: names.customers,
      acks: -1,
      messages: onPartition(
        partition,
        valid.map((e) => eventMessage(encoder, e)),
      ),
    });
    await producer.disconnect();

    const expected = new Set(valid.map((e) => e.event_id));
    await predictions.waitForAll(expected, STALL_MS);
    await waitUntil(() => deadLetters.records.length >= 2, {
      timeoutMs: STALL_MS,
      describe: () => `${deadLetters.records.length} of 2 dead letters arrived`,
    });
    await waitForNoLag(admin, names.group, names.customers, STALL_MS);
    await Promise.all([predictions.drain(admin), deadLetters.drain(admin), inputs.drain(admin)]);

    // A read_committed reader sees each input record of the partition exactly once: as a prediction or a dead letter.
    const inputOffsets = inputs.records.filter((r) => r.partition === partition).map((r) => r.offset);
    expect(inputOffsets).toHaveLength(32);
    const predicted = predictions.records
      .filter((r) => r.value.source_partition === partition)
      .map((r) => String(r.value.source_offset));
    const accounted = [...predicted, ...deadLetterOffsets(deadLetters.records, partition)];
    expect([...accounted].sort()).toEqual([...inputOffsets].sort());
    expect(new Set(accounted).size).toBe(accounted.length);

    for (const letter of deadLetters.records) {
      expect(letter.headers['churn.error.type']).toBe('invalid-customer');
      expect(letter.headers['churn.error.message']).toContain('tenure');
      const source = must(
        inputs.records.find((r) => r.offset === letter.headers['churn.source.offset'] && r.partition === partition),
        `the input record of the dead letter at offset ${letter.headers['churn.source.offset']}`,
      );
      const value = must(letter.rawValue, 'the value of the dead letter');
      const sourceValue = must(source.rawValue, 'the value of the input record');
      expect(letter.headers['churn.original.value.bytes']).toBe(String(sourceValue.length));
      expect(value.equals(sourceValue.subarray(0, value.length))).toBe(true);
    }
    expect((await groupLag(admin, names.group, names.customers)).total).toBe(0);
    expect(worker.running).toBe(true);
  });
});

describe('output topics with a smaller max.message.bytes', () => {
  test('creates its topics with max.message.bytes and refuses to start when an output topic takes less', async ({
    stream,
  }) => {
    const { names, admin } = stream;
    await admin.createTopics({
      topics: [
        {
          topic: names.deadLetter,
          numPartitions: 3,
          replicationFactor: 1,
          configEntries: [{ name: 'max.message.bytes', value: '100000' }],
        },
      ],
      waitForLeaders: true,
    });
    const worker = stream.startWorker();
    const status = await worker.waitForExit(90_000);
    expect(status.code, worker.tail()).toBe(1);
    expect(worker.log()).toMatch(
      new RegExp(
        `churn-scorer: topic ${names.deadLetter.replaceAll('.', '\\.')} has max\\.message\\.bytes=100000, below stream\\.transactionMaxBytes \\(${TRANSACTION_MAX_BYTES}\\)`,
      ),
    );
    expect(worker.log(), 'one line, no stack trace').not.toMatch(/\n\s+at /);

    for (const topic of [names.predictions, names.shadow]) {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }],
      });
      const entry = described.resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes');
      expect(entry?.configValue, `the worker created ${topic} with an explicit limit`).toBe(
        BROKER_DEFAULT_MAX_MESSAGE_BYTES,
      );
      expect(entry?.isDefault).toBe(false);
    }
  });

  test('stops with a clear error, instead of retrying forever, when the broker refuses a batch as too large', async ({
    stream,
  }) => {
    const { names, admin } = stream;
    await stream.createTopics();
    const encoder = await customerEventEncoder(names.customers);
    const worker = stream.startWorker();
    await worker.waitForReady();
    // Lowered behind the worker's back, after its start-up check: only the broker can tell now.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: names.deadLetter,
          configEntries: [{ name: 'max.message.bytes', value: '100000' }],
        },
      ],
    });
    const producer = await stream.producer();
    await producer.send({
      topic: names.customers,
      acks: -1,
      messages: [
        {
          key: 'k',
          value: encoder.encode({
            ...must(telcoEvents(1)[0], 'a telco event'),
            customerid: 'Z'.repeat(300_000),
            tenure: -1,
          }),
        },
      ],
    });
    await producer.disconnect();

    const status = await worker.waitForExit(STALL_MS);
    expect(status.code, worker.tail()).toBe(1);
    const log = worker.log();
    expect(log).toContain('OutputTooLargeError');
    expect(log).toMatch(
      new RegExp(
        `refused the output of ${names.customers.replaceAll('.', '\\.')}\\[\\d\\] as too large: ${names.deadLetter.replaceAll('.', '\\.')} \\(\\d+ bytes\\)`,
      ),
    );
    expect(log).toContain(`stream.transactionMaxBytes (${TRANSACTION_MAX_BYTES} bytes)`);
  });
});
