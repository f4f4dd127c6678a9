import avro from 'avsc';
import type { KafkaMessage } from 'kafkajs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createValidationRules } from '../../../src/contract/validation-rules.js';
import type { ChurnModel } from '../../../src/model/index.js';
import { DECODE_REASONS, type DecodeReason } from '../../../src/serde/decode-error.js';
import { SchemaRegistryError } from '../../../src/serde/schema-registry.js';
import { customerEventSchema } from '../../../src/serde/schema-files.js';
import { frame } from '../../../src/serde/wire-format.js';
import { DLQ_HEADERS, MAX_ERROR_MESSAGE_CHARS } from '../../../src/stream/dead-letter.js';
import { messageBytes, transactionOutputBudget } from '../../../src/stream/output-size.js';
import { PREDICTION_HEADERS } from '../../../src/stream/prediction-record.js';
import {
  recordDecision,
  type DecideRecord,
  type PredictionEncoder,
  type RecordDecisionDeps,
  type RecordOutcome,
  type RejectedRecord,
  type ScoredRecord,
} from '../../../src/stream/record-decision.js';
import { realModel } from '../http/http-test-support.js';
import { sampleCustomerEvent } from '../serde/sample-events.js';
import { inputRecord, testCodec } from './pipeline-harness.js';

const TOPIC = 'customers';
const PARTITION = 3;
const SCORED_AT = 1_800_000_000_000;
const BUDGET = transactionOutputBudget(524_288);

let model: ChurnModel;
beforeAll(async () => {
  model = await realModel();
});

let codec: ReturnType<typeof testCodec>;
beforeEach(() => {
  codec = testCodec();
});

function decider(overrides: Partial<RecordDecisionDeps> = {}): DecideRecord {
  return recordDecision({
    decoder: codec.decoder,
    encoder: codec.encoder,
    model,
    rules: createValidationRules({ categories: model.meta.categories, strictCategories: false }),
    scorerVersion: 'churn-scorer/test',
    now: () => SCORED_AT,
    replay: false,
    maxRecordBytes: 1_048_576,
    outputBudget: BUDGET,
    ...overrides,
  });
}

async function decideOne(decide: DecideRecord, record: KafkaMessage): Promise<RecordOutcome> {
  return decide(record, TOPIC, PARTITION);
}

async function rejectedOne(decide: DecideRecord, record: KafkaMessage): Promise<RejectedRecord> {
  const outcome = await decideOne(decide, record);
  if (outcome.ok) throw new Error(`expected a dead letter for offset ${record.offset}, got a prediction`);
  return outcome;
}

async function scoredOne(decide: DecideRecord, record: KafkaMessage): Promise<ScoredRecord> {
  const outcome = await decideOne(decide, record);
  if (!outcome.ok)
    throw new Error(`expected a prediction, got ${outcome.rejection.kind}: ${outcome.rejection.message}`);
  return outcome;
}

type RecordSchema = {
  type: 'record';
  name: string;
  namespace?: string;
  fields: { name: string; type: unknown; default?: unknown }[];
};

/** Bytes that fail decoding for each reason; the registry is set up for those that need a schema. */
const badBytes: Record<DecodeReason, () => Buffer | null> = {
  empty: () => null,
  'unknown-magic-byte': () => Buffer.from([1, 0, 0, 0, 1, 2, 3]),
  truncated: () => Buffer.from([0, 0, 0]),
  'unknown-schema-id': () => frame(999, Buffer.from([0])),
  'schema-mismatch': () => {
    const invoice: RecordSchema = {
      type: 'record',
      name: 'Invoice',
      namespace: 'billing',
      fields: [{ name: 'amount', type: 'double' }],
    };
    codec.registry.put(500, JSON.stringify(invoice));
    return frame(500, avro.Type.forSchema(invoice as avro.Schema).toBuffer({ amount: 12.5 }));
  },
  'invalid-avro': () => {
    const evolved = JSON.parse(customerEventSchema().text) as RecordSchema;
    evolved.fields.push({ name: 'loyalty_tier', type: ['null', 'string'], default: null });
    codec.registry.put(504, JSON.stringify(evolved));
    const good = frame(
      504,
      avro.Type.forSchema(evolved as avro.Schema).toBuffer({ ...sampleCustomerEvent(9), loyalty_tier: null }),
    );
    // The union branch index is the record's last byte: 0x0e is branch 7 of 2.
    good[good.length - 1] = 0x0e;
    return good;
  },
  'trailing-bytes': () => Buffer.concat([codec.encode(sampleCustomerEvent(1)), Buffer.from([0])]),
};

describe('the per-record decision: a prediction or a dead letter saying why', () => {
  it('scores a valid customer into a prediction keyed by customerid, carrying where it came from', async () => {
    const event = sampleCustomerEvent(7);
    const record = inputRecord(41, codec.encode(event));
    record.headers = { traceparent: '00-abc-def-01', other: 'x' };
    const outcome = await scoredOne(decider({ replay: true }), record);

    expect(outcome.message.key).toBe(event.customerid);
    expect(outcome.message.headers).toEqual({
      [PREDICTION_HEADERS.modelVersion]: model.meta.version,
      traceparent: '00-abc-def-01',
    });
    expect(outcome.bytes).toBe(messageBytes(outcome.message));
    expect(outcome.eventTime).toBe(event.event_time);
    const prediction = await codec.decodePrediction(outcome.message.value as Buffer);
    expect(prediction).toMatchObject({
      customerid: event.customerid,
      event_id: event.event_id,
      churn: outcome.churn,
      replay: true,
      scored_at: SCORED_AT,
      source_topic: TOPIC,
      source_partition: PARTITION,
      source_offset: 41,
      model_version: model.meta.version,
    });
    expect(outcome.churn).toBe(prediction.churn_probability >= model.meta.threshold);
  });

  it.each(DECODE_REASONS)('dead-letters bytes that fail decoding as %s, with the original bytes', async (reason) => {
    const value = badBytes[reason]();
    const record = inputRecord(12, value, 'k-12');
    const { rejection, message, bytes } = await rejectedOne(decider(), record);

    expect(rejection.kind).toBe(reason);
    expect(rejection.message).toMatch(new RegExp(`^${reason}: `));
    expect(message.key).toEqual(Buffer.from('k-12'));
    expect(message.value).toBe(value);
    expect(message.headers).toMatchObject({
      [DLQ_HEADERS.errorType]: reason,
      [DLQ_HEADERS.errorMessage]: rejection.message,
      [DLQ_HEADERS.sourceTopic]: TOPIC,
      [DLQ_HEADERS.sourcePartition]: String(PARTITION),
      [DLQ_HEADERS.sourceOffset]: '12',
      [DLQ_HEADERS.scorerVersion]: 'churn-scorer/test',
    });
    expect(bytes).toBe(messageBytes(message));
  });

  it('dead-letters a customer that fails the contract as invalid-customer, naming the field', async () => {
    const { rejection } = await rejectedOne(
      decider(),
      inputRecord(0, codec.encode({ ...sampleCustomerEvent(0), tenure: -5 })),
    );
    expect(rejection.kind).toBe('invalid-customer');
    expect(rejection.message).toMatch(/^tenure: /);
  });

  it('dead-letters a record over maxRecordBytes as oversize without decoding it', async () => {
    const value = codec.encode(sampleCustomerEvent(0));
    const { rejection } = await rejectedOne(decider({ maxRecordBytes: value.length - 1 }), inputRecord(0, value));
    expect(rejection).toEqual({
      kind: 'oversize',
      message: `value is ${value.length} bytes, over the limit of ${value.length - 1}`,
    });
    expect(codec.registry.calls.getSchemaById).toBe(0);
  });

  it('dead-letters a valid customer whose prediction is over the output budget as oversize-output', async () => {
    const small = 2_000;
    const record = inputRecord(0, codec.encode({ ...sampleCustomerEvent(0), customerid: 'C'.repeat(small) }));
    const { rejection, bytes } = await rejectedOne(decider({ outputBudget: small }), record);
    expect(rejection.kind).toBe('oversize-output');
    expect(rejection.message).toMatch(
      new RegExp(`the prediction is \\d+ bytes, over the ${small} a transaction may carry`),
    );
    // the dead letter itself is cut to the budget
    expect(bytes).toBeLessThanOrEqual(small);
  });

  it('dead-letters as score-failed when the model throws, and when the encoder does', async () => {
    const throwing: ChurnModel = {
      meta: model.meta,
      score: () => {
        throw new Error('coefficients are NaN');
      },
      scoreInto: (customers, out) => model.scoreInto(customers, out),
      isChurn: (p) => model.isChurn(p),
      unknownCategories: (c) => model.unknownCategories(c),
    };
    const record = inputRecord(0, codec.encode(sampleCustomerEvent(0)));
    expect((await rejectedOne(decider({ model: throwing }), record)).rejection).toEqual({
      kind: 'score-failed',
      message: 'coefficients are NaN',
    });

    const broken: PredictionEncoder = {
      encode: () => {
        throw new Error('no such field: churn');
      },
    };
    expect((await rejectedOne(decider({ encoder: broken }), record)).rejection).toEqual({
      kind: 'score-failed',
      message: 'cannot encode the prediction: no such field: churn',
    });
  });

  it('cuts a long reason to MAX_ERROR_MESSAGE_CHARS, in the rejection and the header alike', async () => {
    const verbose: PredictionEncoder = {
      encode: () => {
        throw new Error('x'.repeat(10_000));
      },
    };
    const record = inputRecord(0, codec.encode(sampleCustomerEvent(0)));
    const { rejection, message } = await rejectedOne(decider({ encoder: verbose }), record);
    expect(rejection.message.length).toBeLessThan(MAX_ERROR_MESSAGE_CHARS + 20);
    expect(rejection.message).toMatch(/^cannot encode the prediction: x+/);
    // the header is that same text, saying how long the whole reason was (not how long its clipped copy was)
    expect(message.headers?.[DLQ_HEADERS.errorMessage]).toBe(rejection.message);
    expect(rejection.message).toMatch(/\(10030 chars\)$/);
  });
});

describe('no promise per record once the writer schema is known', () => {
  it('asks the registry for a writer schema once, then decides synchronously', async () => {
    const decide = decider();
    const first = decide(inputRecord(0, codec.encode(sampleCustomerEvent(0))), TOPIC, PARTITION);
    expect(first).toBeInstanceOf(Promise);
    expect((await first).ok).toBe(true);

    for (let i = 1; i <= 3; i++) {
      const later = decide(inputRecord(i, codec.encode(sampleCustomerEvent(i))), TOPIC, PARTITION);
      expect(later).not.toBeInstanceOf(Promise);
      expect((later as RecordOutcome).ok).toBe(true);
    }
    // bad bytes of a known schema are dead-lettered synchronously too
    const bad = decide(
      inputRecord(9, Buffer.concat([codec.encode(sampleCustomerEvent(9)), Buffer.from([0])])),
      TOPIC,
      PARTITION,
    );
    expect(bad).not.toBeInstanceOf(Promise);
    expect(codec.registry.calls.getSchemaById).toBe(1);
  });

  it('throws a registry outage instead of dead-lettering: the record is fine, the transaction is retried', async () => {
    codec.registry.outage = 'connection-refused';
    const decide = decider();
    const record = inputRecord(0, codec.encode(sampleCustomerEvent(0)));
    await expect(Promise.resolve().then(() => decide(record, TOPIC, PARTITION))).rejects.toBeInstanceOf(
      SchemaRegistryError,
    );

    codec.registry.outage = undefined;
    expect((await decideOne(decide, record)).ok).toBe(true);
  });
});
