import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TELCO_CATEGORIES } from '../contract/sample-customers.js';

/**
 * A small hand-made model.json in the artifact format: every Telco one-hot feature plus the four numeric
 * ones, sorted like DictVectorizer's feature_names_, with arbitrary but distinct coefficients.
 */
export function makeArtifact(): Record<string, unknown> {
  const features: string[] = ['monthlycharges', 'seniorcitizen', 'tenure', 'totalcharges'];
  for (const [field, values] of Object.entries(TELCO_CATEGORIES))
    for (const v of values) features.push(`${field}=${v}`);
  features.sort();
  const coefficients = features.map((_, i) => Math.round(Math.sin(i + 1) * 1000) / 1000);
  // Keep numeric weights small so realistic charges give probabilities away from 0 and 1.
  for (const [i, name] of features.entries())
    if (!name.includes('=')) coefficients[i] = (coefficients[i] as number) / 1000;
  return {
    format: 'churn-scorer.logistic-dv/1',
    name: 'churn',
    version: '0.0.0-test',
    created_at: '2026-11-21T00:00:00Z',
    estimator: 'make_pipeline(DictVectorizer(sparse=False), LogisticRegression(C=1.0, max_iter=1000))',
    features,
    coefficients,
    intercept: -0.25,
    threshold: 0.5,
    preprocessing: {
      numerical: ['tenure', 'monthlycharges', 'totalcharges'],
      categorical: ['gender', 'seniorcitizen', ...Object.keys(TELCO_CATEGORIES).filter((f) => f !== 'gender')],
      categorical_normalization: "lowercase; ' ' -> '_'",
      column_names: "lowercase; ' ' -> '_'",
      totalcharges_blank: 0,
      numeric_valued_categoricals: ['seniorcitizen'],
    },
    categories: Object.fromEntries(Object.entries(TELCO_CATEGORIES).map(([k, v]) => [k, [...v]])),
    numeric_ranges: { tenure: { min: 0, max: 72 }, seniorcitizen: { min: 0, max: 1 } },
    metrics: { test_roc_auc: 0.85, n_full_train: 10, n_test: 3 },
    training: { sklearn_version: 'test', test_size: 0.2, random_state: 1 },
    data: { file: 'data/test.csv', sha256: 'abc', rows: 13 },
  };
}

/** Writes model.json (or raw text) into a fresh temporary directory and returns the directory. */
export function writeArtifactDir(content: Record<string, unknown> | string): string {
  const dir = mkdtempSync(join(tmpdir(), 'churn-model-'));
  writeFileSync(join(dir, 'model.json'), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}
