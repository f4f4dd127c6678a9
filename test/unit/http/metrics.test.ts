import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestServer, notesExamples } from './http-test-support.js';

let app: FastifyInstance;
beforeAll(async () => {
  ({ app } = await buildTestServer());
});
afterAll(async () => {
  await app.close();
});

describe('GET /metrics', () => {
  it('exposes request counts, latency, predictions by outcome, model info and process metrics', async () => {
    const [churner, stayer] = notesExamples();
    await app.inject({ method: 'POST', url: '/predict', payload: churner?.customer ?? {} });
    await app.inject({ method: 'POST', url: '/predict', payload: churner?.customer ?? {} });
    await app.inject({ method: 'POST', url: '/predict', payload: stayer?.customer ?? {} });
    await app.inject({ method: 'POST', url: '/predict', payload: { tenure: -1 } });
    await app.inject({ method: 'GET', url: '/no-such-page' });

    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toContain('http_requests_total{route="/predict",method="POST",status="200"} 3');
    expect(text).toContain('http_requests_total{route="/predict",method="POST",status="400"} 1');
    expect(text).toContain('http_requests_total{route="(unmatched)",method="GET",status="404"} 1');
    expect(text).toMatch(/http_request_duration_seconds_count\{route="\/predict",method="POST",status="200"\} 3/);
    expect(text).toContain('churn_predictions_total{outcome="churn",source="http"} 2');
    expect(text).toContain('churn_predictions_total{outcome="no_churn",source="http"} 1');
    expect(text).toContain('churn_model_info{name="churn",version="1.0.0"} 1');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('counts batch predictions per customer', async () => {
    const { app: other } = await buildTestServer();
    try {
      const customers = notesExamples().map((e) => e.customer);
      const res = await other.inject({
        method: 'POST',
        url: '/predict/batch',
        payload: { customers: [...customers, ...customers] },
      });
      expect(res.statusCode).toBe(200);
      const text = (await other.inject({ method: 'GET', url: '/metrics' })).body;
      // A separate registry per server: this one saw only the batch.
      expect(text).toContain('churn_predictions_total{outcome="churn",source="http"} 2');
      expect(text).toContain('churn_predictions_total{outcome="no_churn",source="http"} 2');
      expect(text).toContain('http_requests_total{route="/predict/batch",method="POST",status="200"} 1');
    } finally {
      await other.close();
    }
  });
});
