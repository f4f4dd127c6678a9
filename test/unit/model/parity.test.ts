import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createValidationRules,
  validateCustomer,
  type Customer,
  type ValidationRules,
} from '../../../src/contract/customer.js';
import { findRepoRoot } from '../../../src/config/repo-root.js';
import { loadModel, type ChurnModel } from '../../../src/model/index.js';
import { rocAuc } from './roc-auc.js';

// The committed artifacts exported by training/ (npm run train): sklearn's own probabilities are the oracle.
const MODELS_DIR = join(findRepoRoot(), 'models', 'churn');
const TOLERANCE = 1e-9;

interface ParityLine {
  customerid: string;
  raw: Record<string, unknown>;
  features: Record<string, unknown>;
  /** The observed label (y_test), not a prediction. */
  churn: 0 | 1;
  churn_probability: number;
}

interface ExamplesFile {
  examples: Array<{ name: string; customer: Record<string, unknown>; churn_probability: number; churn: boolean }>;
}

interface Fixture {
  dir: string;
  parity: ParityLine[];
  examples: ExamplesFile['examples'];
}

function readFixture(version: string): Fixture {
  const dir = join(MODELS_DIR, version);
  const parity = readFileSync(join(dir, 'parity.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ParityLine);
  const examples = (JSON.parse(readFileSync(join(dir, 'examples.json'), 'utf8')) as ExamplesFile).examples;
  return { dir, parity, examples };
}

function validated(input: unknown, rules: ValidationRules, where: string): Customer {
  const result = validateCustomer(input, rules);
  if (!result.ok) throw new Error(`${where}: ${JSON.stringify(result.errors)}`);
  expect(result.warnings, where).toEqual([]);
  return result.customer;
}

describe.each([
  // 1.0.0: the notes' recipe, C=1.0; 1.1.0: C chosen by 5-fold cross-validation (training/README.md).
  ['1.0.0', ['0.6364', '0.0622']],
  ['1.1.0', ['0.6511', '0.0573']],
] as const)('parity with sklearn predict_proba (models/churn/%s)', (version, notesFigures) => {
  const { dir, parity, examples } = readFixture(version);
  let model: ChurnModel;
  let strict: ValidationRules;

  beforeAll(async () => {
    model = await loadModel(dir);
    strict = createValidationRules({ categories: model.meta.categories, strictCategories: true });
  });

  it('is the version it claims and has all 1,409 test customers', () => {
    expect(model.meta.version).toBe(version);
    expect(parity).toHaveLength(1409);
    expect(model.meta.metrics['n_test']).toBe(1409);
  });

  it('scores every raw test customer within 1e-9 of sklearn and makes the same churn decision', () => {
    let worst = 0;
    let correct = 0;
    for (const [i, line] of parity.entries()) {
      const where = `${version} parity.jsonl line ${i + 1} (${line.customerid})`;
      const customer = validated(line.raw, strict, where);
      expect(customer, where).toEqual(line.features);
      const p = model.score(customer);
      worst = Math.max(worst, Math.abs(p - line.churn_probability));
      expect(Math.abs(p - line.churn_probability), where).toBeLessThanOrEqual(TOLERANCE);
      expect(model.isChurn(p), where).toBe(line.churn_probability >= model.meta.threshold);
      if ((model.isChurn(p) ? 1 : 0) === line.churn) correct++;
    }
    // The labels give the accuracy the training run reported, computed here from our own scores.
    expect(correct / parity.length).toBeCloseTo(model.meta.metrics['test_accuracy_at_threshold'] as number, 12);
    console.info(`parity ${version}: max |ts - sklearn| over ${parity.length} customers = ${worst.toExponential(2)}`);
  });

  it('gives, from its own scores, the test ROC AUC the training run reported', () => {
    const scores = parity.map((line, i) => model.score(validated(line.raw, strict, `line ${i + 1}`)));
    const auc = rocAuc(
      parity.map((line) => line.churn),
      scores,
    );
    expect(auc).toBeCloseTo(model.meta.metrics['test_roc_auc'] as number, 12);
  });

  it('scores the normalized feature dicts identically', () => {
    const customers = parity.map((line, i) => validated(line.features, strict, `parity.jsonl line ${i + 1} features`));
    const out = model.scoreInto(customers, new Float64Array(customers.length));
    for (const [i, line] of parity.entries()) {
      expect(Math.abs((out[i] as number) - line.churn_probability), `line ${i + 1}`).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it.each(examples.map((e) => [e.name, e] as const))(
    'scores the notes customer %s as sklearn does',
    (_name, example) => {
      const p = model.score(validated(example.customer, strict, example.name));
      expect(Math.abs(p - example.churn_probability)).toBeLessThanOrEqual(TOLERANCE);
      expect(model.isChurn(p)).toBe(example.churn);
    },
  );

  it(`scores the notes' two customers about ${notesFigures.join(' and ')}`, () => {
    const scores = examples.map((e) => model.score(validated(e.customer, strict, e.name)));
    expect(scores.map((s) => s.toFixed(4))).toEqual(notesFigures);
  });
});

describe('models/churn/1.1.0: C chosen by 5-fold cross-validation', () => {
  let model: ChurnModel;
  beforeAll(async () => {
    model = await loadModel(join(MODELS_DIR, '1.1.0'));
  });

  it('records the recipe and the CV table of the lesson grid, and its C is the best mean AUC of that table', () => {
    const { training, metrics } = model.meta;
    expect(training).toMatchObject({ recipe: 'cv-c', cv_n_splits: 5, cv_shuffle: true, cv_random_state: 1 });
    const table = new Map<number, { mean: number; std: number }>();
    for (const [key, mean] of Object.entries(metrics)) {
      const c = /^cv_roc_auc_mean\[C=(.+)\]$/.exec(key)?.[1];
      if (c === undefined) continue;
      const std = metrics[`cv_roc_auc_std[C=${c}]`];
      expect(std, `std for C=${c}`).toBeTypeOf('number');
      table.set(Number(c), { mean, std: std as number });
    }
    expect([...table.keys()]).toEqual([0.001, 0.01, 0.1, 0.5, 1, 5, 10]);
    const [bestC, best] = [...table.entries()].reduce((a, b) => (b[1].mean > a[1].mean ? b : a));
    expect(training['C']).toBe(bestC);
    expect(metrics['cv_roc_auc_mean']).toBe(best.mean);
    expect(metrics['cv_roc_auc_std']).toBe(best.std);
    // Genuinely another model than 1.0.0's C=1.0.
    expect(bestC).not.toBe(1);
    expect(model.meta.estimator).toContain(`LogisticRegression(C=${bestC.toFixed(1)},`);
  });
});
