import type { KafkaMessage } from 'kafkajs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deadLetterMessage,
  DLQ_HEADERS,
  fitDeadLetter,
  MAX_ERROR_MESSAGE_CHARS,
} from '../../../src/stream/dead-letter.js';
import { messageBytes } from '../../../src/stream/output-size.js';
import {
  headerText,
  predictionHeaders,
  predictionRecord,
  PREDICTION_HEADERS,
} from '../../../src/stream/prediction-record.js';

const record: KafkaMessage = {
  key: Buffer.from('7590-VHVEG'),
  value: Buffer.from([0, 0, 0, 0, 7, 1, 2, 3]),
  timestamp: '1763715600000',
  attributes: 0,
  offset: '42',
  headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
};

describe('deadLetterMessage', () => {
  it('keeps key, value bytes and headers untouched and says what went wrong and where', () => {
    const dlq = deadLetterMessage(
      record,
      { kind: 'unknown-schema-id', message: 'no schema 7' },
      {
        topic: 'customers',
        partition: 2,
        scorerVersion: 'churn-scorer/0.1.0',
      },
    );
    expect(dlq.key).toBe(record.key);
    expect(dlq.value).toBe(record.value);
    expect(dlq.headers).toMatchObject({
      traceparent: record.headers.traceparent,
      [DLQ_HEADERS.errorType]: 'unknown-schema-id',
      [DLQ_HEADERS.errorMessage]: 'no schema 7',
      [DLQ_HEADERS.sourceTopic]: 'customers',
      [DLQ_HEADERS.sourcePartition]: '2',
      [DLQ_HEADERS.sourceOffset]: '42',
      [DLQ_HEADERS.sourceTimestamp]: '1763715600000',
      [DLQ_HEADERS.scorerVersion]: 'churn-scorer/0.1.0',
    });
  });

  it('bounds a very long reason, saying how long it was', () => {
    const dlq = deadLetterMessage(
      record,
      { kind: 'invalid-customer', message: 'x'.repeat(10_000) },
      {
        topic: 't',
        partition: 0,
        scorerVersion: 'v',
      },
    );
    const shown = String(dlq.headers?.[DLQ_HEADERS.errorMessage]);
    expect(shown).toBe(`${'x'.repeat(MAX_ERROR_MESSAGE_CHARS)}… (10000 chars)`);
  });
});

describe('fitDeadLetter', () => {
  const source = { topic: 'customers', partition: 1, scorerVersion: 'v' };
  const big = (
    keyBytes: number,
    valueBytes: number,
    headers: KafkaMessage['headers'] = { 'x-trace': 'abc' },
  ): KafkaMessage => ({
    ...record,
    key: Buffer.alloc(keyBytes, 0x6b),
    value: Buffer.from(Array.from({ length: valueBytes }, (_, i) => i % 251)),
    headers,
  });
  const letter = (r: KafkaMessage) =>
    deadLetterMessage(r, { kind: 'invalid-customer', message: 'tenure: must be >= 0' }, source);

  it('leaves a letter that fits as it is (the original bytes untouched)', () => {
    const original = letter(big(10, 5_000));
    const fitted = fitDeadLetter(original, 16_384);
    expect(fitted.message).toBe(original);
    expect(fitted.bytes).toBe(messageBytes(original));
    expect(fitted.message.headers?.[DLQ_HEADERS.truncated]).toBeUndefined();
  });

  it('cuts the value of a letter too big, to a prefix of the original, and says so', () => {
    const input = big(10, 600_000);
    const fitted = fitDeadLetter(letter(input), 100_000);
    const value = fitted.message.value as Buffer;
    expect(fitted.bytes).toBeLessThanOrEqual(100_000);
    expect(fitted.bytes).toBe(messageBytes(fitted.message));
    expect(fitted.bytes, 'cut no more than needed').toBeGreaterThan(100_000 - 64);
    expect(value.equals((input.value as Buffer).subarray(0, value.length))).toBe(true);
    expect(fitted.message.key).toEqual(input.key);
    expect(fitted.message.headers).toMatchObject({
      'x-trace': 'abc',
      [DLQ_HEADERS.errorType]: 'invalid-customer',
      [DLQ_HEADERS.truncated]: 'value',
      [DLQ_HEADERS.originalValueBytes]: '600000',
      [DLQ_HEADERS.originalKeyBytes]: '10',
    });
  });

  it('cuts the key too when the key alone is too big, then drops the original headers', () => {
    const keyed = fitDeadLetter(letter(big(50_000, 1_000)), 20_000);
    expect(keyed.bytes).toBeLessThanOrEqual(20_000);
    expect((keyed.message.value as Buffer).length).toBe(0);
    expect(keyed.message.headers?.[DLQ_HEADERS.truncated]).toBe('key,value');
    expect(keyed.message.headers?.['x-trace']).toBe('abc');

    const headed = fitDeadLetter(letter(big(10, 10, { 'x-huge': 'h'.repeat(30_000) })), 20_000);
    expect(headed.bytes).toBeLessThanOrEqual(20_000);
    expect(headed.message.headers?.[DLQ_HEADERS.truncated]).toBe('key,value,headers');
    expect(headed.message.headers?.['x-huge']).toBeUndefined();
    expect(headed.message.headers?.[DLQ_HEADERS.sourceOffset]).toBe('42');
  });

  it('always fits, whatever the sizes (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(40_000),
        fc.nat(40_000),
        fc.nat(40_000),
        fc.integer({ min: 16_384, max: 60_000 }),
        (k, v, h, max) => {
          const fitted = fitDeadLetter(letter(big(k, v, { 'x-h': 'h'.repeat(h) })), max);
          expect(fitted.bytes).toBeLessThanOrEqual(max);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('prediction records', () => {
  it('carries the event identity, the score, the model and the source position', () => {
    const value = predictionRecord({
      event: {
        customerid: 'c1',
        event_id: 'e1',
        event_time: 1,
        gender: 'female',
        seniorcitizen: 0,
        partner: 'yes',
        dependents: 'no',
        tenure: 1,
        phoneservice: 'no',
        multiplelines: 'no_phone_service',
        internetservice: 'dsl',
        onlinesecurity: 'no',
        onlinebackup: 'yes',
        deviceprotection: 'no',
        techsupport: 'no',
        streamingtv: 'no',
        streamingmovies: 'no',
        contract: 'month-to-month',
        paperlessbilling: 'yes',
        paymentmethod: 'electronic_check',
        monthlycharges: 29.85,
        totalcharges: 29.85,
      },
      probability: 0.63,
      churn: true,
      model: { name: 'churn', version: '1.0.0', threshold: 0.5 },
      variant: 'canary',
      rolloutRevision: 12,
      assignmentProbability: 0.25,
      replay: true,
      scoredAt: 1000,
      source: { topic: 'customers.replay', partition: 1, offset: '99' },
      warnings: ['w'],
      reasons: [
        { feature: 'contract=month-to-month', value: 'month-to-month', contribution: 0.69 },
        { feature: 'tenure', value: 1, contribution: -0.07 },
        { feature: 'totalcharges', value: 29.85, contribution: 0.01 },
        { feature: 'gender=other', value: 'other', contribution: 0, unseen: true },
      ],
    });
    expect(value).toEqual({
      customerid: 'c1',
      event_id: 'e1',
      churn_probability: 0.63,
      churn: true,
      threshold: 0.5,
      model_name: 'churn',
      model_version: '1.0.0',
      replay: true,
      scored_at: 1000,
      source_topic: 'customers.replay',
      source_partition: 1,
      source_offset: 99,
      warnings: ['w'],
      variant: 'canary',
      rollout_revision: 12,
      // the numbers as String() writes them; `unseen` is no field of the record (its contribution 0 says it)
      reasons: [
        { feature: 'contract=month-to-month', value: 'month-to-month', contribution: 0.69 },
        { feature: 'tenure', value: '1', contribution: -0.07 },
        { feature: 'totalcharges', value: '29.85', contribution: 0.01 },
        { feature: 'gender=other', value: 'other', contribution: 0 },
      ],
      event_time: 1,
      assignment_probability: 0.25,
    });
  });

  it('propagates W3C trace context and names the model version, the variant and the rollout revision', () => {
    expect(predictionHeaders(record.headers, '1.0.0', 'ab', '3')).toEqual({
      'churn.model.version': '1.0.0',
      'churn.variant': 'ab',
      'churn.rollout.revision': '3',
      traceparent: record.headers.traceparent,
    });
    expect(predictionHeaders(undefined, '2.0.0', 'shadow', '0')).toEqual({
      [PREDICTION_HEADERS.modelVersion]: '2.0.0',
      [PREDICTION_HEADERS.variant]: 'shadow',
      [PREDICTION_HEADERS.rolloutRevision]: '0',
    });
  });

  it('reads a header as text: the first of repeated values, none when absent or empty', () => {
    expect(headerText({ a: Buffer.from('1.1.0') }, 'a')).toBe('1.1.0');
    expect(headerText({ a: [Buffer.from('x'), Buffer.from('y')] }, 'a')).toBe('x');
    expect(headerText({ a: 'text' }, 'a')).toBe('text');
    expect(headerText({ a: Buffer.alloc(0) }, 'a')).toBeUndefined();
    expect(headerText({}, 'a')).toBeUndefined();
    expect(headerText(undefined, 'a')).toBeUndefined();
  });
});
