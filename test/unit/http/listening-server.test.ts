import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestServer, notesExamples, testConfig, type ErrorBodyShape } from './http-test-support.js';

// The same app through a real socket (ephemeral port) with fetch: headers, body limits and content types are
// exercised by Node's HTTP stack rather than by inject.
let app: FastifyInstance;
let base: string;
beforeAll(async () => {
  ({ app } = await buildTestServer({ config: testConfig({ http: { bodyLimitBytes: 2048 } }) }));
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
});

describe('a listening side-port', () => {
  it('answers the probes and PONG', async () => {
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const ping = await fetch(`${base}/ping`);
    expect(await ping.text()).toBe('PONG');
  });

  it("scores the notes' customer as sklearn does", async () => {
    const example = notesExamples()[0];
    const res = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(example?.customer),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { churn_probability: number; churn: boolean };
    expect(Math.abs(body.churn_probability - (example?.churn_probability ?? NaN))).toBeLessThanOrEqual(1e-9);
    expect(body.churn).toBe(true);
  });

  it('answers 415 for a text body and 413 for a body over the limit, naming the culprit', async () => {
    const text = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(text.status).toBe(415);
    expect(((await text.json()) as ErrorBodyShape).fields[0]?.field).toBe('(content-type)');

    const big = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(4096) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as ErrorBodyShape).fields[0]?.field).toBe('(body)');
  });

  it('answers 400 naming the field for an out-of-range value', async () => {
    const res = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...notesExamples()[1]?.customer, seniorcitizen: 3 }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBodyShape).fields).toEqual([
      { field: 'seniorcitizen', message: 'must be 0 or 1, got 3' },
    ]);
  });

  it('serves /metrics as Prometheus text after real requests', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toMatch(/http_requests_total\{route="\/predict",method="POST",status="200"\} \d+/);
  });
});
