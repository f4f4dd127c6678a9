import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { CUSTOMER_FEATURE_NAMES } from '../../../src/contract/customer.js';
import { buildTestServer } from './http-test-support.js';

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<
    string,
    Record<
      string,
      { requestBody?: { content: Record<string, { schema: { $ref?: string } }> }; responses: Record<string, unknown> }
    >
  >;
  components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }> };
}

let app: FastifyInstance;
let doc: OpenApiDoc;
beforeAll(async () => {
  ({ app } = await buildTestServer());
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json<OpenApiDoc>();
});
afterAll(async () => {
  await app.close();
});

/** Every "$ref" string anywhere in the document. */
function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, found);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') found.push(v);
      else refsIn(v, found);
    }
  }
  return found;
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3 document listing every public route', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info.title).toBe('churn-scorer');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/dashboard',
      '/dashboard/view',
      '/experiments',
      '/livez',
      '/metrics',
      '/model',
      '/monitoring',
      '/ping',
      '/predict',
      '/predict/batch',
      '/readyz',
    ]);
  });

  it('documents the Customer schema with the 19 required features and the optional customerid', () => {
    const customer = doc.components.schemas['Customer'];
    expect(customer?.required?.slice().sort()).toEqual([...CUSTOMER_FEATURE_NAMES].sort());
    expect(customer?.required).toHaveLength(19);
    expect(Object.keys(customer?.properties ?? {}).sort()).toEqual([...CUSTOMER_FEATURE_NAMES, 'customerid'].sort());
  });

  it('takes the request body of /predict from the Customer schema and documents its 4xx answers', () => {
    const predict = doc.paths['/predict']?.['post'];
    expect(predict?.requestBody?.content['application/json']?.schema.$ref).toBe('#/components/schemas/Customer');
    expect(Object.keys(predict?.responses ?? {}).sort()).toEqual(['200', '400', '404', '413', '415', '503']);
  });

  it('has every $ref resolving to a component schema', () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.replace('#/components/schemas/', '')], ref).toBeDefined();
    }
  });
});

describe('GET /docs', () => {
  it('serves the Swagger UI page', async () => {
    let res = await app.inject({ method: 'GET', url: '/docs' });
    if (res.statusCode >= 300 && res.statusCode < 400) {
      res = await app.inject({
        method: 'GET',
        url: new URL(String(res.headers['location']), 'http://x/docs').pathname,
      });
    }
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('swagger-ui');
  });
});

describe('GET /model', () => {
  it('returns the artifact metadata and metrics without coefficients', async () => {
    const res = await app.inject({ method: 'GET', url: '/model' });
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown> & { metrics: Record<string, number> }>();
    expect(body).toMatchObject({
      name: 'churn',
      version: '1.0.0',
      format: 'churn-scorer.logistic-dv/1',
      threshold: 0.5,
    });
    expect(body.metrics['test_roc_auc']).toBeGreaterThan(0.85);
    expect(body).not.toHaveProperty('coefficients');
  });
});
