import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildTestServer, notesExamples, testConfig, type ErrorBodyShape } from './http-test-support.js';

const BODY_LIMIT = 4096;
let app: FastifyInstance;
beforeAll(async () => {
  ({ app } = await buildTestServer({ config: testConfig({ http: { bodyLimitBytes: BODY_LIMIT } }) }));
});
afterAll(async () => {
  await app.close();
});

const customer = (): Record<string, unknown> => ({ ...notesExamples()[0]?.customer });
const json = { 'content-type': 'application/json' };
const withField = (field: string, value: unknown) => JSON.stringify({ ...customer(), [field]: value });
const without = (field: string) =>
  JSON.stringify(Object.fromEntries(Object.entries(customer()).filter(([key]) => key !== field)));

interface Case {
  name: string;
  request: InjectOptions;
  status: number;
  error: string;
  field: string;
}

const cases: Case[] = [
  {
    name: 'not JSON',
    request: { headers: json, payload: '{"gender": ' },
    status: 400,
    error: 'invalid_json',
    field: '(body)',
  },
  {
    name: 'empty JSON body',
    request: { headers: json, payload: '' },
    status: 400,
    error: 'invalid_json',
    field: '(body)',
  },
  {
    name: 'a JSON array',
    request: { headers: json, payload: '[1,2]' },
    status: 400,
    error: 'invalid_body',
    field: '(body)',
  },
  {
    name: 'a JSON string',
    request: { headers: json, payload: '"customer"' },
    status: 400,
    error: 'invalid_body',
    field: '(body)',
  },
  {
    name: 'JSON null',
    request: { headers: json, payload: 'null' },
    status: 400,
    error: 'invalid_body',
    field: '(body)',
  },
  { name: 'no body at all', request: {}, status: 400, error: 'invalid_body', field: '(body)' },
  {
    name: 'text/plain',
    request: { headers: { 'content-type': 'text/plain' }, payload: JSON.stringify(customer()) },
    status: 415,
    error: 'unsupported_media_type',
    field: '(content-type)',
  },
  {
    name: 'form-encoded',
    request: { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'gender=female' },
    status: 415,
    error: 'unsupported_media_type',
    field: '(content-type)',
  },
  {
    name: 'a body over http.bodyLimitBytes',
    request: { headers: json, payload: JSON.stringify({ ...customer(), padding: 'x'.repeat(BODY_LIMIT) }) },
    status: 413,
    error: 'payload_too_large',
    field: '(body)',
  },
  {
    name: 'missing tenure',
    request: { headers: json, payload: without('tenure') },
    status: 400,
    error: 'invalid_customer',
    field: 'tenure',
  },
  {
    name: 'missing contract',
    request: { headers: json, payload: without('contract') },
    status: 400,
    error: 'invalid_customer',
    field: 'contract',
  },
  {
    name: 'negative tenure',
    request: { headers: json, payload: withField('tenure', -1) },
    status: 400,
    error: 'invalid_customer',
    field: 'tenure',
  },
  {
    name: 'fractional tenure',
    request: { headers: json, payload: withField('tenure', 1.5) },
    status: 400,
    error: 'invalid_customer',
    field: 'tenure',
  },
  {
    name: 'tenure as a string',
    request: { headers: json, payload: withField('tenure', '12') },
    status: 400,
    error: 'invalid_customer',
    field: 'tenure',
  },
  {
    name: 'seniorcitizen 2',
    request: { headers: json, payload: withField('seniorcitizen', 2) },
    status: 400,
    error: 'invalid_customer',
    field: 'seniorcitizen',
  },
  {
    name: 'seniorcitizen true',
    request: { headers: json, payload: withField('seniorcitizen', true) },
    status: 400,
    error: 'invalid_customer',
    field: 'seniorcitizen',
  },
  {
    name: 'monthlycharges as a string',
    request: { headers: json, payload: withField('monthlycharges', '29.85') },
    status: 400,
    error: 'invalid_customer',
    field: 'monthlycharges',
  },
  {
    name: 'negative totalcharges',
    request: { headers: json, payload: withField('totalcharges', -0.5) },
    status: 400,
    error: 'invalid_customer',
    field: 'totalcharges',
  },
  {
    name: 'gender a number',
    request: { headers: json, payload: withField('gender', 1) },
    status: 400,
    error: 'invalid_customer',
    field: 'gender',
  },
  {
    name: 'empty paymentmethod',
    request: { headers: json, payload: withField('paymentmethod', '') },
    status: 400,
    error: 'invalid_customer',
    field: 'paymentmethod',
  },
  {
    name: 'null partner',
    request: { headers: json, payload: withField('partner', null) },
    status: 400,
    error: 'invalid_customer',
    field: 'partner',
  },
];

describe('client errors on POST /predict: a 4xx JSON body naming the field, never a 5xx', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const res = await app.inject({ method: 'POST', url: '/predict', ...c.request });
    expect(res.statusCode).toBe(c.status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json<ErrorBodyShape>();
    expect(body.error).toBe(c.error);
    expect(typeof body.message).toBe('string');
    expect(body.fields.map((f) => f.field)).toContain(c.field);
    for (const f of body.fields) expect(f.message.length).toBeGreaterThan(0);
  });

  it('names every bad field at once', async () => {
    const payload = JSON.stringify({ ...customer(), tenure: -3, gender: false, totalcharges: 'x' });
    const res = await app.inject({ method: 'POST', url: '/predict', headers: json, payload });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json<ErrorBodyShape>()
        .fields.map((f) => f.field)
        .sort(),
    ).toEqual(['gender', 'tenure', 'totalcharges']);
  });

  it('ignores "__proto__" and other unknown fields instead of failing', async () => {
    const payload = `{"__proto__": {"polluted": true}, "customerid": "x-1", ${JSON.stringify(customer()).slice(1)}`;
    const res = await app.inject({ method: 'POST', url: '/predict', headers: json, payload });
    expect(res.statusCode).toBe(200);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('unknown routes and methods', () => {
  it('answers an unknown path with a JSON 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/predictions?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'not_found', message: 'No route GET /predictions', fields: [] });
  });

  it('answers a known path with the wrong method with 405 and an Allow header', async () => {
    const res = await app.inject({ method: 'GET', url: '/predict' });
    expect(res.statusCode).toBe(405);
    expect(res.headers['allow']).toBe('POST');
    expect(res.json<ErrorBodyShape>().error).toBe('method_not_allowed');
  });

  it('answers a malformed URL with a JSON 400', async () => {
    const res = await app.inject({ method: 'GET', url: '/%zz' });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBodyShape>().error).toBe('bad_request');
  });
});
