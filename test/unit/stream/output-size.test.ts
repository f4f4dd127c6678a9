import { createRequire } from 'node:module';
import type { IHeaders, Message } from 'kafkajs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  messageBytes,
  overflowsTransaction,
  RECORD_BATCH_OVERHEAD_BYTES,
  transactionOutputBudget,
} from '../../../src/stream/output-size.js';

// kafkajs' own v2 record and record-batch encoders, as its producer uses them for a Produce request.
const require = createRequire(import.meta.url);
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: object) => { buffer: Buffer };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (b: {
    records: unknown[];
    transactional: boolean;
    firstTimestamp: number;
    maxTimestamp: number;
  }) => Promise<{ buffer: Buffer }>;
};

/** The bytes the broker compares with max.message.bytes: the whole batch as kafkajs encodes it. */
async function encodedBatchBytes(messages: readonly Message[]): Promise<number> {
  const now = Date.now();
  const records = messages.map((m, i) =>
    Record({ key: m.key, value: m.value, headers: m.headers ?? {}, offsetDelta: i, timestampDelta: i * 1_000_000 }),
  );
  const batch = await RecordBatch({ records, transactional: true, firstTimestamp: now, maxTimestamp: now });
  return batch.buffer.length;
}

const bytes = fc.oneof(
  fc.constant(null),
  fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
);
const text = fc.string({ unit: 'grapheme', maxLength: 300 });
const headers: fc.Arbitrary<IHeaders> = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.oneof(
    text,
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    fc.array(text, { minLength: 1, maxLength: 3 }),
  ),
  { maxKeys: 8 },
);
const message: fc.Arbitrary<Message> = fc.record({ key: fc.oneof(bytes, text), value: bytes, headers });

describe('output record sizes', () => {
  it('bound what kafkajs actually encodes: a batch is never larger than the overhead plus the sum', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 20 }), async (messages) => {
        const bound = RECORD_BATCH_OVERHEAD_BYTES + messages.reduce((n, m) => n + messageBytes(m), 0);
        expect(await encodedBatchBytes(messages)).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 200 },
    );
  });

  it('stay close to the truth for a prediction-sized record (within the framing allowance)', async () => {
    const prediction: Message = {
      key: '7590-VHVEG',
      value: Buffer.alloc(180, 1),
      headers: {
        'churn.model.version': '1.0.0',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    };
    const actual = (await encodedBatchBytes([prediction])) - RECORD_BATCH_OVERHEAD_BYTES;
    expect(messageBytes(prediction)).toBeGreaterThanOrEqual(actual);
    expect(messageBytes(prediction) - actual).toBeLessThan(64);
  });

  it('count UTF-8 bytes of string keys and headers, not characters', () => {
    const ascii = messageBytes({ key: 'aaaa', value: null });
    expect(messageBytes({ key: 'éééé', value: null })).toBe(ascii + 4);
    expect(messageBytes({ key: null, value: null, headers: { h: ['x', 'y'] } })).toBe(
      messageBytes({ key: null, value: null }) + 2 * (10 + 1 + 1),
    );
  });
});

describe('transaction byte budget', () => {
  it('leaves room for the record batch header', () => {
    expect(transactionOutputBudget(524_288)).toBe(524_288 - RECORD_BATCH_OVERHEAD_BYTES);
  });

  it('closes a transaction before an output that would take it over, never an empty one', () => {
    expect(overflowsTransaction(0, 10_000, 1_000)).toBe(false);
    expect(overflowsTransaction(600, 400, 1_000)).toBe(false);
    expect(overflowsTransaction(600, 401, 1_000)).toBe(true);
  });
});
