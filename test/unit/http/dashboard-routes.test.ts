import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { RiskiestCustomers } from '../../../src/dashboard/riskiest-customers.js';
import type { DashboardView } from '../../../src/dashboard/dashboard-view.js';
import { SESSION_COOKIE, cookieValue, sessionValue } from '../../../src/http/dashboard-session.js';
import { buildHttpServer } from '../../../src/http/server.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetricsRegistry } from '../../../src/observability/metrics-registry.js';
import { metricValue } from '../../support/metrics.js';
import { buildTestServer, localServing, notesExamples, testConfig } from './http-test-support.js';

const TOKEN = 'dashboard-unit-token-0123456789';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function authConfig() {
  const base = testConfig();
  return testConfig({ http: { auth: { ...base.http.auth, token: TOKEN } } });
}

describe('GET /dashboard', () => {
  it('serves the page with a strict CSP, and its assets under a content digest, cached for good', async () => {
    ({ app } = await buildTestServer());
    const page = await app.inject({ method: 'GET', url: '/dashboard' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('<label for="customer-contract">Contract</label>');
    const assets = [...page.body.matchAll(/(?:href|src)="(dashboard\/assets\/[0-9a-f]{12}\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/uPlot\.iife\.min\.js$/),
        expect.stringMatching(/uPlot\.min\.css$/),
        expect.stringMatching(/dashboard\.js$/),
        expect.stringMatching(/dashboard\.css$/),
      ]),
    );
    for (const asset of assets) {
      const file = await app.inject({ method: 'GET', url: `/${asset}` });
      expect(file.statusCode, asset).toBe(200);
      expect(file.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(file.headers['content-type']).toMatch(/^text\/(javascript|css); charset=utf-8$/);
    }
    const stale = await app.inject({ method: 'GET', url: '/dashboard/assets/000000000000/dashboard.js' });
    expect(stale.statusCode).toBe(200);
    expect(stale.headers['cache-control']).toBe('no-cache');
    expect((await app.inject({ method: 'GET', url: `/dashboard/assets/x/..%2Fpackage.json` })).statusCode).toBe(404);
  });

  it('/dashboard/view: the figures of /metrics at that moment, the rollout, and the riskiest customers it is handed', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const riskiest = new RiskiestCustomers({ capacity: 10 });
    riskiest.recordCommitted(undefined, [
      { customerid: 'c1', score: 0.8, version: '1.0.0', variant: 'champion', shadowScores: [], reasons: [] },
    ]);
    app = await buildHttpServer({
      config: testConfig(),
      serving: await localServing(),
      logger: createLogger({ name: 'test', level: 'silent' }),
      metrics: registry,
      dashboard: { role: 'run', riskiest },
    });
    const [customer] = notesExamples();
    for (let i = 0; i < 3; i++) await app.inject({ method: 'POST', url: '/predict', payload: customer?.customer });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const response = await app.inject({ method: 'GET', url: '/dashboard/view' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const view = response.json<DashboardView>();
    expect(view.role).toBe('run');
    expect(view.serving).toMatchObject({ revision: 0, champion: '1.0.0', threshold: 0.5 });
    const churned = metricValue(metrics, 'churn_predictions_total', { outcome: 'churn', source: 'http' }) ?? 0;
    const stayed = metricValue(metrics, 'churn_predictions_total', { outcome: 'no_churn', source: 'http' }) ?? 0;
    expect(churned + stayed).toBe(3);
    expect(view.predictions).toEqual({ churn: churned, no_churn: stayed, churn_rate: churned / 3 });
    // the view's own request is counted after it answers: /metrics' count then the /metrics request itself
    expect(view.http?.requests).toBe(4);
    expect(view.stream).toBeNull();
    expect(view.riskiest?.customers.map((c) => c.customerid)).toEqual(['c1']);
    expect(view.experiments.rollout.champion).toBe('1.0.0');
    expect(view.history.t.length).toBeGreaterThanOrEqual(1);
  });

  it('DASHBOARD=false: no dashboard routes', async () => {
    const base = testConfig();
    ({ app } = await buildTestServer({
      config: testConfig({ http: { dashboard: { ...base.http.dashboard, enabled: false } } }),
    }));
    expect((await app.inject({ method: 'GET', url: '/dashboard' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/dashboard/view' })).statusCode).toBe(404);
  });
});

describe('the dashboard with auth on', () => {
  it('refuses a browser without the token with a page that says how to sign in', async () => {
    ({ app } = await buildTestServer({ config: authConfig() }));
    const page = await app.inject({ method: 'GET', url: '/dashboard' });
    expect(page.statusCode).toBe(401);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('/dashboard?token=');
    const wrong = await app.inject({ method: 'GET', url: '/dashboard?token=not-the-token-0123456789' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('not valid');
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('?token= starts a session: a cookie holding an HMAC of the token (never the token), then a redirect', async () => {
    ({ app } = await buildTestServer({ config: authConfig() }));
    const signIn = await app.inject({ method: 'GET', url: `/dashboard?token=${TOKEN}` });
    expect(signIn.statusCode).toBe(303);
    expect(signIn.headers.location).toBe('dashboard');
    const setCookie = String(signIn.headers['set-cookie']);
    expect(setCookie).toBe(`${SESSION_COOKIE}=${sessionValue(TOKEN)}; Path=/; HttpOnly; SameSite=Strict`);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = `other=1; ${SESSION_COOKIE}=${cookieValue(setCookie, SESSION_COOKIE) ?? ''}`;
    expect((await app.inject({ method: 'GET', url: '/dashboard', headers: { cookie } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/dashboard/view', headers: { cookie } })).statusCode).toBe(200);
    // the page's form posts /predict on the same session
    const [customer] = notesExamples();
    const predicted = await app.inject({
      method: 'POST',
      url: '/predict',
      headers: { cookie },
      payload: customer?.customer,
    });
    expect(predicted.statusCode).toBe(200);
    // a session of another token, or a forged one, is no session
    for (const forged of [sessionValue('another-token-0123456789abc'), 'x', '']) {
      const headers = { cookie: `${SESSION_COOKIE}=${forged}` };
      expect((await app.inject({ method: 'GET', url: '/dashboard/view', headers })).statusCode).toBe(401);
    }
  });

  it('never logs the token of a ?token= URL', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    app = await buildHttpServer({
      config: authConfig(),
      serving: await localServing(),
      logger: createLogger({ name: 'test', level: 'trace', destination: sink }),
      metrics: createMetricsRegistry({ processMetrics: false }),
    });
    await app.inject({ method: 'GET', url: `/dashboard?token=${TOKEN}` });
    await app.inject({ method: 'GET', url: `/dashboard?token=${TOKEN}x` });
    await app.inject({ method: 'GET', url: `/dashboard/view?token=${TOKEN}` });
    await app.inject({ method: 'GET', url: `/nowhere?token=${TOKEN}` });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(TOKEN);
  });
});
