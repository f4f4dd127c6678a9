import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { DEFAULT_DRIFT_THRESHOLDS } from '../../../src/monitoring/drift-summary.js';
import { REPO_ROOT } from '../../support/paths.js';

describe('config monitoring', () => {
  it('defaults to drift monitoring on, over windows of 5,000 records or a minute, with the usual thresholds', () => {
    const { monitoring, topics } = loadConfig({ env: {}, repoRoot: REPO_ROOT, cwd: REPO_ROOT });
    expect(monitoring).toEqual({
      enabled: true,
      windowRecords: 5_000,
      windowMs: 60_000,
      thresholds: DEFAULT_DRIFT_THRESHOLDS,
    });
    expect(topics.drift).toBe('monitoring.drift');
  });

  it('is switched off and tuned by the environment', () => {
    const { monitoring, topics } = loadConfig({
      env: {
        DRIFT_MONITORING: 'false',
        DRIFT_WINDOW_RECORDS: '704',
        DRIFT_WINDOW_MS: '5000',
        DRIFT_MIN_RECORDS: '0',
        DRIFT_OUT_OF_RANGE_RATE_THRESHOLD: '0.05',
        TOPIC_DRIFT: 'drift.windows',
      },
      repoRoot: REPO_ROOT,
      cwd: REPO_ROOT,
    });
    expect(monitoring).toMatchObject({ enabled: false, windowRecords: 704, windowMs: 5_000 });
    expect(monitoring.thresholds).toMatchObject({ minRecords: 0, outOfRangeRate: 0.05, psi: 0.2 });
    expect(topics.drift).toBe('drift.windows');
  });
});
