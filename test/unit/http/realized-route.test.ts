import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentTracker } from '../../../src/experiments/experiment-tracker.js';
import { HTTP_API_VERSION } from '../../../src/http/server.js';
import { RealizedTracker } from '../../../src/outcomes/realized-tracker.js';
import { rolloutSet, SwappableServingSource } from '../../support/serving-sets.js';
import { expiredRecord, joinedRecord, pairwiseAuc, unmatchedRecord } from '../outcomes/joined-test-records.js';
import { buildTestServer } from './http-test-support.js';

let app: FastifyInstance;
let registry: Registry;
let realized: RealizedTracker;
beforeAll(async () => {
  const source = new SwappableServingSource(
    await rolloutSet(3, { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'ab', weight: 50 }] }),
  );
  realized = new RealizedTracker({ windowRecords: 4 });
  ({ app, registry } = await buildTestServer({
    serving: source,
    experiments: new ExperimentTracker({ serving: source }),
    realized,
  }));
});
afterAll(async () => {
  await app.close();
});

interface RealizedBody {
  realized: {
    window_records: number;
    unmatched_outcomes: number;
    versions: (Record<string, unknown> & { version: string; variant: string })[];
  } | null;
  revision: number;
}

describe('GET /experiments: realized performance', () => {
  it("shows each version and variant's figures over its window, with the join's counts", async () => {
    const champion = [
      { p: 0.95, churned: true },
      { p: 0.9, churned: false }, // pushed out of the window of 4 by the later ones
      { p: 0.8, churned: true },
      { p: 0.3, churned: false },
      { p: 0.6, churned: false },
      { p: 0.2, churned: true },
    ];
    realized.recordCommitted([
      ...champion.map((c) => joinedRecord({ version: '1.0.0', variant: 'champion', ...c })),
      joinedRecord({ version: '1.1.0', variant: 'ab', p: 0.7, churned: true }),
      expiredRecord('1.1.0', 'ab'),
      unmatchedRecord(),
    ]);
    const res = await app.inject({ url: '/experiments' });
    expect(res.statusCode).toBe(200);
    const body = res.json<RealizedBody>();
    expect(body.revision).toBe(3);
    expect(body.realized).toEqual(JSON.parse(JSON.stringify(realized.view())) as unknown);
    expect(body.realized?.window_records).toBe(4);
    expect(body.realized?.unmatched_outcomes).toBe(1);
    const [v100, v110] = body.realized?.versions ?? [];
    const window = champion.slice(-4);
    expect(v100).toMatchObject({ version: '1.0.0', variant: 'champion', n: 4, joined: 6, expired: 0 });
    expect(v100?.['auc']).toBe(pairwiseAuc(window));
    expect(v100?.['calibration']).toHaveLength(10);
    expect(v110).toMatchObject({ version: '1.1.0', variant: 'ab', n: 1, joined: 1, expired: 1, auc: null });
  });

  it('exports the realized gauges per version and variant (none for an undefined figure)', async () => {
    const metrics = await registry.metrics();
    const view = realized.view().versions[0];
    expect(metrics).toContain(`churn_realized_auc{version="1.0.0",variant="champion"} ${view?.auc}`);
    expect(metrics).toContain(`churn_realized_log_loss{version="1.0.0",variant="champion"} ${view?.log_loss}`);
    expect(metrics).toContain(
      `churn_realized_precision_riskiest25{version="1.0.0",variant="champion"} ${view?.precision_riskiest25}`,
    );
    expect(metrics).toContain(
      `churn_realized_recall_riskiest25{version="1.0.0",variant="champion"} ${view?.recall_riskiest25}`,
    );
    expect(metrics).toContain('churn_realized_records{version="1.0.0",variant="champion"} 4');
    expect(metrics).toContain('churn_realized_records{version="1.1.0",variant="ab"} 1');
    // one class only: no AUC series for 1.1.0
    expect(metrics).not.toContain('churn_realized_auc{version="1.1.0"');
  });

  it('documents the realized section in the OpenAPI document, and the API version says so', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json<{
      info: { version: string };
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>();
    expect(doc.info.version).toBe(HTTP_API_VERSION);
    expect(HTTP_API_VERSION).toBe('1.5.0');
    expect(JSON.stringify(doc.components.schemas['Experiments']?.properties?.['realized'])).toContain(
      '#/components/schemas/RealizedPerformance',
    );
    expect(Object.keys(doc.components.schemas['RealizedVersion']?.properties ?? {}).sort()).toEqual(
      Object.keys(realized.view().versions[0] ?? {}).sort(),
    );
    expect(Object.keys(doc.components.schemas['CalibrationBin']?.properties ?? {}).sort()).toEqual([
      'count',
      'decile',
      'lower',
      'mean_predicted',
      'observed_rate',
      'upper',
    ]);
  });
});
