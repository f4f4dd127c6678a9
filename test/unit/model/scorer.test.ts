import { describe, expect, it } from 'vitest';
import { createValidationRules, validateCustomer, type Customer } from '../../../src/contract/customer.js';
import { createChurnModel, parseModelArtifact, sigmoid } from '../../../src/model/index.js';
import { RAW_CUSTOMER, TELCO_CATEGORIES } from '../contract/sample-customers.js';
import { makeArtifact } from './fixture-artifact.js';

const rules = createValidationRules({ categories: TELCO_CATEGORIES, strictCategories: false });

function customer(overrides: Record<string, unknown> = {}): Customer {
  const result = validateCustomer({ ...RAW_CUSTOMER, ...overrides }, rules);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.customer;
}

/** Independent reference: DictVectorizer.transform into the artifact's feature order, then w.x + b, expit. */
function referenceProbability(artifact: Record<string, unknown>, c: Customer): number {
  const features = artifact['features'] as string[];
  const coefficients = artifact['coefficients'] as number[];
  const x = new Array<number>(features.length).fill(0);
  for (const [key, value] of Object.entries(c)) {
    const name = typeof value === 'string' ? `${key}=${value}` : key;
    const index = features.indexOf(name);
    if (index >= 0) x[index] = typeof value === 'string' ? 1 : value;
  }
  let z = artifact['intercept'] as number;
  for (let i = 0; i < x.length; i++) z += (coefficients[i] as number) * (x[i] as number);
  return 1 / (1 + Math.exp(-z));
}

const artifact = makeArtifact();
const model = createChurnModel(parseModelArtifact(artifact, 'fixture/model.json'));

describe('createChurnModel', () => {
  const variants: Array<Record<string, unknown>> = [
    {},
    { internetservice: 'Fiber optic', contract: 'Two year', tenure: 72, monthlycharges: 110.5, totalcharges: 2000 },
    { seniorcitizen: 1, paymentmethod: 'Mailed check', onlinesecurity: 'No internet service', totalcharges: 0 },
    { gender: 'Male', partner: 'No', dependents: 'Yes', multiplelines: 'Yes', tenure: 0, monthlycharges: 0 },
  ];

  it.each(variants.map((v, i) => [i, v] as const))(
    'variant %i matches the DictVectorizer reference',
    (_i, overrides) => {
      const c = customer(overrides);
      const p = model.score(c);
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThan(1);
      expect(Math.abs(p - referenceProbability(artifact, c))).toBeLessThan(1e-12);
    },
  );

  it('gives an unknown category zero weight, exactly as dropping that one-hot feature', () => {
    const unknown = customer({ contract: 'Three year' });
    const features = artifact['features'] as string[];
    const coefficients = artifact['coefficients'] as number[];
    const withoutContract = {
      ...artifact,
      coefficients: coefficients.map((w, i) => (features[i]?.startsWith('contract=') ? 0 : w)),
    };
    const zeroed = createChurnModel(parseModelArtifact(withoutContract, 'x/model.json'));
    expect(model.score(unknown)).toBe(zeroed.score(customer()));
    expect(model.score(unknown)).not.toBe(model.score(customer()));
  });

  it('reduces to sigmoid(intercept) when all weights are zero', () => {
    const zero = { ...artifact, coefficients: (artifact['coefficients'] as number[]).map(() => 0), intercept: 0 };
    expect(createChurnModel(parseModelArtifact(zero, 'x/model.json')).score(customer())).toBe(0.5);
  });

  it('scores a batch into the caller buffer, in order, equal to single scoring', () => {
    const batch = variants.map((v) => customer(v));
    const out = new Float64Array(batch.length + 2).fill(-1);
    expect(model.scoreInto(batch, out)).toBe(out);
    batch.forEach((c, i) => {
      expect(out[i]).toBe(model.score(c));
    });
    expect(out[batch.length]).toBe(-1);
    expect(() => model.scoreInto(batch, new Float64Array(1))).toThrow(RangeError);
  });

  it('decides churn as probability >= threshold', () => {
    expect(model.isChurn(0.5)).toBe(true);
    expect(model.isChurn(0.4999999)).toBe(false);
  });

  it('lists unknown categories, sharing one empty array when there are none', () => {
    expect(model.unknownCategories(customer())).toBe(model.unknownCategories(customer({ tenure: 5 })));
    expect(model.unknownCategories(customer())).toHaveLength(0);
    expect(model.unknownCategories(customer({ contract: 'weekly', gender: 'x' }))).toEqual([
      { field: 'gender', value: 'x' },
      { field: 'contract', value: 'weekly' },
    ]);
  });

  it('exposes metadata for /model', () => {
    expect(model.meta).toMatchObject({
      name: 'churn',
      version: '0.0.0-test',
      threshold: 0.5,
      n_features: (artifact['features'] as string[]).length,
      metrics: { test_roc_auc: 0.85 },
      training: { sklearn_version: 'test' },
      categories: { contract: ['month-to-month', 'one_year', 'two_year'] },
    });
  });
});

describe('sigmoid', () => {
  it.each([0, 0.3, -0.3, 5, -5, 30, -30, 700, -700])('matches 1/(1+e^-z) at z=%d', (z) => {
    expect(Math.abs(sigmoid(z) - 1 / (1 + Math.exp(-z)))).toBeLessThanOrEqual(
      4 * Number.EPSILON * Math.max(sigmoid(z), 1e-300),
    );
  });

  it('is symmetric and stays finite at extremes', () => {
    expect(sigmoid(2) + sigmoid(-2)).toBeCloseTo(1, 15);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-800)).toBeGreaterThanOrEqual(0);
    expect(Number.isNaN(sigmoid(-1e308))).toBe(false);
    expect(sigmoid(Number.NEGATIVE_INFINITY)).toBe(0);
  });
});
