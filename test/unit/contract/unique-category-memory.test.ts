import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { ChurnModel } from '../../../src/model/index.js';
import type { CustomerEvent } from '../../../src/serde/avro-records.js';
import { buildTestServer, realModel, testConfig } from '../http/http-test-support.js';
import { inputRecord, pipelineHarness, TOPICS, type Harness } from '../stream/pipeline-harness.js';
import { sampleCustomerEvent } from '../serde/sample-events.js';
import { RAW_CUSTOMER } from './sample-customers.js';

// Hostile input: every request or record carries a new 1 MB category value. Upper-case letters and a space
// force the raw-spelling normalization (the path that memoizes); each value differs in its first characters.
const VALUES = 200;
const VALUE_CHARS = 1_000_000;
const MAX_GROWTH_BYTES = 20 * 1024 * 1024;
/** What a message may show of such a value: a prefix, the length marker, the rest of the sentence. */
const MAX_ECHO_CHARS = 2_000;

function hugeCategory(path: 'HTTP' | 'Stream', i: number): string {
  const head = `${path} plan ${i} `;
  return head + 'X'.repeat(VALUE_CHARS - head.length);
}

/** The process's heap after full collections (the unit project runs with --expose-gc, see vitest.config.ts). */
async function settledHeapBytes(): Promise<number> {
  const gc = globalThis.gc;
  if (gc === undefined)
    throw new Error('global gc() missing: run the unit project with --expose-gc (vitest.config.ts execArgv)');
  for (let i = 0; i < 3; i++) {
    gc();
    await nextTurn();
  }
  return process.memoryUsage().heapUsed;
}

describe('unique 1 MB category values do not grow the heap for good', () => {
  let lenient: FastifyInstance;
  let strict: FastifyInstance;
  let model: ChurnModel;

  beforeAll(async () => {
    model = await realModel();
    ({ app: lenient } = await buildTestServer());
    ({ app: strict } = await buildTestServer({ config: testConfig({ model: { strictCategories: true } }) }));
  });
  afterAll(async () => {
    await Promise.all([lenient.close(), strict.close()]);
  });

  it('through POST /predict (warned when lenient, 400 when strict), with bounded echoes', async () => {
    const post = (app: FastifyInstance, contract: string) =>
      app.inject({
        method: 'POST',
        url: '/predict',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ ...RAW_CUSTOMER, contract }),
      });
    // Warm-up: lazy initialisation in fastify and the contract must not count as growth.
    for (let i = 0; i < 5; i++) {
      await post(lenient, `Warm up ${i}`);
      await post(strict, `Warm up ${i}`);
    }
    const before = await settledHeapBytes();
    let longestAnswer = 0;
    let marked = 0;
    for (let i = 0; i < VALUES; i++) {
      const app = i % 2 === 0 ? strict : lenient;
      const res = await post(app, hugeCategory('HTTP', i));
      expect(res.statusCode, res.body.slice(0, 300)).toBe(app === strict ? 400 : 200);
      longestAnswer = Math.max(longestAnswer, res.body.length);
      if (res.body.includes(`(${VALUE_CHARS} chars)`)) marked++;
    }
    const growth = (await settledHeapBytes()) - before;
    expect(growth, `heap grew ${(growth / 1024 / 1024).toFixed(1)} MB`).toBeLessThan(MAX_GROWTH_BYTES);
    expect(longestAnswer, 'the answer quotes a prefix of the value, not all of it').toBeLessThan(MAX_ECHO_CHARS);
    expect(marked, 'answers that give the full length of the cut value').toBe(VALUES);
  });

  it('through the stream per-record path (prediction with a warning when lenient, dead letter when strict)', async () => {
    const lenientPipe = await pipelineHarness(model);
    const strictPipe = await pipelineHarness(model, { strictCategories: true });
    for (const pipe of [lenientPipe, strictPipe]) pipe.client.keepMessages = false;
    const event = (i: number, contract: string): CustomerEvent => ({ ...sampleCustomerEvent(i), contract });
    const send = async (pipe: Harness, offset: number, contract: string) => {
      await pipe.run([inputRecord(offset, pipe.encode(event(offset, contract)))]);
    };
    for (let i = 0; i < 5; i++) {
      await send(lenientPipe, i, `Warm up ${i}`);
      await send(strictPipe, i, `Warm up ${i}`);
    }
    const before = await settledHeapBytes();
    for (let i = 0; i < VALUES; i++)
      await send(i % 2 === 0 ? strictPipe : lenientPipe, 5 + i, hugeCategory('Stream', i));
    const growth = (await settledHeapBytes()) - before;
    expect(growth, `heap grew ${(growth / 1024 / 1024).toFixed(1)} MB`).toBeLessThan(MAX_GROWTH_BYTES);

    // Every record was settled: the lenient ones as predictions, the strict ones as dead letters.
    const sent = (pipe: Harness, topic: string) =>
      pipe.client.committed().reduce((n, t) => n + (t.counts.get(topic) ?? 0), 0);
    expect(sent(lenientPipe, TOPICS.predictions)).toBe(5 + VALUES / 2);
    expect(sent(strictPipe, TOPICS.deadLetter)).toBe(5 + VALUES / 2);
    const largestPrediction = Math.max(
      ...lenientPipe.client.committed().map((t) => t.largestValue.get(TOPICS.predictions) ?? 0),
    );
    expect(largestPrediction, 'a prediction quotes a prefix of the value in its warning, not all of it').toBeLessThan(
      MAX_ECHO_CHARS,
    );
  });
});
