import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignVariant } from '../../../src/rollout/assign-variant.js';
import {
  fixedServingSetSource,
  servingModel,
  singleModelServingSet,
  type ServingSet,
} from '../../../src/serving/serving-set.js';
import {
  COMMITTED_MODEL_VERSIONS,
  independentExplanation,
  readModelJson,
  readParityCustomers,
  topProblems,
  type CommittedModelVersion,
  type ParityCustomer,
} from '../../support/independent-explanation.js';
import { committedModel, rolloutSet } from '../../support/serving-sets.js';
import { buildTestServer, type ErrorBodyShape } from './http-test-support.js';

interface Contribution {
  feature: string;
  value: string | number;
  contribution: number;
  unseen?: boolean;
}

interface Explanation {
  intercept: number;
  logit: number;
  contributions: Contribution[];
}

interface Prediction {
  churn_probability: number;
  churn: boolean;
  model_version: string;
  variant: string;
  warnings: string[];
  explanation?: Explanation;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * What is wrong with `explanation` as the exact decomposition of `customer`'s prediction by model `version`,
 * checked against model.json without src/model (empty when nothing).
 */
function explanationProblems(
  explanation: Explanation | undefined,
  probability: number,
  version: CommittedModelVersion,
  customer: ParityCustomer,
): string[] {
  if (explanation === undefined) return ['no explanation'];
  const json = readModelJsonCached(version);
  const oracle = independentExplanation(json, customer.features);
  const problems: string[] = [];
  if (explanation.intercept !== json.intercept) problems.push(`intercept ${explanation.intercept}`);
  if (explanation.contributions.length !== 19) problems.push(`${explanation.contributions.length} contributions`);
  const byFeature = new Map(explanation.contributions.map((c) => [c.feature, c.contribution]));
  if (JSON.stringify([...byFeature].sort()) !== JSON.stringify([...oracle.terms].sort())) {
    problems.push(
      `terms ${JSON.stringify([...byFeature])} differ from model.json's ${JSON.stringify([...oracle.terms])}`,
    );
  }
  const sum = explanation.contributions.reduce((s, c) => s + c.contribution, explanation.intercept);
  if (!(Math.abs(sum - explanation.logit) <= 1e-9)) problems.push(`intercept + Σ = ${sum}, logit ${explanation.logit}`);
  if (!(Math.abs(oracle.logit - explanation.logit) <= 1e-9)) {
    problems.push(`logit ${explanation.logit}, model.json gives ${oracle.logit}`);
  }
  if (!(Math.abs(sigmoid(explanation.logit) - probability) <= 1e-12)) {
    problems.push(`sigmoid(logit) ${sigmoid(explanation.logit)}, churn_probability ${probability}`);
  }
  const magnitudes = explanation.contributions.map((c) => Math.abs(c.contribution));
  if (magnitudes.some((m, i) => i > 0 && m > (magnitudes[i - 1] as number))) {
    problems.push(`not sorted by magnitude: ${magnitudes.join(', ')}`);
  }
  problems.push(...topProblems(explanation.contributions, json, customer.features, 19));
  return problems;
}

const modelJsons = new Map<CommittedModelVersion, ReturnType<typeof readModelJson>>();
function readModelJsonCached(version: CommittedModelVersion) {
  let json = modelJsons.get(version);
  if (json === undefined) {
    json = readModelJson(version);
    modelJsons.set(version, json);
  }
  return json;
}

const bodyOf = (customer: ParityCustomer) => ({ customerid: customer.customerid, ...customer.raw });

describe.each(COMMITTED_MODEL_VERSIONS)('POST /predict?explain=true serving models/churn/%s', (version) => {
  const customers = readParityCustomers(version);
  let app: FastifyInstance;
  beforeAll(async () => {
    const serving = fixedServingSetSource(singleModelServingSet(servingModel(await committedModel(version), false)));
    ({ app } = await buildTestServer({ serving }));
  });
  afterAll(async () => {
    await app.close();
  });
  const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });

  it('explains every one of the 1,409 test customers exactly: model.json terms, summing to the logit within 1e-9', async () => {
    expect(customers).toHaveLength(1409);
    const problems: string[] = [];
    for (const customer of customers) {
      const res = await post('/predict?explain=true', bodyOf(customer));
      expect(res.statusCode).toBe(200);
      const body = res.json<Prediction>();
      expect(body.model_version).toBe(version);
      if (!(Math.abs(body.churn_probability - customer.churn_probability) <= 1e-9)) {
        problems.push(`${customer.customerid}: p ${body.churn_probability}, sklearn ${customer.churn_probability}`);
      }
      for (const p of explanationProblems(body.explanation, body.churn_probability, version, customer)) {
        problems.push(`${customer.customerid}: ${p}`);
      }
    }
    expect(problems.slice(0, 10), `${problems.length} problems`).toEqual([]);
  });

  it('/predict/batch?explain=true gives each customer the explanation /predict gives', async () => {
    const rows = customers.slice(0, 300);
    const res = await post('/predict/batch?explain=true', { customers: rows.map(bodyOf) });
    expect(res.statusCode).toBe(200);
    const { predictions } = res.json<{ predictions: Prediction[] }>();
    expect(predictions).toHaveLength(rows.length);
    for (const [i, customer] of rows.entries()) {
      const item = predictions[i] as Prediction;
      expect(
        explanationProblems(item.explanation, item.churn_probability, version, customer),
        customer.customerid,
      ).toEqual([]);
      if (i % 50 === 0) {
        const single = (await post('/predict?explain=true', bodyOf(customer))).json<Prediction>();
        expect(item.explanation).toEqual(single.explanation);
      }
    }
  });
});

describe('explain is opt-in and strict', () => {
  let app: FastifyInstance;
  const customer = readParityCustomers('1.0.0')[0] as ParityCustomer;
  beforeAll(async () => {
    ({ app } = await buildTestServer());
  });
  afterAll(async () => {
    await app.close();
  });
  const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });

  it('answers without an explanation unless asked (no flag, explain=false), otherwise the same prediction', async () => {
    const plain = (await post('/predict', bodyOf(customer))).json<Record<string, unknown>>();
    const off = (await post('/predict?explain=false', bodyOf(customer))).json<Record<string, unknown>>();
    const on = (await post('/predict?explain=true', bodyOf(customer))).json<Record<string, unknown>>();
    expect(Object.keys(plain)).not.toContain('explanation');
    expect(off).toEqual(plain);
    const { explanation, ...rest } = on;
    expect(rest).toEqual(plain);
    expect(explanation).toBeDefined();

    const batch = (await post('/predict/batch', { customers: [bodyOf(customer)] })).json<{ predictions: object[] }>();
    expect(Object.keys(batch.predictions[0] ?? {})).not.toContain('explanation');
  });

  it.each([
    ['/predict?explain=yes', /got 'yes'/],
    ['/predict?explain=TRUE', /got 'TRUE'/],
    ['/predict?explain=true&explain=true', /more than once/],
    ['/predict/batch?explain=1', /got '1'/],
  ])('answers %s with 400 naming ?explain', async (url, message) => {
    const payload = url.startsWith('/predict/batch') ? { customers: [bodyOf(customer)] } : bodyOf(customer);
    const res = await post(url, payload);
    expect(res.statusCode).toBe(400);
    const body = res.json<ErrorBodyShape>();
    expect(body.error).toBe('bad_request');
    expect(body.fields.map((f) => f.field)).toEqual(['?explain']);
    expect(body.fields[0]?.message).toMatch(message);
  });

  it('lists an unseen category with contribution 0, marked unseen, next to its warning', async () => {
    const res = await post('/predict?explain=true', { ...customer.raw, contract: 'Three year' });
    expect(res.statusCode).toBe(200);
    const body = res.json<Prediction>();
    expect(body.warnings).toHaveLength(1);
    expect(body.explanation?.contributions.find((c) => c.feature.startsWith('contract='))).toEqual({
      feature: 'contract=three_year',
      value: 'three_year',
      contribution: 0,
      unseen: true,
    });
    expect(Math.abs(sigmoid(body.explanation?.logit ?? NaN) - body.churn_probability)).toBeLessThanOrEqual(1e-12);
  });
});

describe('explanations under a rollout', () => {
  let app: FastifyInstance;
  let set: ServingSet;
  beforeAll(async () => {
    set = await rolloutSet(3, { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'ab', weight: 50 }] });
    ({ app } = await buildTestServer({ serving: fixedServingSetSource(set) }));
  });
  afterAll(async () => {
    await app.close();
  });

  it('explains each customer by the model that served them', async () => {
    const customers = readParityCustomers('1.0.0').slice(0, 200);
    const versions = new Set<string>();
    for (const customer of customers) {
      const body = (
        await app.inject({ method: 'POST', url: '/predict?explain=true', payload: bodyOf(customer) })
      ).json<Prediction>();
      const version = assignVariant(set.rollout, customer.customerid).version as CommittedModelVersion;
      expect(body.model_version).toBe(version);
      versions.add(version);
      expect(explanationProblems(body.explanation, body.churn_probability, version, customer)).toEqual([]);
    }
    expect(versions).toEqual(new Set(COMMITTED_MODEL_VERSIONS));
  });
});

describe('the OpenAPI document', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    ({ app } = await buildTestServer());
  });
  afterAll(async () => {
    await app.close();
  });

  it('documents the explain query parameter of both routes and the explanation in their answers', async () => {
    interface Operation {
      parameters?: { in: string; name: string; required?: boolean; schema: { type: string; default?: unknown } }[];
    }
    interface Doc {
      paths: Record<string, Record<string, Operation>>;
      components: {
        schemas: Record<string, { properties?: Record<string, Record<string, unknown>>; required?: string[] }>;
      };
    }
    const doc = (await app.inject({ url: '/openapi.json' })).json<Doc>();
    for (const path of ['/predict', '/predict/batch']) {
      const explain = doc.paths[path]?.['post']?.parameters?.find((p) => p.name === 'explain');
      expect(explain, path).toMatchObject({ in: 'query', schema: { type: 'boolean', default: false } });
      expect(explain?.required ?? false).toBe(false);
    }
    const { schemas } = doc.components;
    for (const name of ['Prediction', 'BatchPredictionItem']) {
      expect(schemas[name]?.properties?.['explanation']?.['$ref'], name).toBe('#/components/schemas/Explanation');
      expect(schemas[name]?.required, name).not.toContain('explanation');
    }
    const explanation = schemas['Explanation'];
    expect(explanation?.required?.slice().sort()).toEqual(['contributions', 'intercept', 'logit']);
    const items = explanation?.properties?.['contributions']?.['items'] as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(Object.keys(items.properties).sort()).toEqual(['contribution', 'feature', 'unseen', 'value']);
    expect(items.required.slice().sort()).toEqual(['contribution', 'feature', 'value']);
  });
});
