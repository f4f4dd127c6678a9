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

// The committed artifact exported by training/ (npm run train): sklearn's own probabilities are the oracle.
const ARTIFACT_DIR = join(findRepoRoot(), 'models', 'churn', '1.0.0');
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

const parity: ParityLine[] = readFileSync(join(ARTIFACT_DIR, 'parity.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as ParityLine);
const examples = (JSON.parse(readFileSync(join(ARTIFACT_DIR, 'examples.json'), 'utf8')) as ExamplesFile).examples;

let model: ChurnModel;
let strict: ValidationRules;

beforeAll(async () => {
  model = await loadModel(ARTIFACT_DIR);
  strict = createValidationRules({ categories: model.meta.categories, strictCategories: true });
});

function validated(input: unknown, where: string): Customer {
  const result = validateCustomer(input, strict);
  if (!result.ok) throw new Error(`${where}: ${JSON.stringify(result.errors)}`);
  expect(result.warnings, where).toEqual([]);
  return result.customer;
}

describe('parity with sklearn predict_proba (models/churn/1.0.0)', () => {
  it('has all 1,409 test customers', () => {
    expect(parity).toHaveLength(1409);
    expect(model.meta.metrics['n_test']).toBe(1409);
  });

  it('scores every raw test customer within 1e-9 of sklearn and makes the same churn decision', () => {
    let worst = 0;
    let correct = 0;
    for (const [i, line] of parity.entries()) {
      const where = `parity.jsonl line ${i + 1} (${line.customerid})`;
      const customer = validated(line.raw, where);
      expect(customer, where).toEqual(line.features);
      const p = model.score(customer);
      worst = Math.max(worst, Math.abs(p - line.churn_probability));
      expect(Math.abs(p - line.churn_probability), where).toBeLessThanOrEqual(TOLERANCE);
      expect(model.isChurn(p), where).toBe(line.churn_probability >= model.meta.threshold);
      if ((model.isChurn(p) ? 1 : 0) === line.churn) correct++;
    }
    // The labels give the accuracy the training run reported, computed here from our own scores.
    expect(correct / parity.length).toBeCloseTo(model.meta.metrics['test_accuracy_at_threshold'] as number, 12);
    console.info(`parity: max |ts - sklearn| over ${parity.length} customers = ${worst.toExponential(2)}`);
  });

  it('scores the normalized feature dicts identically', () => {
    const customers = parity.map((line, i) => validated(line.features, `parity.jsonl line ${i + 1} features`));
    const out = model.scoreInto(customers, new Float64Array(customers.length));
    for (const [i, line] of parity.entries()) {
      expect(Math.abs((out[i] as number) - line.churn_probability), `line ${i + 1}`).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it.each(examples.map((e) => [e.name, e] as const))(
    'scores the notes customer %s as sklearn does',
    (_name, example) => {
      const p = model.score(validated(example.customer, example.name));
      expect(Math.abs(p - example.churn_probability)).toBeLessThanOrEqual(TOLERANCE);
      expect(model.isChurn(p)).toBe(example.churn);
    },
  );

  it('reproduces the notes figures (about 0.6364 and 0.0622)', () => {
    const scores = examples.map((e) => model.score(validated(e.customer, e.name)));
    expect(scores.map((s) => s.toFixed(4))).toEqual(['0.6364', '0.0622']);
  });
});
