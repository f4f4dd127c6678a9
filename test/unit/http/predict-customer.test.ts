import { describe, expect, it } from 'vitest';
import { createValidationRules } from '../../../src/contract/customer.js';
import { predictCustomer } from '../../../src/model/predict-customer.js';
import { batchFieldErrors } from '../../../src/http/batch-field-errors.js';
import type { ChurnModel } from '../../../src/model/index.js';
import { notesExamples, realModel } from './http-test-support.js';

const rules = createValidationRules({ categories: {}, strictCategories: false });

describe('predictCustomer', () => {
  it('returns the probability and the churn decision of the real model', async () => {
    const model = await realModel();
    const example = notesExamples()[1];
    const result = predictCustomer(example?.customer, rules, model);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(Math.abs(result.churn_probability - (example?.churn_probability ?? NaN))).toBeLessThanOrEqual(1e-9);
      expect(result.churn).toBe(false);
    }
  });

  it('turns a score that is not a number (overflowing inputs) into field errors, not a NaN answer', async () => {
    const real = await realModel();
    const overflowing: ChurnModel = { ...real, score: () => Number.NaN };
    const customer = { ...notesExamples()[0]?.customer, tenure: 1e300, totalcharges: 1e300 };
    const result = predictCustomer(customer, rules, overflowing);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.field)).toEqual(['tenure', 'totalcharges']);
  });

  it('prefixes batch errors with the customer index', () => {
    expect(
      batchFieldErrors(4, [
        { field: 'tenure', message: 'is required' },
        { field: '(body)', message: 'must be a JSON object' },
      ]),
    ).toEqual([
      { field: 'customers[4].tenure', message: 'is required' },
      { field: 'customers[4]', message: 'must be a JSON object' },
    ]);
  });
});
