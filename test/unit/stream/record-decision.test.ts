import avro from 'avsc';
import type { KafkaMessage, Message } from 'kafkajs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateCustomer, type ValidationRules } from '../../../src/contract/customer.js';
import type { ChurnModel } from '../../../src/model/index.js';
import { assignVariant } from '../../../src/rollout/assign-variant.js';
import { DECODE_REASONS, type DecodeReason } from '../../../src/serde/decode-error.js';
import { SchemaRegistryError } from '../../../src/serde/schema-registry.js';
import { customerEventSchema } from '../../../src/serde/schema-files.js';
import { frame, parseFrame } from '../../../src/serde/wire-format.js';
import { DLQ_HEADERS, MAX_ERROR_MESSAGE_CHARS } from '../../../src/stream/dead-letter.js';
import { messageBytes, transactionOutputBudget } from '../../../src/stream/output-size.js';
import { COMPARE_HEADERS, PREDICTION_HEADERS } from '../../../src/stream/prediction-record.js';
import {
  recordDecision,
  type PredictionEncoder,
  type RecordDecisionDeps,
  type RecordOutcome,
  type RejectedRecord,
  type ScoredRecord,
} from '../../../src/stream/record-decision.js';
import {
  fixedServingSetSource,
  servingModel,
  singleModelServingSet,
  type ServingSet,
} from '../../../src/serving/serving-set.js';
import { realModel } from '../http/http-test-support.js';
import { sampleCustomerEvent } from '../serde/sample-events.js';
import { inputRecord, SHADOW_PREDICTION_SCHEMA_ID, PREDICTION_SCHEMA_ID, testCodec } from './pipeline-harness.js';
import { committedModel, servingSet, throwingModel } from '../../support/serving-sets.js';

const TOPIC = 'customers';
const PARTITION = 3;
const SCORED_AT = 1_800_000_000_000;
const BUDGET = transactionOutputBudget(524_288);

let model: ChurnModel;
let candidate: ChurnModel;
beforeAll(async () => {
  model = await realModel();
  candidate = await committedModel('1.1.0');
});

let codec: ReturnType<typeof testCodec>;
beforeEach(() => {
  codec = testCodec();
});

/** Decides one record of TOPIC[PARTITION] with the serving set given (or, by default, `model` alone as champion). */
type Decide = (record: KafkaMessage) => RecordOutcome | Promise<RecordOutcome>;

function decider(overrides: Partial<RecordDecisionDeps> = {}, set?: ServingSet): Decide {
  const decide = recordDecision({
    decoder: codec.decoder,
    encoder: codec.encoder,
    shadowEncoder: codec.shadowEncoder,
    scorerVersion: 'churn-scorer/test',
    now: () => SCORED_AT,
    replay: false,
    maxRecordBytes: 1_048_576,
    outputBudget: BUDGET,
    reasons: true,
    ...overrides,
  });
  const serving = fixedServingSetSource(set ?? singleModelServingSet(servingModel(model, false)));
  return (record) => decide(record, TOPIC, PARTITION, serving.current());
}

async function decideOne(decide: Decide, record: KafkaMessage): Promise<RecordOutcome> {
  return decide(record);
}

async function rejectedOne(decide: Decide, record: KafkaMessage): Promise<RejectedRecord> {
  const outcome = await decideOne(decide, record);
  if (outcome.ok) throw new Error(`expected a dead letter for offset ${record.offset}, got a prediction`);
  return outcome;
}

async function scoredOne(decide: Decide, record: KafkaMessage): Promise<ScoredRecord> {
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
    const live = outcome.live as Message;

    expect(live.key).toBe(event.customerid);
    expect(live.headers).toEqual({
      [PREDICTION_HEADERS.modelVersion]: model.meta.version,
      [PREDICTION_HEADERS.variant]: 'champion',
      [PREDICTION_HEADERS.rolloutRevision]: '0',
      traceparent: '00-abc-def-01',
    });
    expect(outcome.bytes).toBe(messageBytes(live));
    expect(outcome.shadows).toEqual([]);
    expect(outcome.eventTime).toBe(event.event_time);
    expect(parseFrame(live.value as Buffer)).toMatchObject({ schemaId: PREDICTION_SCHEMA_ID });
    const prediction = await codec.decodePrediction(live.value as Buffer);
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
      variant: 'champion',
      rollout_revision: 0,
    });
    expect(outcome.churn).toBe(prediction.churn_probability >= model.meta.threshold);
    expect(outcome).toMatchObject({ variant: 'champion', version: '1.0.0', score: prediction.churn_probability });
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

  it('dead-letters a customer with an empty customerid as invalid-customer: it would key and assign nobody', async () => {
    const { rejection } = await rejectedOne(
      decider(),
      inputRecord(0, codec.encode({ ...sampleCustomerEvent(0), customerid: '' })),
    );
    expect(rejection.kind).toBe('invalid-customer');
    expect(rejection.message).toMatch(/^customerid: must be a non-empty string/);
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
    const throwing = throwingModel(model, '1.0.0', 'coefficients are NaN');
    const record = inputRecord(0, codec.encode(sampleCustomerEvent(0)));
    const broken = servingSet(0, { champion: '1.0.0' }, [throwing]);
    expect((await rejectedOne(decider({}, broken), record)).rejection).toEqual({
      kind: 'score-failed',
      message: 'coefficients are NaN',
    });

    const failing: PredictionEncoder = {
      encode: () => {
        throw new Error('no such field: churn');
      },
    };
    expect((await rejectedOne(decider({ encoder: failing }), record)).rejection).toEqual({
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
    const first = decide(inputRecord(0, codec.encode(sampleCustomerEvent(0))));
    expect(first).toBeInstanceOf(Promise);
    expect((await first).ok).toBe(true);

    for (let i = 1; i <= 3; i++) {
      const later = decide(inputRecord(i, codec.encode(sampleCustomerEvent(i))));
      expect(later).not.toBeInstanceOf(Promise);
      expect((later as RecordOutcome).ok).toBe(true);
    }
    // bad bytes of a known schema are dead-lettered synchronously too
    const bad = decide(inputRecord(9, Buffer.concat([codec.encode(sampleCustomerEvent(9)), Buffer.from([0])])));
    expect(bad).not.toBeInstanceOf(Promise);
    expect(codec.registry.calls.getSchemaById).toBe(1);
  });

  it('throws a registry outage instead of dead-lettering: the record is fine, the transaction is retried', async () => {
    codec.registry.outage = 'connection-refused';
    const decide = decider();
    const record = inputRecord(0, codec.encode(sampleCustomerEvent(0)));
    await expect(Promise.resolve().then(() => decide(record))).rejects.toBeInstanceOf(SchemaRegistryError);

    codec.registry.outage = undefined;
    expect((await decideOne(decide, record)).ok).toBe(true);
  });
});

/** Valid customers 0..n-1 as records of the input topic. */
function customers(n: number): { event: ReturnType<typeof sampleCustomerEvent>; record: KafkaMessage }[] {
  return Array.from({ length: n }, (_, i) => {
    const event = sampleCustomerEvent(i);
    return { event, record: inputRecord(i, codec.encode(event)) };
  });
}

describe('the rollout: who serves each customer, and the shadows on the side', () => {
  it("serves each customer with assignVariant's model, naming the variant and the revision in value and headers", async () => {
    const set = servingSet(4, { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'canary', weight: 50 }] }, [
      model,
      candidate,
    ]);
    const decide = decider({}, set);
    const seen = new Set<string>();
    for (const { event, record } of customers(60)) {
      const outcome = await scoredOne(decide, record);
      const live = outcome.live as Message;
      const expected = assignVariant(set.rollout, event.customerid);
      const scoredBy = expected.version === '1.0.0' ? model : candidate;
      const prediction = await codec.decodePrediction(live.value as Buffer);
      expect(prediction).toMatchObject({
        variant: expected.variant,
        model_version: expected.version,
        rollout_revision: 4,
        threshold: scoredBy.meta.threshold,
      });
      expect(live.headers).toMatchObject({
        [PREDICTION_HEADERS.modelVersion]: expected.version,
        [PREDICTION_HEADERS.variant]: expected.variant,
        [PREDICTION_HEADERS.rolloutRevision]: '4',
      });
      const validated = validateCustomer(event, set.models.get(expected.version)?.rules as ValidationRules);
      if (!validated.ok) throw new Error('sample customers are valid');
      expect(prediction.churn_probability).toBe(scoredBy.score(validated.customer));
      expect(outcome).toMatchObject({ variant: expected.variant, version: expected.version, shadowScores: [] });
      seen.add(expected.variant);
    }
    // both variants occur among 60 customers at 50 %, so the assertions above covered both models
    expect([...seen].sort()).toEqual(['canary', 'champion']);
  });

  it("scores every shadow on every customer, whichever variant serves it, into the shadow topic's messages, same key and source", async () => {
    const set = servingSet(
      9,
      {
        champion: '1.0.0',
        challengers: [{ version: '1.1.0', kind: 'ab', weight: 30 }],
        shadows: ['1.1.0-shadow'],
      },
      [model, candidate, { ...candidate, meta: { ...candidate.meta, version: '1.1.0-shadow' } }],
    );
    const decide = decider({ replay: false }, set);
    const served = new Map<string, number>();
    for (const { event, record } of customers(40)) {
      const outcome = await scoredOne(decide, record);
      served.set(outcome.variant, (served.get(outcome.variant) ?? 0) + 1);
      const [shadow, ...more] = outcome.shadows;
      expect(more).toEqual([]);
      if (shadow === undefined) throw new Error(`a ${outcome.variant}-served customer has its shadow prediction`);
      expect(shadow.key).toBe(event.customerid);
      expect(parseFrame(shadow.value as Buffer)).toMatchObject({ schemaId: SHADOW_PREDICTION_SCHEMA_ID });
      const value = await codec.decodePrediction(shadow.value as Buffer);
      const live = await codec.decodePrediction((outcome.live as Message).value as Buffer);
      expect(value).toMatchObject({
        variant: 'shadow',
        model_version: '1.1.0-shadow',
        rollout_revision: 9,
        event_id: event.event_id,
        source_topic: TOPIC,
        source_partition: PARTITION,
        source_offset: Number(record.offset),
        scored_at: live.scored_at,
        replay: false,
      });
      expect(shadow.headers).toMatchObject({
        [PREDICTION_HEADERS.modelVersion]: '1.1.0-shadow',
        [PREDICTION_HEADERS.variant]: 'shadow',
        [PREDICTION_HEADERS.rolloutRevision]: '9',
      });
      // the shadow is its own model (here the A/B arm's weights under another version): its own score, reported
      // next to the live one for the comparison
      const validated = validateCustomer(event, set.models.get('1.0.0')?.rules as ValidationRules);
      if (!validated.ok) throw new Error('sample customers are valid');
      expect(value.churn_probability).toBe(candidate.score(validated.customer));
      if (outcome.variant === 'champion') expect(value.churn_probability).not.toBe(live.churn_probability);
      expect(outcome.shadowScores).toEqual([value.churn_probability]);
      expect(outcome.score).toBe(live.churn_probability);
      expect(outcome.shadowBytes).toBe(messageBytes(shadow));
      expect(outcome.bytes).toBe(messageBytes(outcome.live as Message) + messageBytes(shadow));
    }
    expect(served.get('champion')).toBeGreaterThan(10);
    expect(served.get('ab')).toBeGreaterThan(5);
  });

  it('keeps the live prediction when a shadow fails on a valid record: NaN score, a failure named, no shadow message', async () => {
    const broken = throwingModel(candidate, '2.0.0-rc1', 'weights file truncated');
    const set = servingSet(2, { champion: '1.0.0', shadows: ['2.0.0-rc1', '1.1.0'] }, [model, candidate, broken]);
    const [first] = customers(1);
    if (first === undefined) throw new Error('one customer');
    const outcome = await scoredOne(decider({}, set), first.record);

    expect(outcome.live).toBeDefined();
    expect(outcome.shadows).toHaveLength(1);
    expect((await codec.decodePrediction(outcome.shadows[0]?.value as Buffer)).model_version).toBe('1.1.0');
    expect(outcome.shadowScores[0]).toBeNaN();
    expect(outcome.shadowScores[1]).toBeGreaterThan(0);
    expect(outcome.shadowFailures).toEqual([{ version: '2.0.0-rc1', message: 'weights file truncated' }]);
  });

  it('drops a shadow prediction that cannot fit a transaction next to the live one, keeping the live one', async () => {
    const event = { ...sampleCustomerEvent(3), customerid: 'K'.repeat(5_000) };
    const record = inputRecord(3, codec.encode(event));
    const alone = await scoredOne(decider(), record);
    const set = servingSet(1, { champion: '1.0.0', shadows: ['1.1.0'] }, [model, candidate]);
    const outcome = await scoredOne(decider({ outputBudget: alone.bytes + 100 }, set), record);
    expect(outcome.live).toBeDefined();
    expect(outcome.shadows).toEqual([]);
    expect(outcome.bytes).toBe(alone.bytes);
    expect(outcome.shadowFailures).toMatchObject([
      { version: '1.1.0', message: /would be over the \d+ a transaction/ },
    ]);
  });
});

describe('replay --compare: the champion and the candidate side by side, to the shadow topic only', () => {
  const compareHeaders = (version: string) => ({
    [COMPARE_HEADERS.version]: Buffer.from(version),
    [COMPARE_HEADERS.id]: Buffer.from('compare-run-1'),
  });

  it('scores a compare record of the replay topic with the champion and the requested version, no live prediction', async () => {
    // 1.1.0 is verified and available, but the rollout in force does not name it
    const set = servingSet(5, { champion: '1.0.0' }, [model, candidate]);
    const event = sampleCustomerEvent(11);
    const record = inputRecord(70, codec.encode(event));
    record.headers = { ...compareHeaders('1.1.0'), traceparent: '00-abc-def-01' };
    const outcome = await scoredOne(decider({ replay: true }, set), record);

    expect(outcome.live).toBeUndefined();
    expect(outcome.shadowBytes).toBe(outcome.bytes);
    const [champion, shadow] = await Promise.all(outcome.shadows.map((m) => codec.decodePrediction(m.value as Buffer)));
    expect(outcome.shadows).toHaveLength(2);
    expect(champion).toMatchObject({ variant: 'champion', model_version: '1.0.0', replay: true, source_offset: 70 });
    expect(shadow).toMatchObject({ variant: 'shadow', model_version: '1.1.0', replay: true, source_offset: 70 });
    expect(champion?.rollout_revision).toBe(5);
    for (const m of outcome.shadows) {
      expect(m.key).toBe(event.customerid);
      expect(parseFrame(m.value as Buffer)).toMatchObject({ schemaId: SHADOW_PREDICTION_SCHEMA_ID });
      expect(String(m.headers?.[COMPARE_HEADERS.id])).toBe('compare-run-1');
      expect(m.headers?.traceparent).toBe('00-abc-def-01');
    }
    const validated = validateCustomer(event, set.models.get('1.0.0')?.rules as ValidationRules);
    if (!validated.ok) throw new Error('sample customers are valid');
    expect(champion?.churn_probability).toBe(model.score(validated.customer));
    expect(shadow?.churn_probability).toBe(candidate.score(validated.customer));
  });

  it('dead-letters a compare record naming a version the worker has not verified as compare-model-unknown', async () => {
    const set = servingSet(5, { champion: '1.0.0' }, [model, candidate]);
    const record = inputRecord(71, codec.encode(sampleCustomerEvent(12)));
    record.headers = compareHeaders('9.9.9');
    const { rejection, message } = await rejectedOne(decider({ replay: true }, set), record);
    expect(rejection.kind).toBe('compare-model-unknown');
    expect(rejection.message).toMatch(/'9\.9\.9'.*available: 1\.0\.0, 1\.1\.0/);
    // the dead letter keeps the comparison's id, so the comparing CLI can tell it was refused
    expect(String(message.headers?.[COMPARE_HEADERS.id])).toBe('compare-run-1');
    expect(message.headers?.[DLQ_HEADERS.errorType]).toBe('compare-model-unknown');
  });

  it('ignores compare headers on the live topic: a live customer is always served', async () => {
    const set = servingSet(5, { champion: '1.0.0' }, [model, candidate]);
    const record = inputRecord(72, codec.encode(sampleCustomerEvent(13)));
    record.headers = compareHeaders('9.9.9');
    const outcome = await scoredOne(decider({ replay: false }, set), record);
    expect(outcome.live).toBeDefined();
    expect(outcome.shadows).toEqual([]);
  });
});

describe('the reasons on the predictions topic', () => {
  /** The first three of the serving model's sorted explanation, as the record writes them (numbers as String()). */
  function expectedReasons(served: ChurnModel, event: ReturnType<typeof sampleCustomerEvent>) {
    const validated = validateCustomer(event, servingModel(served, false).rules);
    if (!validated.ok) throw new Error('sample customers are valid');
    return served
      .explain(validated.customer)
      .contributions.slice(0, 3)
      .map((c) => ({ feature: c.feature, value: String(c.value), contribution: c.contribution }));
  }

  it("carries the serving model's top three reasons on every live prediction; the shadow's prediction carries none", async () => {
    const set = servingSet(
      6,
      {
        champion: '1.0.0',
        challengers: [{ version: '1.1.0', kind: 'canary', weight: 40 }],
        shadows: ['1.1.0-shadow'],
      },
      [model, candidate, { ...candidate, meta: { ...candidate.meta, version: '1.1.0-shadow' } }],
    );
    const decide = decider({}, set);
    const versions = new Set<string>();
    for (const { event, record } of customers(60)) {
      const outcome = await scoredOne(decide, record);
      const live = await codec.decodePrediction((outcome.live as Message).value as Buffer);
      const served = outcome.version === '1.0.0' ? model : candidate;
      versions.add(outcome.version);
      expect(live.reasons, event.customerid).toEqual(expectedReasons(served, event));
      expect(live.reasons).toHaveLength(3);
      for (const shadow of outcome.shadows) {
        expect((await codec.decodePrediction(shadow.value as Buffer)).reasons).toEqual([]);
      }
    }
    expect(versions).toEqual(new Set(['1.0.0', '1.1.0']));
  });

  it('writes an empty list with reasons off (model.reasons false), a smaller record, the same score', async () => {
    const { event, record } = customers(1)[0] as ReturnType<typeof customers>[number];
    const on = await scoredOne(decider(), record);
    const off = await scoredOne(decider({ reasons: false }), record);
    const withReasons = await codec.decodePrediction((on.live as Message).value as Buffer);
    const without = await codec.decodePrediction((off.live as Message).value as Buffer);
    expect(withReasons.reasons).toEqual(expectedReasons(model, event));
    expect(without).toEqual({ ...withReasons, reasons: [] });
    expect(off.bytes).toBeLessThan(on.bytes);
  });

  it('replays to the predictions topic carry reasons; replay --compare predictions (shadow topic) carry none', async () => {
    const set = servingSet(5, { champion: '1.0.0' }, [model, candidate]);
    const { event, record } = customers(1)[0] as ReturnType<typeof customers>[number];
    const replayed = await scoredOne(decider({ replay: true }, set), record);
    const live = await codec.decodePrediction((replayed.live as Message).value as Buffer);
    expect(live).toMatchObject({ replay: true, reasons: expectedReasons(model, event) });

    const compared = inputRecord(80, codec.encode(event));
    compared.headers = { [COMPARE_HEADERS.version]: Buffer.from('1.1.0') };
    const outcome = await scoredOne(decider({ replay: true }, set), compared);
    const both = await Promise.all(outcome.shadows.map((m) => codec.decodePrediction(m.value as Buffer)));
    expect(both.map((p) => [p.model_version, p.reasons])).toEqual([
      ['1.0.0', []],
      ['1.1.0', []],
    ]);
  });
});
