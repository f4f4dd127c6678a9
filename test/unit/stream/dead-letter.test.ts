import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { deadLetterMessage, DLQ_HEADERS } from '../../../src/stream/dead-letter.js';
import { predictionHeaders, predictionRecord, PREDICTION_HEADERS } from '../../../src/stream/prediction-record.js';

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
    const dlq = deadLetterMessage(record, { kind: 'unknown-schema-id', message: 'no schema 7' }, {
      topic: 'customers',
      partition: 2,
      scorerVersion: 'churn-scorer/0.1.0',
    });
    expect(dlq.key).toBe(record.key);
    expect(dlq.value).toBe(record.value);
    expect(dlq.headers).toMatchObject({
      traceparent: record.headers?.traceparent,
      [DLQ_HEADERS.errorType]: 'unknown-schema-id',
      [DLQ_HEADERS.errorMessage]: 'no schema 7',
      [DLQ_HEADERS.sourceTopic]: 'customers',
      [DLQ_HEADERS.sourcePartition]: '2',
      [DLQ_HEADERS.sourceOffset]: '42',
      [DLQ_HEADERS.sourceTimestamp]: '1763715600000',
      [DLQ_HEADERS.scorerVersion]: 'churn-scorer/0.1.0',
    });
  });

  it('bounds a very long reason', () => {
    const dlq = deadLetterMessage(record, { kind: 'invalid-customer', message: 'x'.repeat(10_000) }, {
      topic: 't',
      partition: 0,
      scorerVersion: 'v',
    });
    expect(String(dlq.headers?.[DLQ_HEADERS.errorMessage]).length).toBeLessThanOrEqual(2001);
  });
});

describe('prediction records', () => {
  it('carries the event identity, the score, the model and the source position', () => {
    const value = predictionRecord({
      event: {
        customerid: 'c1', event_id: 'e1', event_time: 1, gender: 'female', seniorcitizen: 0, partner: 'yes',
        dependents: 'no', tenure: 1, phoneservice: 'no', multiplelines: 'no_phone_service', internetservice: 'dsl',
        onlinesecurity: 'no', onlinebackup: 'yes', deviceprotection: 'no', techsupport: 'no', streamingtv: 'no',
        streamingmovies: 'no', contract: 'month-to-month', paperlessbilling: 'yes', paymentmethod: 'electronic_check',
        monthlycharges: 29.85, totalcharges: 29.85,
      },
      probability: 0.63,
      churn: true,
      model: { name: 'churn', version: '1.0.0', threshold: 0.5 },
      replay: true,
      scoredAt: 1000,
      source: { topic: 'customers.replay', partition: 1, offset: '99' },
      warnings: ['w'],
    });
    expect(value).toEqual({
      customerid: 'c1', event_id: 'e1', churn_probability: 0.63, churn: true, threshold: 0.5, model_name: 'churn',
      model_version: '1.0.0', replay: true, scored_at: 1000, source_topic: 'customers.replay', source_partition: 1,
      source_offset: 99, warnings: ['w'],
    });
  });

  it('propagates W3C trace context and names the model version', () => {
    expect(predictionHeaders(record.headers, '1.0.0')).toEqual({
      [PREDICTION_HEADERS.modelVersion]: '1.0.0',
      traceparent: record.headers?.traceparent,
    });
    expect(predictionHeaders(undefined, '2.0.0')).toEqual({ [PREDICTION_HEADERS.modelVersion]: '2.0.0' });
  });
});
