import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { bearerVerdict } from '../../../src/http/bearer-auth.js';
import { buildHttpServer } from '../../../src/http/server.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetricsRegistry } from '../../../src/observability/metrics-registry.js';
import { buildTestServer, notesExamples, localServing, testConfig, type ErrorBodyShape } from './http-test-support.js';

const TOKEN = 'tok-0123456789abcdef-SECRET';
const WRONG = 'tok-0123456789abcdef-WRONG1';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serverWith(auth: { token: string | null; protectMetrics?: boolean }): Promise<FastifyInstance> {
  const base = testConfig();
  ({ app } = await buildTestServer({
    config: testConfig({
      http: { auth: { ...base.http.auth, token: auth.token, protectMetrics: auth.protectMetrics ?? true } },
    }),
  }));
  return app;
}

const customer = () => notesExamples()[0]?.customer;

/** Every guarded request, answered 200 when the token is right. */
const GUARDED: ReadonlyArray<{ name: string; request: InjectOptions }> = [
  { name: 'POST /predict', request: { method: 'POST', url: '/predict', payload: customer() } },
  {
    name: 'POST /predict/batch',
    request: { method: 'POST', url: '/predict/batch', payload: { customers: [customer()] } },
  },
  { name: 'GET /model', request: { method: 'GET', url: '/model' } },
  { name: 'GET /monitoring', request: { method: 'GET', url: '/monitoring' } },
  { name: 'GET /dashboard/view', request: { method: 'GET', url: '/dashboard/view' } },
  { name: 'GET /openapi.json', request: { method: 'GET', url: '/openapi.json' } },
  { name: 'GET /docs/', request: { method: 'GET', url: '/docs/' } },
  { name: 'GET /docs/static/index.css', request: { method: 'GET', url: '/docs/static/index.css' } },
  { name: 'GET /docs/json', request: { method: 'GET', url: '/docs/json' } },
];
const PROBES = ['/livez', '/readyz', '/ping'];

function withAuthorization(request: InjectOptions, authorization: string | undefined): InjectOptions {
  return authorization === undefined ? request : { ...request, headers: { ...request.headers, authorization } };
}

describe('bearerVerdict', () => {
  const digest = createHash('sha256').update(TOKEN).digest();
  it.each([
    [undefined, 'missing'],
    ['', 'missing'],
    [`Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`, 'missing'],
    [`Bearer${TOKEN}`, 'missing'],
    ['Bearer', 'invalid'],
    ['Bearer ', 'invalid'],
    [`Bearer ${WRONG}`, 'invalid'],
    [`Bearer ${TOKEN}x`, 'invalid'],
    [`Bearer ${TOKEN.slice(0, -1)}`, 'invalid'],
    [`Bearer ${TOKEN} extra`, 'invalid'],
    [`Bearer ${TOKEN}`, 'ok'],
    [`bearer  ${TOKEN}`, 'ok'],
  ])('%j -> %s', (header, verdict) => {
    expect(bearerVerdict(header, digest)).toBe(verdict);
  });
});

describe('with a token configured', () => {
  it.each(GUARDED)(
    '$name answers 401 without a token, 401 with a wrong one, and serves with the right one',
    async ({ request }) => {
      const server = await serverWith({ token: TOKEN });
      const none = await server.inject(request);
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="churn-scorer"');
      expect(none.json<ErrorBodyShape>()).toEqual({
        error: 'unauthorized',
        message: 'This route needs a bearer token',
        fields: [{ field: '(authorization)', message: 'must be "Bearer <token>"' }],
      });

      const wrong = await server.inject(withAuthorization(request, `Bearer ${WRONG}`));
      expect(wrong.statusCode).toBe(401);
      expect(wrong.headers['www-authenticate']).toBe('Bearer realm="churn-scorer", error="invalid_token"');
      expect(wrong.json<ErrorBodyShape>().error).toBe('unauthorized');
      expect(wrong.body).not.toContain(WRONG);
      expect(wrong.body).not.toContain(TOKEN);

      const right = await server.inject(withAuthorization(request, `Bearer ${TOKEN}`));
      expect(right.statusCode).toBe(200);
      expect(right.body).not.toContain(TOKEN);
    },
  );

  it('leaves the probes open, with or without a token', async () => {
    const server = await serverWith({ token: TOKEN });
    for (const url of PROBES) {
      expect((await server.inject({ url })).statusCode, url).toBe(200);
      expect((await server.inject({ url, headers: { authorization: `Bearer ${WRONG}` } })).statusCode, url).toBe(200);
    }
  });

  it('guards /metrics by default (HTTP_AUTH_METRICS unset)', async () => {
    const server = await serverWith({ token: TOKEN });
    expect((await server.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await server.inject({ url: '/metrics', headers: { authorization: `Bearer ${WRONG}` } })).statusCode).toBe(
      401,
    );
    const right = await server.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(right.statusCode).toBe(200);
    expect(right.body).toContain('http_requests_total');
  });

  it('leaves /metrics open when protectMetrics is off, and still guards the rest', async () => {
    const server = await serverWith({ token: TOKEN, protectMetrics: false });
    expect((await server.inject({ url: '/metrics' })).statusCode).toBe(200);
    expect((await server.inject({ method: 'POST', url: '/predict', payload: customer() })).statusCode).toBe(401);
  });

  it('answers an unknown path 401 without the token (no route discovery) and 404 with it', async () => {
    const server = await serverWith({ token: TOKEN });
    expect((await server.inject({ url: '/admin' })).statusCode).toBe(401);
    expect((await server.inject({ url: '/admin', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(
      404,
    );
  });

  it('documents the bearer scheme on the guarded operations only', async () => {
    const server = await serverWith({ token: TOKEN });
    const doc = (await server.inject({ url: '/openapi.json', headers: { authorization: `Bearer ${TOKEN}` } })).json<{
      components: { securitySchemes?: Record<string, unknown> };
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    }>();
    expect(doc.components.securitySchemes?.['bearerAuth']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.components.securitySchemes ?? {})).toEqual(['bearerAuth']);
    for (const [path, method] of [
      ['/predict', 'post'],
      ['/predict/batch', 'post'],
      ['/model', 'get'],
      ['/experiments', 'get'],
      ['/metrics', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method]?.security, path).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(doc.paths[path]?.[method]?.responses ?? {}), path).toContain('401');
    }
    for (const path of PROBES) {
      expect(doc.paths[path]?.['get']?.security, path).toBeUndefined();
      expect(Object.keys(doc.paths[path]?.['get']?.responses ?? {}), path).not.toContain('401');
    }
  });

  it('never writes the token to the log, even at trace level', async () => {
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    const base = testConfig();
    app = await buildHttpServer({
      config: testConfig({ http: { auth: { ...base.http.auth, token: TOKEN } } }),
      serving: await localServing(),
      logger: createLogger({ name: 'test', level: 'trace', destination: sink }),
      metrics: createMetricsRegistry(),
    });
    await app.inject({
      method: 'POST',
      url: '/predict',
      payload: customer(),
      headers: { authorization: `Bearer ${WRONG}` },
    });
    await app.inject({
      method: 'POST',
      url: '/predict',
      payload: customer(),
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    await app.inject({ method: 'POST', url: '/predict', payload: customer() });
    expect(logged).toContain('unauthorized');
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(WRONG);
  });
});

describe('without a token (the default)', () => {
  it('serves every route without Authorization and documents no security', async () => {
    const server = await serverWith({ token: null });
    for (const { name, request } of GUARDED) expect((await server.inject(request)).statusCode, name).toBe(200);
    expect((await server.inject({ url: '/metrics' })).statusCode).toBe(200);
    const doc = (await server.inject({ url: '/openapi.json' })).json<{
      components: Record<string, unknown>;
      paths: Record<string, Record<string, { security?: unknown }>>;
    }>();
    expect(doc.components['securitySchemes']).toBeUndefined();
    expect(doc.paths['/predict']?.['post']?.security).toBeUndefined();
  });
});
