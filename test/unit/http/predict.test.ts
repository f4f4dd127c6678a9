import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestServer, notesExamples, parityRows, testConfig, type ErrorBodyShape } from './http-test-support.js';

interface PredictionBody {
  churn_probability: number;
  churn: boolean;
  model_version: string;
  variant: string;
  rollout_revision: number;
  warnings: string[];
}

let app: FastifyInstance;
beforeAll(async () => {
  ({ app } = await buildTestServer({ config: testConfig({ http: { batchMax: 60 } }) }));
});
afterAll(async () => {
  await app.close();
});

const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });

describe('POST /predict', () => {
  it.each(notesExamples().map((e) => [e.name, e] as const))(
    'scores %s as sklearn does (within 1e-9)',
    async (_name, example) => {
      const res = await post('/predict', example.customer);
      expect(res.statusCode).toBe(200);
      const body = res.json<PredictionBody>();
      expect(Math.abs(body.churn_probability - example.churn_probability)).toBeLessThanOrEqual(1e-9);
      expect(body.churn).toBe(example.churn);
      expect(body.model_version).toBe('1.0.0');
      // `serve`'s local model, no rollout published: the champion of revision 0
      expect(body.variant).toBe('champion');
      expect(body.rollout_revision).toBe(0);
      expect(body.warnings).toEqual([]);
      expect(Object.keys(body).sort()).toEqual([
        'churn',
        'churn_probability',
        'model_version',
        'rollout_revision',
        'variant',
        'warnings',
      ]);
    },
  );

  it('accepts the raw Telco spellings ("Fiber optic", "Month-to-month") and matches sklearn on test customers', async () => {
    for (const row of parityRows(25)) {
      const res = await post('/predict', { customerid: row.customerid, ...row.raw });
      expect(res.statusCode).toBe(200);
      const body = res.json<PredictionBody>();
      expect(Math.abs(body.churn_probability - row.churn_probability)).toBeLessThanOrEqual(1e-9);
      expect(body.churn).toBe(row.churn_probability >= 0.5);
    }
  });

  it('scores an unknown category value with a warning naming the field', async () => {
    const customer = { ...notesExamples()[0]?.customer, contract: 'three_year' };
    const res = await post('/predict', customer);
    expect(res.statusCode).toBe(200);
    const body = res.json<PredictionBody>();
    expect(body.warnings).toHaveLength(1);
    expect(body.warnings[0]).toMatch(/^contract: unknown value 'three_year'/);
  });

  it('rejects an unknown category value with 400 naming the field when strict categories are on', async () => {
    const { app: strict } = await buildTestServer({ config: testConfig({ model: { strictCategories: true } }) });
    try {
      const res = await strict.inject({
        method: 'POST',
        url: '/predict',
        payload: { ...notesExamples()[0]?.customer, contract: 'three_year' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json<ErrorBodyShape>().fields.map((f) => f.field)).toEqual(['contract']);
    } finally {
      await strict.close();
    }
  });
});

describe('POST /predict/batch', () => {
  it('answers every customer in request order, each equal to sklearn within 1e-9', async () => {
    const rows = parityRows(60);
    const res = await post('/predict/batch', { customers: rows.map((r) => r.raw) });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      model_version: string;
      rollout_revision: number;
      predictions: Omit<PredictionBody, 'rollout_revision'>[];
    }>();
    expect(body.model_version).toBe('1.0.0');
    expect(body.rollout_revision).toBe(0);
    expect(body.predictions).toHaveLength(rows.length);
    body.predictions.forEach((p, i) => {
      expect(Math.abs(p.churn_probability - (rows[i]?.churn_probability ?? NaN))).toBeLessThanOrEqual(1e-9);
      expect([p.model_version, p.variant]).toEqual(['1.0.0', 'champion']);
    });
  });

  it('rejects the whole batch with 400 naming each bad customer by index and field', async () => {
    const rows = parityRows(6).map((r) => ({ ...r.raw }));
    rows[3] = { ...rows[3], tenure: -2 };
    rows[5] = { ...rows[5], gender: 7, monthlycharges: 'lots' };
    const res = await post('/predict/batch', { customers: rows });
    expect(res.statusCode).toBe(400);
    const body = res.json<ErrorBodyShape>();
    expect(body.error).toBe('invalid_customer');
    expect(body.fields.map((f) => f.field)).toEqual([
      'customers[3].tenure',
      'customers[5].gender',
      'customers[5].monthlycharges',
    ]);
    expect(body.message).toBe('2 of 6 customers are invalid');
  });

  it('names a batch item that is not an object as customers[i]', async () => {
    const res = await post('/predict/batch', { customers: [parityRows(1)[0]?.raw, 'not a customer'] });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBodyShape>().fields.map((f) => f.field)).toEqual(['customers[1]']);
  });

  it.each([
    ['missing', {}, 'is required'],
    ['not an array', { customers: { a: 1 } }, 'must be an array'],
    ['empty', { customers: [] }, 'must hold 1 to 60 customers, got 0'],
  ])('rejects a batch whose customers is %s with 400 naming "customers"', async (_what, payload, message) => {
    const res = await post('/predict/batch', payload);
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBodyShape>().fields).toEqual([{ field: 'customers', message }]);
  });

  it('rejects more customers than http.batchMax with 400 naming "customers"', async () => {
    const customer = parityRows(1)[0]?.raw;
    const res = await post('/predict/batch', { customers: Array.from({ length: 61 }, () => customer) });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBodyShape>()).toMatchObject({
      error: 'invalid_batch',
      fields: [{ field: 'customers', message: 'must hold 1 to 60 customers, got 61' }],
    });
  });
});
