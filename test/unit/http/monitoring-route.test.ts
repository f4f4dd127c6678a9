import type { FastifyInstance } from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createValidationRules, validateCustomer } from '../../../src/contract/customer.js';
import type { ModelReference } from '../../../src/model/index.js';
import { DEFAULT_DRIFT_THRESHOLDS, type DriftThresholds } from '../../../src/monitoring/drift-summary.js';
import { DriftTracker } from '../../../src/monitoring/drift-tracker.js';
import type { MonitoringView } from '../../../src/http/monitoring-view.js';
import { metricValue } from '../../support/metrics.js';
import { must } from '../../support/must.js';
import { buildTestServer, parityRows, realModel, type ParityRow } from './http-test-support.js';

const THRESHOLDS: DriftThresholds = { ...DEFAULT_DRIFT_THRESHOLDS, minRecords: 10 };

let rows: ParityRow[];
let reference: ModelReference;
let app: FastifyInstance | undefined;
beforeAll(async () => {
  rows = parityRows(200);
  reference = must((await realModel()).meta.reference, 'the reference of 1.0.0');
});
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function tracker(windowRecords: number, windowMs = 600_000): DriftTracker {
  return new DriftTracker({ windowRecords, windowMs, thresholds: THRESHOLDS });
}

async function monitoring(server: FastifyInstance): Promise<MonitoringView> {
  const res = await server.inject({ method: 'GET', url: '/monitoring' });
  expect(res.statusCode).toBe(200);
  return res.json<MonitoringView>();
}

async function metrics(server: FastifyInstance): Promise<string> {
  return (await server.inject({ method: 'GET', url: '/metrics' })).body;
}

function monthToMonth(row: ParityRow): Record<string, unknown> {
  return { ...row.raw, contract: 'Month-to-month' };
}

describe('GET /monitoring of `serve`: drift over what /predict answers', () => {
  it('counts every answered customer per model version and shows the closed window, its gauges and alerts', async () => {
    const drift = tracker(40);
    ({ app } = await buildTestServer({ drift: { tracker: drift, feed: 'predictions' } }));
    const server = app;
    for (const row of rows.slice(0, 20)) {
      expect((await server.inject({ method: 'POST', url: '/predict', payload: monthToMonth(row) })).statusCode).toBe(
        200,
      );
    }
    const batch = rows.slice(20, 40).map(monthToMonth);
    expect(
      (await server.inject({ method: 'POST', url: '/predict/batch', payload: { customers: batch } })).statusCode,
    ).toBe(200);

    const view = await monitoring(server);
    expect(view).toMatchObject({ enabled: true, feed: 'predictions', window: { records: 40, ms: 600_000 } });
    expect(view.thresholds).toMatchObject({ psi: 0.2, min_records: 10 });
    expect(view.versions.map((v) => v.version)).toEqual(['1.0.0']);
    const [version] = view.versions as [MonitoringView['versions'][number]];
    expect(version.reference).toEqual({ rows: reference.rows, split: reference.split });
    expect(version.current).toBeNull();
    const closed = must(version.last_closed, 'a closed window');
    expect(closed).toMatchObject({ records: 40, scored: 40 });
    const contract = must(
      closed.features.find((f) => f.feature === 'contract'),
      'contract',
    );
    // Every customer is month-to-month: the contract moved far from its training share.
    expect(contract.psi).toBeGreaterThan(0.2);
    expect(contract.drift).toBe(true);
    expect(version.alerts).toContainEqual({ feature: 'contract', metric: 'psi', value: contract.psi, threshold: 0.2 });

    const text = await metrics(server);
    expect(metricValue(text, 'churn_feature_psi', { version: '1.0.0', feature: 'contract' })).toBeCloseTo(
      contract.psi as number,
      12,
    );
    expect(metricValue(text, 'churn_drift', { version: '1.0.0', feature: 'contract' })).toBe(1);
    expect(metricValue(text, 'churn_drift_window_records', { version: '1.0.0' })).toBe(40);
    expect(metricValue(text, 'churn_score_psi', { version: '1.0.0' })).toBe(closed.score_psi);
    expect(metricValue(text, 'churn_feature_unseen_rate', { version: '1.0.0', feature: 'contract' })).toBe(0);
    expect(metricValue(text, 'churn_feature_out_of_range_rate', { version: '1.0.0', feature: 'tenure' })).toBe(0);
    // Rates that cannot move for a kind of field have no series.
    expect(metricValue(text, 'churn_feature_unseen_rate', { version: '1.0.0', feature: 'tenure' })).toBeUndefined();
  });

  it('counts a refused customer by its usable fields, and a body that is no object not at all', async () => {
    const drift = tracker(1_000);
    ({ app } = await buildTestServer({ drift: { tracker: drift, feed: 'predictions' } }));
    const server = app;
    const noTenure = { ...must(rows[0], 'a row').raw, tenure: undefined, contract: 'Weekly' };
    expect((await server.inject({ method: 'POST', url: '/predict', payload: noTenure })).statusCode).toBe(400);
    expect((await server.inject({ method: 'POST', url: '/predict', payload: [1, 2] })).statusCode).toBe(400);
    const batch = { customers: [rows[1]?.raw, { ...rows[2]?.raw, monthlycharges: -1 }] };
    expect((await server.inject({ method: 'POST', url: '/predict/batch', payload: batch })).statusCode).toBe(400);

    const current = must((await monitoring(server)).versions[0]?.current, 'the open window');
    expect(current).toMatchObject({ records: 3, scored: 1 });
    const feature = (name: string) =>
      must(
        current.features.find((f) => f.feature === name),
        name,
      );
    expect(feature('tenure').missing_rate).toBeCloseTo(1 / 3, 12);
    expect(feature('contract').unseen_rate).toBeCloseTo(1 / 3, 12);
    expect(feature('monthlycharges').out_of_range_rate).toBeCloseTo(1 / 3, 12);
  });

  it('closes a window whose time is up when asked, without a new request', async () => {
    const drift = tracker(1_000, 30);
    ({ app } = await buildTestServer({ drift: { tracker: drift, feed: 'predictions' } }));
    const server = app;
    await server.inject({ method: 'POST', url: '/predict', payload: rows[0]?.raw });
    await new Promise((resolve) => setTimeout(resolve, 60));
    const [version] = (await monitoring(server)).versions;
    expect(version?.current).toBeNull();
    expect(version?.last_closed).toMatchObject({ records: 1 });
  });
});

describe('GET /monitoring of `run`: what the stream counts', () => {
  it('shows the windows the stream fed, and leaves /predict answers out', async () => {
    const drift = tracker(10);
    ({ app } = await buildTestServer({ drift: { tracker: drift, feed: 'stream' } }));
    const server = app;
    const model = await realModel();
    const rules = createValidationRules({ categories: model.meta.categories, strictCategories: false });
    const windows = drift.windows('customers[0]');
    windows.begin({ startedAt: 1, offsets: { first: 0n, last: 11n } });
    for (const row of rows.slice(0, 12)) {
      const result = validateCustomer(row.raw, rules);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      windows.stage('1.0.0', reference).addScored(result.customer, model.score(result.customer));
    }
    windows.commit(2);
    await server.inject({ method: 'POST', url: '/predict', payload: rows[20]?.raw });

    const view = await monitoring(server);
    expect(view.feed).toBe('stream');
    expect(view.note).toMatch(/partitions this worker owns/);
    expect(view.versions[0]).toMatchObject({ sources: 1, current: null, last_closed: { records: 12 } });
  });
});

describe('GET /monitoring with monitoring off', () => {
  it('says so, and there are no drift gauges', async () => {
    ({ app } = await buildTestServer());
    const view = await monitoring(app);
    expect(view).toMatchObject({ enabled: false, feed: null, window: null, thresholds: null, versions: [] });
    expect(view.note).toMatch(/DRIFT_MONITORING=false/);
    await app.inject({ method: 'POST', url: '/predict', payload: rows[0]?.raw });
    expect(await metrics(app)).not.toContain('churn_feature_psi');
  });
});
