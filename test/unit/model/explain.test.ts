import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findRepoRoot } from '../../../src/config/repo-root.js';
import { independentExplanation, type ModelJson } from '../../support/independent-explanation.js';
import { must } from '../../support/must.js';
import {
  createValidationRules,
  STRING_CATEGORICAL_FEATURES,
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

function readParity(version: string): ParityLine[] {
  return readFileSync(join(MODELS_DIR, version, 'parity.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ParityLine);
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
      const oracle = independentExplanation(json, customer);

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

      const largest = [...independentExplanation(json, customer).terms.values()]
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

  it('reasons(customer, n) are the first n of the sorted explanation, for every test customer and every n', () => {
    for (const [i, line] of parity.entries()) {
      const customer = validated(line.raw, strict);
      const sorted = explainer.explain(customer).contributions;
      // The stream's three, and the whole list (which shows the order of every tie too).
      expect(explainer.reasons(customer, 3), `line ${i + 1}`).toEqual(sorted.slice(0, 3));
      expect(explainer.reasons(customer, 19), `line ${i + 1}`).toEqual(sorted);
    }
    const customer = validated((parity[5] as ParityLine).raw, strict);
    const sorted = explainer.explain(customer).contributions;
    for (let n = 0; n <= 25; n++) expect(explainer.reasons(customer, n), `n=${n}`).toEqual(sorted.slice(0, n));
    expect(() => explainer.reasons(customer, -1)).toThrow(RangeError);
    expect(() => explainer.reasons(customer, 2.5)).toThrow(RangeError);
  });

  it('reasons keep the contract order among equal magnitudes, as the sorted explanation does (unseen categories)', () => {
    const lenient = createValidationRules({ categories: model.meta.categories, strictCategories: false });
    const raw = {
      ...(parity[0] as ParityLine).raw,
      gender: 'other',
      seniorcitizen: 0,
      partner: 'maybe',
      contract: 'weekly',
      paymentmethod: 'cash',
      tenure: 0,
      totalcharges: 0,
    };
    const customer = validated(raw, lenient);
    const sorted = explainer.explain(customer).contributions;
    const zeros = sorted.filter((c) => c.contribution === 0).map((c) => c.feature);
    expect(zeros).toEqual([
      'gender=other',
      'seniorcitizen',
      'partner=maybe',
      'tenure',
      'contract=weekly',
      'paymentmethod=cash',
      'totalcharges',
    ]);
    for (let n = 0; n <= 19; n++) expect(explainer.reasons(customer, n), `n=${n}`).toEqual(sorted.slice(0, n));
  });

  it('the model explains itself: ChurnModel.explain and .reasons are the explainer of its artifact', () => {
    for (const line of parity.slice(0, 50)) {
      const customer = validated(line.raw, strict);
      expect(model.explain(customer)).toEqual(explainer.explain(customer));
      expect(model.reasons(customer, 3)).toEqual(explainer.reasons(customer, 3));
      expect(sigmoid(model.explain(customer).logit)).toBe(model.score(customer));
    }
  });

  it("scoreWithReasons is the score (bit for bit), the reasons and the customer's codes under meta.reference", () => {
    const lenient = createValidationRules({ categories: model.meta.categories, strictCategories: false });
    const reference = model.meta.reference;
    if (reference === undefined) throw new Error(`${version} has no reference`);
    const customers = parity.map((line) => validated(line.raw, strict));
    // Unseen categories (code -1), and a tab that normalizes to itself (the drift count's missing value).
    const raw = (parity[0] as ParityLine).raw;
    customers.push(validated({ ...raw, contract: 'Three year', gender: 'other', partner: '\t' }, lenient));
    for (const [i, customer] of customers.entries()) {
      const codes = STRING_CATEGORICAL_FEATURES.map((field) =>
        (reference.categorical[field]?.categories ?? []).indexOf(customer[field]),
      );
      for (const n of [0, 3, 19]) {
        const scored = model.scoreWithReasons(customer, n);
        expect(scored.probability, `customer ${i}`).toBe(model.score(customer));
        expect(scored.reasons, `customer ${i}, n=${n}`).toEqual(explainer.reasons(customer, n));
        expect(scored.categoryCodes, `customer ${i}`).toEqual(codes);
      }
    }
    expect(model.scoreWithReasons(must(customers.at(-1), 'last'), 3).categoryCodes.filter((c) => c < 0)).toHaveLength(
      3,
    );
    expect(() => model.scoreWithReasons(must(customers[0], 'first'), -1)).toThrow(RangeError);
  });

  it('topReasons takes n and refuses a negative or fractional n', () => {
    const explanation = explainer.explain(validated((parity[1] as ParityLine).raw, strict));
    expect(topReasons(explanation, 5)).toEqual(explanation.contributions.slice(0, 5));
    expect(topReasons(explanation)).toHaveLength(3);
    expect(() => topReasons(explanation, -1)).toThrow(RangeError);
    expect(() => topReasons(explanation, 1.5)).toThrow(RangeError);
  });
});
