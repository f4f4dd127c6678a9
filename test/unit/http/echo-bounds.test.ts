import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestServer, type ErrorBodyShape } from './http-test-support.js';

let app: FastifyInstance;
beforeAll(async () => {
  ({ app } = await buildTestServer());
});
afterAll(async () => {
  await app.close();
});

describe('what an error body echoes of the request', () => {
  it('names an unknown path by a prefix and its length, not the whole 10 KB of it', async () => {
    const path = `/${'p'.repeat(10_000)}`;
    const res = await app.inject({ method: 'GET', url: path });
    expect(res.statusCode).toBe(404);
    const body = res.json<ErrorBodyShape>();
    expect(body.message).toBe(`No route GET ${path.slice(0, 200)}… (10001 chars)`);
  });
});
