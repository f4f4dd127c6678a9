import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentTracker } from '../../../src/experiments/experiment-tracker.js';
import { assignVariant } from '../../../src/rollout/assign-variant.js';
import type { ServingSet } from '../../../src/serving/serving-set.js';
import { rolloutSet, SwappableServingSource } from '../../support/serving-sets.js';
import { buildTestServer, REPO_ROOT, testConfig, type ErrorBodyShape } from './http-test-support.js';

interface ParityRow {
  customerid: string;
  raw: Record<string, unknown>;
  churn_probability: number;
}

/** The 1,409 test customers with sklearn's probability under one committed version. */
function parity(version: string): ParityRow[] {
  return readFileSync(join(REPO_ROOT, 'models', 'churn', version, 'parity.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ParityRow);
}

interface Prediction {
  churn_probability: number;
  model_version: string;
  variant: string;
  rollout_revision: number;
}

const CANARY = { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'canary', weight: 20 }] };

let canary7: ServingSet;
let source: SwappableServingSource;
let tracker: ExperimentTracker;
let app: FastifyInstance;
const probability = new Map<string, Map<string, number>>();
let customers: ParityRow[];
beforeAll(async () => {
  for (const version of ['1.0.0', '1.1.0']) {
    probability.set(version, new Map(parity(version).map((r) => [r.customerid, r.churn_probability])));
  }
  customers = parity('1.0.0').slice(0, 1_000);
  canary7 = await rolloutSet(7, CANARY);
  source = new SwappableServingSource(canary7);
  tracker = new ExperimentTracker({ serving: source, now: () => Date.parse('2025-03-01T10:00:00.000Z') });
  const base = testConfig();
  ({ app } = await buildTestServer({
    // no load shedding: on a busy test machine a slow event loop would turn answers into 503s
    config: testConfig({
      http: { batchMax: 100, pressure: { ...base.http.pressure, maxEventLoopDelayMs: 0, maxHeapUsedPercent: 0 } },
    }),
    serving: source,
    experiments: tracker,
  }));
});
afterAll(async () => {
  await app.close();
});

const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });

function scoredBy(version: string, customerid: string): number {
  return probability.get(version)?.get(customerid) ?? Number.NaN;
}

describe('POST /predict under a rollout', () => {
  it("serves each of 1,000 customers with assignVariant's variant, scored by that variant's model", async () => {
    const served = new Map<string, number>();
    for (const { customerid, raw } of customers) {
      const res = await post('/predict', { customerid, ...raw });
      expect(res.statusCode).toBe(200);
      const body = res.json<Prediction>();
      const expected = assignVariant(canary7.rollout, customerid);
      expect([body.variant, body.model_version, body.rollout_revision], customerid).toEqual([
        expected.variant,
        expected.version,
        7,
      ]);
      expect(Math.abs(body.churn_probability - scoredBy(expected.version, customerid))).toBeLessThanOrEqual(1e-9);
      served.set(body.variant, (served.get(body.variant) ?? 0) + 1);
    }
    // a 20 % canary: both variants serve, near their shares
    expect(served.get('canary')).toBeGreaterThan(150);
    expect(served.get('canary')).toBeLessThan(250);
    expect(served.get('champion')).toBe(1_000 - (served.get('canary') ?? 0));
  });

  it('serves by the champion without a customerid', async () => {
    const [row] = customers;
    const body = (await post('/predict', row?.raw)).json<Prediction>();
    expect([body.variant, body.model_version, body.rollout_revision]).toEqual(['champion', '1.0.0', 7]);
  });

  it.each([
    ['a number', 1234, /got number 1234/],
    ['null', null, /got null/],
    ['an object', { id: 'x' }, /got an object/],
    ['an array', ['x'], /got an array/],
    ['empty', '', /must be a non-empty string/],
  ])('answers 400 naming customerid when it is %s, with the other problems', async (_what, customerid, message) => {
    const [row] = customers;
    const res = await post('/predict', { ...row?.raw, customerid, tenure: -1 });
    expect(res.statusCode).toBe(400);
    const body = res.json<ErrorBodyShape>();
    expect(body.error).toBe('invalid_customer');
    expect(body.fields.map((f) => f.field)).toEqual(['customerid', 'tenure']);
    expect(body.fields[0]?.message).toMatch(message);
  });

  it('takes a rollout change from the next request on', async () => {
    const canaryCustomer = customers.find((c) => assignVariant(canary7.rollout, c.customerid).variant === 'canary');
    const payload = { customerid: canaryCustomer?.customerid, ...canaryCustomer?.raw };
    expect((await post('/predict', payload)).json<Prediction>().model_version).toBe('1.1.0');
    source.set = await rolloutSet(8, { champion: '1.1.0' });
    try {
      const body = (await post('/predict', payload)).json<Prediction>();
      expect([body.variant, body.model_version, body.rollout_revision]).toEqual(['champion', '1.1.0', 8]);
      const model = (await app.inject({ url: '/model' })).json<{ version: string; rollout_revision: number }>();
      expect([model.version, model.rollout_revision]).toEqual(['1.1.0', 8]);
    } finally {
      source.set = canary7;
    }
  });
});

describe('POST /predict/batch under a rollout', () => {
  it('serves each customer of a batch as /predict does', async () => {
    for (let start = 0; start < 300; start += 100) {
      const rows = customers.slice(start, start + 100);
      const res = await post('/predict/batch', {
        customers: rows.map((r) => ({ customerid: r.customerid, ...r.raw })),
      });
      expect(res.statusCode).toBe(200);
      const body = res.json<{ model_version: string; rollout_revision: number; predictions: Prediction[] }>();
      expect([body.model_version, body.rollout_revision]).toEqual(['1.0.0', 7]);
      body.predictions.forEach((p, i) => {
        const { customerid } = rows[i] as ParityRow;
        const expected = assignVariant(canary7.rollout, customerid);
        expect([p.variant, p.model_version], customerid).toEqual([expected.variant, expected.version]);
        expect(Math.abs(p.churn_probability - scoredBy(expected.version, customerid))).toBeLessThanOrEqual(1e-9);
      });
    }
  });

  it('names a customerid of the wrong type by its position', async () => {
    const rows: Record<string, unknown>[] = customers.slice(0, 3).map((r) => ({ customerid: r.customerid, ...r.raw }));
    rows[2] = { ...rows[2], customerid: 7 };
    const res = await post('/predict/batch', { customers: rows });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBodyShape>().fields.map((f) => f.field)).toEqual(['customers[2].customerid']);
  });
});

describe('GET /model under a rollout', () => {
  it("describes the champion's artifact and the revision in force", async () => {
    const body = (await app.inject({ url: '/model' })).json<Record<string, unknown>>();
    expect(body).toMatchObject({ name: 'churn', version: '1.0.0', threshold: 0.5, rollout_revision: 7 });
    expect(body).toHaveProperty('metrics');
    expect(body).not.toHaveProperty('coefficients');
  });
});

describe('GET /experiments', () => {
  it("answers the tracker's comparison, field for field", async () => {
    tracker.recordCommitted(canary7, [
      { variant: 'champion', version: '1.0.0', score: 0.25, shadowScores: [] },
      { variant: 'champion', version: '1.0.0', score: 0.75, shadowScores: [] },
      { variant: 'canary', version: '1.1.0', score: 0.55, shadowScores: [] },
    ]);
    const res = await app.inject({ url: '/experiments' });
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown>>();
    // no outcome join in this server: realized is null
    expect(body).toEqual({ ...(JSON.parse(JSON.stringify(tracker.summary())) as object), realized: null });
    expect(body).toMatchObject({
      revision: 7,
      rollout: { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'canary', weight: 20 }], shadows: [] },
      variants: [
        { variant: 'champion', version: '1.0.0', count: 2, mean_score: 0.5, churned: 1, churn_rate: 0.5 },
        { variant: 'canary', version: '1.1.0', count: 1, mean_score: 0.55, churned: 1, churn_rate: 1 },
      ],
      previous: null,
      note: null,
    });
  });

  it('shows a shadow comparison and the previous revision after a change', async () => {
    const shadow9 = await rolloutSet(9, { champion: '1.0.0', shadows: ['1.1.0'] });
    source.set = shadow9;
    try {
      tracker.recordCommitted(shadow9, [
        { variant: 'champion', version: '1.0.0', score: 0.8, shadowScores: [0.6] },
        { variant: 'champion', version: '1.0.0', score: 0.1, shadowScores: [0.3] },
      ]);
      const body = (await app.inject({ url: '/experiments' })).json<{
        revision: number;
        shadows: unknown[];
        previous: { revision: number } | null;
      }>();
      expect(body.revision).toBe(9);
      expect(body.previous?.revision).toBe(7);
      expect(body.shadows).toEqual([
        {
          version: '1.1.0',
          champion_version: '1.0.0',
          events: 2,
          agreement: 1,
          mean_abs_delta: expect.closeTo(0.2, 12) as unknown,
          psi: expect.any(Number) as unknown,
          riskiest_quartile_jaccard: 1,
          riskiest_quartile_exact: true,
        },
      ]);
      const metrics = (await app.inject({ url: '/metrics' })).body;
      expect(metrics).toContain('churn_experiment_predictions{variant="champion",version="1.0.0"} 2');
      expect(metrics).toContain('churn_experiment_mean_score{variant="champion",version="1.0.0"} 0.45');
      expect(metrics).toContain('churn_experiment_churn_rate{variant="champion",version="1.0.0"} 0.5');
      // scores 0.8 and 0.1: one in each of their bins, none elsewhere
      const bins = [
        ...metrics.matchAll(
          /^churn_experiment_score_histogram\{variant="champion",version="1\.0\.0",bin="([\d.-]+)"\} (\d+)$/gm,
        ),
      ];
      expect(bins.map(([, bin, count]) => `${bin}:${count}`)).toEqual(
        [
          '0.0-0.1',
          '0.1-0.2',
          '0.2-0.3',
          '0.3-0.4',
          '0.4-0.5',
          '0.5-0.6',
          '0.6-0.7',
          '0.7-0.8',
          '0.8-0.9',
          '0.9-1.0',
        ].map((bin) => `${bin}:${bin === '0.1-0.2' || bin === '0.8-0.9' ? 1 : 0}`),
      );
      expect(metrics).toContain('churn_shadow_agreement{shadow="1.1.0",champion="1.0.0"} 1');
      expect(metrics).toMatch(/^churn_shadow_mean_abs_delta\{shadow="1\.1\.0",champion="1\.0\.0"\} 0\.2\d*$/m);
      expect(metrics).toMatch(/^churn_shadow_psi\{shadow="1\.1\.0",champion="1\.0\.0"\} \d/m);
      expect(metrics).toContain('churn_shadow_riskiest_quartile_jaccard{shadow="1.1.0",champion="1.0.0"} 1');
      // revision 7's canary is the previous experiment: not among the gauges of the revision in force
      expect(metrics).not.toContain('churn_experiment_predictions{variant="canary"');
    } finally {
      source.set = canary7;
    }
  });

  it('is documented in the OpenAPI document with its response schema', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>();
    expect(JSON.stringify(doc.paths['/experiments']?.['get']?.responses['200'])).toContain(
      '#/components/schemas/Experiments',
    );
    expect(Object.keys(doc.components.schemas['Experiments']?.properties ?? {}).sort()).toEqual(
      ['note', 'previous', 'realized', 'revision', 'rollout', 'shadows', 'since', 'variants'].sort(),
    );
  });
});

describe('GET /experiments without a stream (serve)', () => {
  it('shows the rollout in force, no comparison, and says where comparisons come from', async () => {
    const { app: sidePortOnly, registry } = await buildTestServer({ serving: source });
    try {
      const body = (await sidePortOnly.inject({ url: '/experiments' })).json<Record<string, unknown>>();
      expect(body).toMatchObject({
        revision: 7,
        rollout: { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'canary', weight: 20 }] },
        variants: [],
        shadows: [],
        previous: null,
      });
      expect(body['note']).toMatch(/comparisons come from the predictions the stream commits/);
      expect(await registry.metrics()).not.toContain('churn_experiment_');
      expect(body['realized']).toBeNull();
      expect(await registry.metrics()).not.toContain('churn_realized_');
    } finally {
      await sidePortOnly.close();
    }
  });
});
