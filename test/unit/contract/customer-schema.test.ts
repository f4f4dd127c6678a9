import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import {
  CUSTOMER_FEATURE_NAMES,
  CustomerSchema,
  createValidationRules,
  validateCustomer,
} from '../../../src/contract/customer.js';
import { RAW_CUSTOMER, TELCO_CATEGORIES } from './sample-customers.js';

describe('CustomerSchema (OpenAPI rendering of the contract)', () => {
  it('requires exactly the 19 features and allows extra properties', () => {
    expect([...CustomerSchema.required].sort()).toEqual([...CUSTOMER_FEATURE_NAMES].sort());
    expect(CustomerSchema.additionalProperties).not.toBe(false);
    expect(Value.Check(CustomerSchema, RAW_CUSTOMER)).toBe(true);
  });

  it('documents every field, with raw and normalized spellings for categoricals', () => {
    for (const name of CUSTOMER_FEATURE_NAMES) {
      expect(CustomerSchema.properties[name].description, name).toMatch(/\w/);
      expect(CustomerSchema.properties[name].examples, name).toBeDefined();
    }
    expect(CustomerSchema.properties.internetservice.examples).toEqual(
      expect.arrayContaining(['fiber_optic', 'Fiber optic']),
    );
    expect(CustomerSchema.properties.contract.description).toContain('month-to-month');
  });

  it('its example validates against both the schema and validateCustomer', () => {
    const rules = createValidationRules({ categories: TELCO_CATEGORIES, strictCategories: true });
    for (const example of CustomerSchema.examples as unknown[]) {
      expect(Value.Check(CustomerSchema, example)).toBe(true);
      expect(validateCustomer(example, rules)).toMatchObject({ ok: true, warnings: [] });
    }
  });

  it.each([
    ['tenure', -1],
    ['tenure', 2.5],
    ['seniorcitizen', 2],
    ['seniorcitizen', true],
    ['monthlycharges', '29.85'],
    ['totalcharges', -5],
    ['gender', 1],
    ['gender', ''],
  ])('rejects %s = %j like validateCustomer does', (field, value) => {
    const input = { ...RAW_CUSTOMER, [field]: value };
    const rules = createValidationRules({ categories: {}, strictCategories: false });
    expect(Value.Check(CustomerSchema, input)).toBe(false);
    expect(validateCustomer(input, rules).ok).toBe(false);
  });
});
