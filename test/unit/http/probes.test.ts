import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { ProbeResult } from '../../../src/observability/health.js';
import { buildTestServer } from './http-test-support.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('probes', () => {
  it('GET /livez answers 200 {status: "ok"} with no liveness checks', async () => {
    ({ app } = await buildTestServer());
    const res = await app.inject({ method: 'GET', url: '/livez' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', reasons: [] });
  });

  it('GET /livez answers 503 with the reasons of a failing liveness check', async () => {
    ({ app } = await buildTestServer({ liveness: () => ({ ok: false, reasons: ['consumer loop stuck for 61s'] }) }));
    const res = await app.inject({ method: 'GET', url: '/livez' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'not_live', reasons: ['consumer loop stuck for 61s'] });
  });

  it('GET /readyz answers 200 when every readiness check passes', async () => {
    const ok = (): ProbeResult => ({ ok: true, reasons: [] });
    ({ app } = await buildTestServer({ readiness: [ok, () => Promise.resolve(ok())] }));
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', reasons: [] });
  });

  it('GET /readyz answers 503 listing the reasons of every failing check, including one that throws', async () => {
    let kafkaUp = false;
    ({ app } = await buildTestServer({
      readiness: [
        () => (kafkaUp ? { ok: true, reasons: [] } : { ok: false, reasons: ['kafka: not connected'] }),
        () => ({ ok: true, reasons: [] }),
        () => {
          throw new Error('registry probe exploded');
        },
      ],
    }));
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      status: 'not_ready',
      reasons: ['kafka: not connected', 'check threw: registry probe exploded'],
    });
    kafkaUp = true;
    const again = await app.inject({ method: 'GET', url: '/readyz' });
    expect(again.statusCode).toBe(503);
    expect(again.json<{ reasons: string[] }>().reasons).toEqual(['check threw: registry probe exploded']);
  });

  it("GET /ping answers the text PONG, as the notes' Flask service does", async () => {
    ({ app } = await buildTestServer());
    const res = await app.inject({ method: 'GET', url: '/ping' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe('PONG');
  });
});
