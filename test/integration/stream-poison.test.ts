import { randomBytes, randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import { describe, expect } from 'vitest';
import { AvroEncoder } from '../../src/serde/avro-encoder.js';
import type { CustomerEvent } from '../../src/serde/avro-records.js';
import { customerEventSchema, parseSchema } from '../../src/serde/schema-files.js';
import { frame } from '../../src/serde/wire-format.js';
import { describeAudit } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, registryClient, telcoEvents } from '../support/events.js';
import { waitForNoLag } from '../support/kafka.js';
import { metricValue } from '../support/metrics.js';
import { must } from '../support/must.js';
import type { StreamNames } from '../support/names.js';
import { test } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

const GOOD = 10_000;
const MAX_RECORD_BYTES = 4096;

interface BadRecord {
  kind: string;
  /** churn.error.type the dead letter must carry */
  expectedType: string;
  message: Message;
}

/** Writer schemas a misbehaving upstream might use, registered under subjects of their own. */
async function foreignEncoders(names: StreamNames): Promise<{
  unrelated: AvroEncoder<unknown>;
  missingTenure: AvroEncoder<unknown>;
  withTags: AvroEncoder<unknown>;
}> {
  const registry = registryClient();
  const unrelated = parseSchema({
    type: 'record',
    name: 'InvoiceIssued',
    namespace: 'billing',
    fields: [
      { name: 'invoice_id', type: 'string' },
      { name: 'amount', type: 'double' },
    ],
  });
  const full = JSON.parse(customerEventSchema().text) as { fields: { name: string }[] };
  const missingTenure = parseSchema({ ...full, fields: full.fields.filter((f) => f.name !== 'tenure') });
  // A version BACKWARD allows (an extra field with a default) that the reader skips.
  const withTags = parseSchema({
    ...full,
    fields: [...full.fields, { name: 'tags', type: { type: 'array', items: 'string' }, default: [] }],
  });
  return {
    unrelated: await AvroEncoder.create({
      registry,
      subject: `test.${names.suffix}.invoices-value`,
      schema: unrelated,
      autoRegister: true,
    }),
    missingTenure: await AvroEncoder.create({
      registry,
      subject: `test.${names.suffix}.customers-v0-value`,
      schema: missingTenure,
      autoRegister: true,
    }),
    withTags: await AvroEncoder.create({
      registry,
      subject: `test.${names.suffix}.customers-v2-value`,
      schema: withTags,
      autoRegister: true,
    }),
  };
}

/** At least 8 kinds of bad record, 3 of each, every one with a unique key so its dead letter can be found. */
async function badRecords(names: StreamNames, encoder: AvroEncoder<CustomerEvent>): Promise<BadRecord[]> {
  const { unrelated, missingTenure, withTags } = await foreignEncoders(names);
  const [sample] = telcoEvents(1) as [CustomerEvent];
  const valid = encoder.encode(sample);
  const withoutTenure = (() => {
    const { tenure: _tenure, ...rest } = sample;
    return rest;
  })();
  const kinds: { kind: string; expectedType: string; value: () => Buffer | null }[] = [
    { kind: 'null-value', expectedType: 'empty', value: () => null },
    { kind: 'zero-bytes', expectedType: 'empty', value: () => Buffer.alloc(0) },
    {
      kind: 'random-bytes-bogus-id',
      expectedType: 'unknown-schema-id',
      value: () => Buffer.concat([Buffer.from([0, 0x7f, 0xee, 0xdd, 0xcc]), randomBytes(64)]),
    },
    {
      kind: 'other-magic-byte',
      expectedType: 'unknown-magic-byte',
      value: () => Buffer.concat([Buffer.from([1]), valid.subarray(1)]),
    },
    { kind: 'json-text', expectedType: 'unknown-magic-byte', value: () => Buffer.from(JSON.stringify(sample)) },
    {
      kind: 'unknown-schema-id',
      expectedType: 'unknown-schema-id',
      value: () => frame(999_999_999, valid.subarray(5)),
    },
    { kind: 'truncated-body', expectedType: 'truncated', value: () => valid.subarray(0, Math.floor(valid.length / 2)) },
    { kind: 'truncated-header', expectedType: 'truncated', value: () => valid.subarray(0, 3) },
    {
      kind: 'trailing-bytes',
      expectedType: 'trailing-bytes',
      value: () => Buffer.concat([valid, Buffer.from([1, 2, 3])]),
    },
    {
      kind: 'wrong-schema',
      expectedType: 'schema-mismatch',
      value: () => unrelated.encode({ invoice_id: 'INV-1', amount: 12.5 }),
    },
    { kind: 'missing-field', expectedType: 'schema-mismatch', value: () => missingTenure.encode(withoutTenure) },
    {
      // The empty `tags` array's end marker replaced by a block header (count -1, byte size -2) that
      // points back at itself: avsc's skip of the field would loop forever.
      kind: 'array-block-backwards',
      expectedType: 'invalid-avro',
      value: () => {
        const bytes = withTags.encode({ ...sample, tags: [] });
        return Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.from([0x01, 0x03])]);
      },
    },
    {
      kind: 'negative-tenure',
      expectedType: 'invalid-customer',
      value: () => encoder.encode({ ...sample, tenure: -5 }),
    },
    {
      kind: 'negative-monthlycharges',
      expectedType: 'invalid-customer',
      value: () => encoder.encode({ ...sample, monthlycharges: -20 }),
    },
    {
      kind: 'bad-seniorcitizen',
      expectedType: 'invalid-customer',
      value: () => encoder.encode({ ...sample, seniorcitizen: 7 }),
    },
    {
      kind: 'oversize',
      expectedType: 'oversize',
      value: () => encoder.encode({ ...sample, customerid: 'X'.repeat(MAX_RECORD_BYTES) }),
    },
  ];
  const out: BadRecord[] = [];
  for (const k of kinds) {
    for (let i = 0; i < 3; i++) {
      out.push({
        kind: k.kind,
        expectedType: k.expectedType,
        message: {
          key: `bad-${k.kind}-${i}-${randomUUID().slice(0, 6)}`,
          value: k.value(),
          headers: { 'x-test-kind': k.kind },
        },
      });
    }
  }
  return out;
}

describe('stream poison records', () => {
  test('dead-letters every bad record with its reason and scores every good one once; lag back to 0', async ({
    stream,
  }) => {
    const { names, admin } = stream;
    await stream.createTopics();
    const encoder = await customerEventEncoder(names.customers);
    const good = telcoEvents(GOOD);
    const bad = await badRecords(names, encoder);
    // Mix the bad ones in at random places.
    const messages: Message[] = good.map((e) => eventMessage(encoder, e));
    for (const b of bad) messages.splice(Math.floor(Math.random() * (messages.length + 1)), 0, b.message);

    const worker = stream.startWorker({ env: { MAX_RECORD_BYTES: String(MAX_RECORD_BYTES) } });
    const predictions = await stream.collectPredictions();
    const deadLetters = await stream.collectDeadLetters();
    const inputs = await stream.collectInputs();
    await worker.waitForReady();
    await stream.sendEvents(messages);

    const expected = new Set(good.map((e) => e.event_id));
    await predictions.waitForAll(expected, 150_000);
    await waitUntil(() => deadLetters.records.length >= bad.length, {
      timeoutMs: 30_000,
      describe: () => `${deadLetters.records.length} of ${bad.length} dead letters arrived`,
    });
    await waitForNoLag(admin, names.group, names.customers, 30_000);
    await predictions.drain(admin);
    await deadLetters.drain(admin);
    await inputs.drain(admin);

    const audit = predictions.audit(expected);
    expect(audit.missing.length + audit.duplicated.length + audit.unexpected.length, describeAudit(audit)).toBe(0);

    // Each bad record: exactly one dead letter, right reason, bytes untouched, pointing at its source.
    const sourceByKey = new Map(inputs.records.map((r) => [r.key ?? '', r]));
    const lettersByKey = new Map<string, typeof deadLetters.records>();
    for (const letter of deadLetters.records) {
      const key = letter.key ?? '';
      lettersByKey.set(key, [...(lettersByKey.get(key) ?? []), letter]);
    }
    const problems: string[] = [];
    for (const b of bad) {
      const key = String(b.message.key);
      const letters = lettersByKey.get(key) ?? [];
      if (letters.length !== 1) {
        problems.push(`${b.kind} ${key}: ${letters.length} dead letters`);
        continue;
      }
      const letter = must(letters[0], `the dead letter of ${key}`);
      const source = sourceByKey.get(key);
      const h = letter.headers;
      if (h['churn.error.type'] !== b.expectedType) {
        problems.push(
          `${b.kind}: churn.error.type=${h['churn.error.type']}, expected ${b.expectedType} (${h['churn.error.message']})`,
        );
      }
      if (!h['churn.error.message']) problems.push(`${b.kind}: no churn.error.message`);
      if (letter.rawKey?.toString('utf8') !== key) problems.push(`${b.kind}: key changed`);
      const sentValue = b.message.value as Buffer | null;
      const valueSame =
        sentValue === null ? letter.rawValue === null : letter.rawValue !== null && sentValue.equals(letter.rawValue);
      if (!valueSame)
        problems.push(
          `${b.kind}: value bytes changed (${sentValue?.length ?? 'null'} -> ${letter.rawValue?.length ?? 'null'})`,
        );
      if (h['x-test-kind'] !== b.kind) problems.push(`${b.kind}: original headers not kept`);
      if (h['churn.source.topic'] !== names.customers)
        problems.push(`${b.kind}: churn.source.topic=${h['churn.source.topic']}`);
      if (source === undefined) {
        problems.push(`${b.kind}: not found in the input topic`);
      } else {
        if (h['churn.source.partition'] !== String(source.partition)) {
          problems.push(`${b.kind}: churn.source.partition=${h['churn.source.partition']}, was ${source.partition}`);
        }
        if (h['churn.source.offset'] !== source.offset)
          problems.push(`${b.kind}: churn.source.offset=${h['churn.source.offset']}, was ${source.offset}`);
        if (h['churn.source.timestamp'] !== source.timestamp)
          problems.push(`${b.kind}: churn.source.timestamp differs`);
      }
      if (!h['churn.scorer.version']) problems.push(`${b.kind}: no churn.scorer.version`);
    }
    const badKeys = new Set(bad.map((b) => String(b.message.key)));
    const strays = deadLetters.records.filter((r) => !badKeys.has(r.key ?? ''));
    if (strays.length > 0)
      problems.push(`${strays.length} good records dead-lettered, e.g. ${strays[0]?.headers['churn.error.message']}`);
    expect(problems, 'dead letters').toEqual([]);

    const metrics = (await worker.get('/metrics')).body;
    const byType = new Map<string, number>();
    for (const b of bad) byType.set(b.expectedType, (byType.get(b.expectedType) ?? 0) + 1);
    for (const [type, count] of byType) {
      expect(metricValue(metrics, 'churn_stream_dead_letters_total', { source: 'live', reason: type }), type).toBe(
        count,
      );
    }
    expect(metricValue(metrics, 'churn_stream_records_consumed_total', { source: 'live' })).toBe(GOOD + bad.length);
  });
});
