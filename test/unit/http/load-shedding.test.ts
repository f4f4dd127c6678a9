import { getHeapStatistics } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../../src/config/index.js';
import { buildTestServer, notesExamples, testConfig, type ErrorBodyShape } from './http-test-support.js';

// @fastify/under-pressure on the real side-port: over a limit, the work routes answer 503 + Retry-After while
// the probes and /metrics keep answering. The limits are driven deterministically: a threshold the process is
// always over, or an event loop blocked on purpose.

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function listen(pressure: Partial<Config['http']['pressure']>): Promise<string> {
  const base = testConfig();
  ({ app } = await buildTestServer({
    config: testConfig({ http: { pressure: { ...base.http.pressure, ...pressure } } }),
  }));
  return app.listen({ port: 0, host: '127.0.0.1' });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function predict(base: string): Promise<Response> {
  return fetch(`${base}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(notesExamples()[0]?.customer),
  });
}

async function expectShed(res: Response, retryAfter: string): Promise<void> {
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe(retryAfter);
  const body = (await res.json()) as ErrorBodyShape;
  expect(body.error).toBe('overloaded');
  expect(body.message).toMatch(/overloaded .*retry after/);
}

async function expectProbesAnswer(base: string): Promise<void> {
  for (const path of ['/livez', '/readyz', '/ping', '/metrics'])
    expect((await fetch(`${base}${path}`)).status, path).toBe(200);
}

describe('load shedding', () => {
  it('answers 503 with Retry-After on the work routes while the heap is over its limit; the probes and /metrics still answer', async () => {
    // Live data 32 MiB past 1% of V8's heap limit keeps the heap over the limit from the first sample on.
    const ballast = new Array<number>(
      Math.ceil((getHeapStatistics().heap_size_limit * 0.01 + 32 * 1024 * 1024) / 8),
    ).fill(1);
    const base = await listen({
      maxHeapUsedPercent: 1,
      maxEventLoopDelayMs: 0,
      sampleIntervalMs: 20,
      retryAfterSeconds: 7,
    });
    await sleep(100);
    await expectShed(await predict(base), '7');
    await expectShed(await fetch(`${base}/model`), '7');
    await expectShed(await fetch(`${base}/openapi.json`), '7');
    await expectProbesAnswer(base);
    // Shed requests are counted like any other answer.
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(
      /http_requests_total\{route="\/predict",method="POST",status="503"\} [1-9]/,
    );
    expect(ballast.length).toBeGreaterThan(0);
  });

  it('sheds on resident memory over its limit', async () => {
    const base = await listen({
      maxHeapUsedPercent: 0,
      maxEventLoopDelayMs: 0,
      maxRssBytes: 1024 * 1024,
      sampleIntervalMs: 20,
      retryAfterSeconds: 3,
    });
    await sleep(100);
    await expectShed(await predict(base), '3');
    await expectProbesAnswer(base);
  });

  it('sheds while the event loop is blocked past its delay limit, and serves again once it is not', async () => {
    const base = await listen({
      maxHeapUsedPercent: 0,
      maxEventLoopDelayMs: 30,
      sampleIntervalMs: 200,
      retryAfterSeconds: 1,
    });
    expect((await predict(base)).status).toBe(200);
    const server = app as FastifyInstance;
    // Block the loop for a second; the sample that includes the block reports a mean delay far over 30 ms.
    // Which sample that is depends on timer order, so wait (bounded) for the plugin to see it.
    const busyUntil = Date.now() + 1000;
    while (Date.now() < busyUntil) {
      // busy: the loop cannot turn
    }
    for (let i = 0; i < 40 && !server.isUnderPressure(); i++) await sleep(10);
    expect(server.isUnderPressure()).toBe(true);
    const [shed, livez] = await Promise.all([predict(base), fetch(`${base}/livez`)]);
    await expectShed(shed, '1');
    expect(livez.status).toBe(200);

    // Samples without a block bring the delay back under the limit.
    for (let i = 0; i < 100 && server.isUnderPressure(); i++) await sleep(20);
    expect((await predict(base)).status).toBe(200);
  });

  it('documents the 503 on the shed operations only', async () => {
    const base = await listen({});
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths['/predict']?.['post']?.responses ?? {})).toContain('503');
    expect(Object.keys(doc.paths['/model']?.['get']?.responses ?? {})).toContain('503');
    expect(Object.keys(doc.paths['/metrics']?.['get']?.responses ?? {})).not.toContain('503');
    expect(Object.keys(doc.paths['/ping']?.['get']?.responses ?? {})).not.toContain('503');
  });
});
