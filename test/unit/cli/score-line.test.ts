import { describe, expect, it } from 'vitest';
import { scoreLine, type ScoredLine } from '../../../src/cli/score/score-line.js';
import { createValidationRules } from '../../../src/contract/customer.js';
import {
  COMMITTED_MODEL_VERSIONS,
  independentExplanation,
  readModelJson,
  readParityCustomers,
  topProblems,
} from '../../support/independent-explanation.js';
import { committedModel } from '../../support/serving-sets.js';

describe.each(COMMITTED_MODEL_VERSIONS)('scoreLine with explain, models/churn/%s', (version) => {
  it('explains every one of the 1,409 test customers exactly, as model.json decomposes them', async () => {
    const model = await committedModel(version);
    const rules = createValidationRules({ categories: model.meta.categories, strictCategories: true });
    const json = readModelJson(version);
    const customers = readParityCustomers(version);
    expect(customers).toHaveLength(1409);
    const problems: string[] = [];
    for (const [i, customer] of customers.entries()) {
      const text = JSON.stringify({ customerid: customer.customerid, ...customer.raw });
      const outcome = scoreLine(text, i + 1, rules, model, { explain: true });
      if (!outcome.ok) throw new Error(outcome.output.message);
      const { explanation, churn_probability: probability } = outcome.output;
      if (explanation === undefined) throw new Error(`line ${i + 1}: no explanation`);
      const oracle = independentExplanation(json, customer.features);
      const sum = explanation.contributions.reduce((s, c) => s + c.contribution, explanation.intercept);
      if (!(Math.abs(sum - explanation.logit) <= 1e-9 && Math.abs(oracle.logit - explanation.logit) <= 1e-9)) {
        problems.push(`line ${i + 1}: Σ ${sum}, logit ${explanation.logit}, model.json ${oracle.logit}`);
      }
      if (!(Math.abs(1 / (1 + Math.exp(-explanation.logit)) - probability) <= 1e-12)) {
        problems.push(`line ${i + 1}: sigmoid(logit) is not ${probability}`);
      }
      problems.push(
        ...topProblems(explanation.contributions, json, customer.features, 19).map((p) => `line ${i + 1}: ${p}`),
      );
    }
    expect(problems.slice(0, 10), `${problems.length} problems`).toEqual([]);
  });

  it('adds no explanation unless asked, and none to a bad line', async () => {
    const model = await committedModel(version);
    const rules = createValidationRules({ categories: model.meta.categories, strictCategories: false });
    const [customer] = readParityCustomers(version);
    const text = JSON.stringify(customer?.raw);
    const plain = scoreLine(text, 1, rules, model);
    const explained = scoreLine(text, 1, rules, model, { explain: true });
    expect(plain.output).not.toHaveProperty('explanation');
    const { explanation, ...rest } = explained.output as ScoredLine;
    expect(rest).toEqual(plain.output);
    expect(explanation?.contributions).toHaveLength(19);
    const bad = scoreLine('{"tenure": -1}', 2, rules, model, { explain: true });
    expect(bad.ok).toBe(false);
    expect(bad.output).not.toHaveProperty('explanation');
  });
});
