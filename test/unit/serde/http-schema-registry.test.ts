import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpSchemaRegistryClient } from '../../../src/serde/http-schema-registry.js';
import { SchemaRegistryError } from '../../../src/serde/schema-registry.js';
import { FakeRegistryServer, answerJson, closedPortUrl } from './fake-registry-server.js';

let server: FakeRegistryServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function failure(promise: Promise<unknown>): Promise<SchemaRegistryError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SchemaRegistryError);
  return error as SchemaRegistryError;
}

function answerText(response: ServerResponse, status: number, text: string): ServerResponse {
  return response.writeHead(status, { 'Content-Type': 'text/plain' }).end(text);
}

/** Calls that each test runs: the capped GET by id and calls through the library's API client. */
const calls = {
  getSchemaById: (client: HttpSchemaRegistryClient) => client.getSchemaById(3),
  register: (client: HttpSchemaRegistryClient) => client.register('s-value', '"int"'),
  lookup: (client: HttpSchemaRegistryClient) => client.lookup('s-value', '"int"'),
};

describe('HttpSchemaRegistryClient (Confluent REST API)', () => {
  it('gets a schema by id', async () => {
    server = await FakeRegistryServer.start((_req, res) => answerJson(res, 200, { schema: '"string"' }));
    const client = new HttpSchemaRegistryClient({ url: `${server.url}/apis/ccompat/v7/` });
    expect(await client.getSchemaById(12)).toBe('"string"');
    expect(server.requests).toEqual([
      expect.objectContaining({ method: 'GET', url: '/apis/ccompat/v7/schemas/ids/12', authorization: undefined }),
    ]);
  });

  it('registers, looks up and sets compatibility', async () => {
    server = await FakeRegistryServer.start((req, res) => {
      if (req.url?.includes('/config/') === true) return answerJson(res, 200, { compatibility: 'BACKWARD' });
      return answerJson(res, 200, { subject: 'a b-value', version: 3, id: 5, schema: '"int"' });
    });
    const client = new HttpSchemaRegistryClient({ url: `${server.url}/apis/ccompat/v7` });
    expect(await client.register('a b-value', '"int"')).toBe(5);
    expect(await client.lookup('a b-value', '"int"')).toBe(5);
    await client.setCompatibility('a b-value', 'BACKWARD');

    const base = '/apis/ccompat/v7';
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `POST ${base}/subjects/a%20b-value/versions`,
      `POST ${base}/subjects/a%20b-value`,
      `PUT ${base}/config/a%20b-value`,
    ]);
    expect(server.requests[0]).toMatchObject({
      body: { schema: '"int"' },
      contentType: 'application/vnd.schemaregistry.v1+json',
      userAgent: '@kafkajs/confluent-schema-registry (churn-scorer)',
    });
    expect(server.requests[2]?.body).toEqual({ compatibility: 'BACKWARD' });
  });

  it.each(Object.entries(calls))(
    'sends basic auth when a username is configured, and never puts the password in errors (%s)',
    async (_name, call) => {
      server = await FakeRegistryServer.start((_req, res) =>
        answerJson(res, 401, { error_code: 40101, message: 'Unauthorized' }),
      );
      const secure = new HttpSchemaRegistryClient({ url: server.url, username: 'svc', password: 's3cr3t!' });
      const error = await failure(call(secure));
      expect(server.requests[0]?.authorization).toBe(`Basic ${Buffer.from('svc:s3cr3t!').toString('base64')}`);
      expect(error).toMatchObject({ status: 401, credentialsRefused: true, retriable: false });
      for (const shown of [JSON.stringify(error), error.message, error.stack]) expect(shown).not.toContain('s3cr3t');
    },
  );

  it('reports an unknown schema id as notFound with the id, status and body', async () => {
    server = await FakeRegistryServer.start((_req, res) =>
      answerJson(res, 404, { error_code: 40403, message: 'Schema 77 not found' }),
    );
    const error = await failure(new HttpSchemaRegistryClient({ url: server.url }).getSchemaById(77));
    expect(error).toMatchObject({
      operation: 'getSchemaById',
      schemaId: 77,
      status: 404,
      notFound: true,
      retriable: false,
    });
    expect(error.body).toContain('Schema 77 not found');
    expect(error.message).toContain('schema id 77');
    expect(error.message).toContain('404');
  });

  it('reports a schema not registered under a subject as notFound', async () => {
    server = await FakeRegistryServer.start((_req, res) =>
      answerJson(res, 404, { error_code: 40403, message: 'Schema not found' }),
    );
    const error = await failure(new HttpSchemaRegistryClient({ url: server.url }).lookup('s-value', '"int"'));
    expect(error).toMatchObject({ operation: 'lookup', subject: 's-value', status: 404, notFound: true });
    expect(error.message).toBe(
      `schema registry lookup, subject s-value: POST ${server.url}/subjects/s-value answered 404: Schema not found`,
    );
  });

  it('reports an incompatible schema (409) with the subject', async () => {
    server = await FakeRegistryServer.start((_req, res) =>
      answerJson(res, 409, {
        error_code: 409,
        message: 'Schema being registered is incompatible with an earlier schema',
      }),
    );
    const error = await failure(new HttpSchemaRegistryClient({ url: server.url }).register('customers-value', '"int"'));
    expect(error).toMatchObject({ subject: 'customers-value', status: 409, incompatible: true, retriable: false });
    expect(error.message).toContain('incompatible with an earlier schema');
  });

  it.each([500, 502, 503, 504, 429])('treats HTTP %i as retriable', async (status) => {
    server = await FakeRegistryServer.start((_req, res) => answerText(res, status, 'upstream trouble'));
    const error = await failure(new HttpSchemaRegistryClient({ url: server.url }).getSchemaById(3));
    expect(error.retriable).toBe(true);
    expect(error.status).toBe(status);
    expect(error.body).toBe('upstream trouble');
  });

  it.each(Object.entries(calls))(
    'asks once on a 503, leaving retries to the stream and start-up (%s)',
    async (_name, call) => {
      server = await FakeRegistryServer.start((_req, res) => answerJson(res, 503, { message: 'registry restarting' }));
      const error = await failure(call(new HttpSchemaRegistryClient({ url: server.url })));
      expect(error).toMatchObject({ status: 503, retriable: true });
      expect(error.message).toContain('registry restarting');
      expect(server.requests).toHaveLength(1);
    },
  );

  it.each(Object.entries(calls))(
    'treats a refused connection as no answer, retriable, with the socket error as the cause (%s)',
    async (_name, call) => {
      const url = await closedPortUrl();
      const error = await failure(call(new HttpSchemaRegistryClient({ url })));
      expect(error).toMatchObject({ retriable: true, status: undefined });
      expect(error.message).toContain(`${url}/`);
      expect(error.message).toContain(`ECONNREFUSED ${url.slice('http://'.length)}`);
      // What start-up reports when the registry never comes up: the innermost cause.
      let inner: unknown = error;
      while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
      expect((inner as Error).message).toBe(`connect ECONNREFUSED ${url.slice('http://'.length)}`);
    },
  );

  it.each(Object.entries(calls))('treats a timeout as no answer, retriable (%s)', async (_name, call) => {
    server = await FakeRegistryServer.start(() => undefined); // never answers
    const started = Date.now();
    const error = await failure(call(new HttpSchemaRegistryClient({ url: server.url, timeoutMs: 100 })));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ retriable: true, status: undefined });
    expect(error.message).toMatch(/timeout|timed out/i);
  });

  it.each(Object.entries(calls))(
    'treats a 200 without the expected field as a retriable registry fault (%s)',
    async (_name, call) => {
      server = await FakeRegistryServer.start((_req, res) => answerText(res, 200, '<html>proxy login</html>'));
      const error = await failure(call(new HttpSchemaRegistryClient({ url: server.url })));
      expect(error.retriable).toBe(true);
      expect(error.body).toContain('proxy login');
    },
  );
});
