import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findRepoRoot } from '../../../src/config/repo-root.js';
import {
  createValidationRules,
  validateCustomer,
  type Customer,
  type ValidationRules,
} from '../../../src/contract/customer.js';
import {
  createChurnModel,
  createExplainer,
  loadModelArtifact,
  sigmoid,
  topReasons,
  type ChurnModel,
  type CustomerExplainer,
} from '../../../src/model/index.js';

const MODELS_DIR = join(findRepoRoot(), 'models', 'churn');

interface ParityLine {
  customerid: string;
  raw: Record<string, unknown>;
  churn_probability: number;
}

interface ModelJson {
  features: string[];
  coefficients: number[];
  intercept: number;
}

function readParity(version: string): ParityLine[] {
  return readFileSync(join(MODELS_DIR, version, 'parity.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ParityLine);
}

/**
 * The oracle, written without src/model: every DictVectorizer column of model.json times the customer's value in
 * it (1 for the one-hot column of the category present, 0 for the others, the number itself for a numeric one).
 * Returns the non-zero-column terms by feature name, and the logit as the plain sum over all columns.
 */
function independentTerms(json: ModelJson, customer: Record<string, unknown>) {
  const terms = new Map<string, number>();
  let logit = json.intercept;
  json.features.forEach((feature, i) => {
    const coefficient = json.coefficients[i] as number;
    const at = feature.indexOf('=');
    let x: number;
    if (at < 0) {
      x = customer[feature] as number;
      terms.set(feature, coefficient * x);
    } else {
      x = customer[feature.slice(0, at)] === feature.slice(at + 1) ? 1 : 0;
      if (x === 1) terms.set(feature, coefficient * x);
    }
    logit += coefficient * x;
  });
  return { terms, logit };
}

function validated(input: unknown, rules: ValidationRules): Customer {
  const result = validateCustomer(input, rules);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.customer;
}

describe.each(['1.0.0', '1.1.0'])('explanations of models/churn/%s', (version) => {
  const parity = readParity(version);
  const json = JSON.parse(readFileSync(join(MODELS_DIR, version, 'model.json'), 'utf8')) as ModelJson;
  let model: ChurnModel;
  let explainer: CustomerExplainer;
  let strict: ValidationRules;

  beforeAll(async () => {
    const artifact = await loadModelArtifact(join(MODELS_DIR, version));
    model = createChurnModel(artifact);
    explainer = createExplainer(artifact);
    strict = createValidationRules({ categories: model.meta.categories, strictCategories: true });
  });

  it('decomposes every one of the 1,409 test customers exactly: the terms model.json gives, summing to the logit', () => {
    expect(parity).toHaveLength(1409);
    let worstSum = 0;
    let worstScore = 0;
    for (const [i, line] of parity.entries()) {
      const where = `${version} parity line ${i + 1} (${line.customerid})`;
      const customer = validated(line.raw, strict);
      const explanation = explainer.explain(customer);
      const oracle = independentTerms(json, customer);

      // The same 19 terms (one per field: the category present, and the four numbers), each the same product.
      expect(explanation.contributions, where).toHaveLength(19);
      expect(new Map(explanation.contributions.map((c) => [c.feature, c.contribution])), where).toEqual(oracle.terms);
      expect(explanation.intercept).toBe(json.intercept);

      const sum = explanation.contributions.reduce((s, c) => s + c.contribution, explanation.intercept);
      const sumError = Math.max(Math.abs(sum - explanation.logit), Math.abs(oracle.logit - explanation.logit));
      worstSum = Math.max(worstSum, sumError);
      expect(sumError, where).toBeLessThanOrEqual(1e-9);

      const scoreError = Math.abs(sigmoid(explanation.logit) - model.score(customer));
      worstScore = Math.max(worstScore, scoreError);
      expect(scoreError, where).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(sigmoid(oracle.logit) - model.score(customer)), where).toBeLessThanOrEqual(1e-12);
      // ... and the scorer is sklearn (parity.test.ts), so the explained logit is sklearn's too.
      expect(Math.abs(sigmoid(explanation.logit) - line.churn_probability), where).toBeLessThanOrEqual(1e-9);
    }
    console.info(`explain ${version}: max |Σ - logit| ${worstSum.toExponential(2)}, max |p - score| ${worstScore}`);
  });

  it('sorts by |contribution| and its top three reasons are the three largest terms by magnitude', () => {
    for (const [i, line] of parity.entries()) {
      const customer = validated(line.raw, strict);
      const explanation = explainer.explain(customer);
      const magnitudes = explanation.contributions.map((c) => Math.abs(c.contribution));
      expect(magnitudes, `line ${i + 1}`).toEqual([...magnitudes].sort((a, b) => b - a));

      const largest = [...independentTerms(json, customer).terms.values()]
        .map(Math.abs)
        .sort((a, b) => b - a)
        .slice(0, 3);
      const top = topReasons(explanation, 3);
      expect(
        top.map((r) => Math.abs(r.contribution)),
        `line ${i + 1}`,
      ).toEqual(largest);
      for (const reason of top) {
        const field = reason.feature.split('=')[0] as keyof Customer;
        expect(reason.value, reason.feature).toBe(customer[field]);
      }
    }
  });

  it("names the reasons of the notes' second customer (8879-ZKJOF) with DictVectorizer's feature names and values", () => {
    const notesCustomer = parity.find((line) => line.customerid === '8879-ZKJOF');
    expect(notesCustomer).toBeDefined();
    const explanation = explainer.explain(validated(notesCustomer?.raw, strict));
    const byFeature = new Map(explanation.contributions.map((c) => [c.feature, c]));
    expect(byFeature.get('contract=one_year')).toMatchObject({ value: 'one_year' });
    expect(byFeature.get('tenure')).toMatchObject({ value: 41 });
    expect(byFeature.get('tenure')?.contribution).toBe(
      (json.coefficients[json.features.indexOf('tenure')] as number) * 41,
    );
    expect(byFeature.has('contract=month-to-month')).toBe(false);
  });

  it('lists an unseen category with contribution 0 and its value, marked unseen; the logit is still the score', () => {
    const lenient = createValidationRules({ categories: model.meta.categories, strictCategories: false });
    const line = parity[0] as ParityLine;
    const customer = validated({ ...line.raw, contract: 'Three year' }, lenient);
    const explanation = explainer.explain(customer);
    const contract = explanation.contributions.find((c) => c.feature.startsWith('contract='));
    expect(contract).toEqual({ feature: 'contract=three_year', value: 'three_year', contribution: 0, unseen: true });
    expect(Math.abs(sigmoid(explanation.logit) - model.score(customer))).toBeLessThanOrEqual(1e-12);
    expect(explanation.contributions.filter((c) => c.unseen === true)).toHaveLength(1);
  });

  it('topReasons takes n and refuses a negative or fractional n', () => {
    const explanation = explainer.explain(validated((parity[1] as ParityLine).raw, strict));
    expect(topReasons(explanation, 5)).toEqual(explanation.contributions.slice(0, 5));
    expect(topReasons(explanation)).toHaveLength(3);
    expect(() => topReasons(explanation, -1)).toThrow(RangeError);
    expect(() => topReasons(explanation, 1.5)).toThrow(RangeError);
  });
});
