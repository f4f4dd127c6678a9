import type { Message } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChurnModel } from '../../../src/model/index.js';
import { DLQ_HEADERS } from '../../../src/stream/dead-letter.js';
import { messageBytes, RECORD_BATCH_OVERHEAD_BYTES } from '../../../src/stream/output-size.js';
import { OutputTooLargeError, RetriableBatchError } from '../../../src/stream/transaction-errors.js';
import { realModel } from '../http/http-test-support.js';
import { sampleCustomerEvent } from '../serde/sample-events.js';
import { DEFAULT_LIMITS, inputRecord, pipelineHarness, TOPICS, type SeenTransaction } from './pipeline-harness.js';

const MAX_BYTES = DEFAULT_LIMITS.transactionMaxBytes;

function outputBytes(txn: SeenTransaction): number {
  let total = 0;
  for (const messages of txn.messages.values()) for (const m of messages) total += messageBytes(m);
  return total;
}

function sent(txns: readonly SeenTransaction[], topic: string): Message[] {
  return txns.flatMap((t) => t.messages.get(topic) ?? []);
}

let model: ChurnModel;
beforeAll(async () => {
  model = await realModel();
});

describe('transactions bounded by output bytes', () => {
  it('keeps ordinary traffic in one transaction', async () => {
    const pipe = await pipelineHarness(model);
    await pipe.run(Array.from({ length: 400 }, (_, i) => inputRecord(i, pipe.encode(sampleCustomerEvent(i)))));
    const committed = pipe.client.committed();
    expect(committed).toHaveLength(1);
    expect(committed[0]?.counts.get(TOPICS.predictions)).toBe(400);
    expect(committed[0]?.offsets).toEqual(['400']);
  });

  it('splits two 600 KB dead letters of one batch into transactions that each fit, and moves on', async () => {
    const pipe = await pipelineHarness(model);
    const invalid = (i: number) =>
      pipe.encode({ ...sampleCustomerEvent(i), customerid: 'C'.repeat(600_000), tenure: -5 });
    const records = [
      inputRecord(0, invalid(0), 'same-customer'),
      inputRecord(1, invalid(1), 'same-customer'),
      ...Array.from({ length: 20 }, (_, i) => inputRecord(2 + i, pipe.encode(sampleCustomerEvent(2 + i)))),
    ];
    await pipe.run(records);

    const committed = pipe.client.committed();
    expect(committed.length).toBeGreaterThanOrEqual(2);
    for (const txn of committed) expect(outputBytes(txn) + RECORD_BATCH_OVERHEAD_BYTES).toBeLessThanOrEqual(MAX_BYTES);
    // every input record accounted for exactly once, and the offsets committed in order up to the end
    const letters = sent(committed, TOPICS.deadLetter);
    expect(letters.map((l) => String(l.headers?.[DLQ_HEADERS.sourceOffset]))).toEqual(['0', '1']);
    expect(sent(committed, TOPICS.predictions)).toHaveLength(20);
    expect(committed.at(-1)?.offsets.at(-1)).toBe('22');
    for (const [i, letter] of letters.entries()) {
      const original = records[i]?.value ?? Buffer.alloc(0);
      expect(letter.headers?.[DLQ_HEADERS.errorType]).toBe('invalid-customer');
      expect(letter.headers?.[DLQ_HEADERS.truncated]).toBe('value');
      expect(letter.headers?.[DLQ_HEADERS.originalValueBytes]).toBe(String(original.length));
      const value = letter.value as Buffer;
      expect(value.equals(original.subarray(0, value.length))).toBe(true);
    }
  });

  it('dead-letters a valid customer whose prediction cannot fit as oversize-output, cut to fit', async () => {
    const pipe = await pipelineHarness(model);
    const big = pipe.encode({ ...sampleCustomerEvent(0), customerid: 'B'.repeat(900_000) });
    const records = [
      inputRecord(0, pipe.encode(sampleCustomerEvent(100))),
      inputRecord(1, big, 'big'),
      inputRecord(2, pipe.encode(sampleCustomerEvent(102))),
    ];
    await pipe.run(records);
    const committed = pipe.client.committed();
    for (const txn of committed) expect(outputBytes(txn) + RECORD_BATCH_OVERHEAD_BYTES).toBeLessThanOrEqual(MAX_BYTES);
    const predictions = sent(committed, TOPICS.predictions);
    expect(predictions.map((p) => p.key)).toEqual([
      sampleCustomerEvent(100).customerid,
      sampleCustomerEvent(102).customerid,
    ]);
    const [letter] = sent(committed, TOPICS.deadLetter);
    expect(letter?.headers).toMatchObject({
      [DLQ_HEADERS.errorType]: 'oversize-output',
      [DLQ_HEADERS.sourceOffset]: '1',
      [DLQ_HEADERS.truncated]: 'value',
      [DLQ_HEADERS.originalValueBytes]: String(big.length),
    });
    expect(String(letter?.headers?.[DLQ_HEADERS.errorMessage])).toMatch(
      /prediction is \d+ bytes, over the \d+ a transaction may carry/,
    );
    const value = letter?.value as Buffer;
    expect(value.equals(big.subarray(0, value.length))).toBe(true);
    expect(committed.at(-1)?.offsets.at(-1)).toBe('3');
  });

  it('stops instead of retrying forever when the broker still refuses a batch as too large', async () => {
    const pipe = await pipelineHarness(model);
    pipe.client.refuseWith = new Error('KafkaJSNonRetriableError', {
      cause: Object.assign(new Error('The request included a message larger than the max message size'), {
        type: 'MESSAGE_TOO_LARGE',
        code: 10,
        retriable: false,
      }),
    });
    const run = pipe.run([inputRecord(0, pipe.encode(sampleCustomerEvent(0)))]);
    await expect(run).rejects.toBeInstanceOf(OutputTooLargeError);
    await expect(run).rejects.not.toBeInstanceOf(RetriableBatchError);
    await expect(run).rejects.toThrow(/customers\[0\].*predictions \(\d+ bytes\).*max\.message\.bytes/);
  });
});
